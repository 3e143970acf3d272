/**
 * Recording: ids and times filled in, the prompt link taken from what `client.prompt()` answered,
 * `trace()` nesting (AsyncLocalStorage across awaits, the browser fallback never under a wrong
 * parent), errors, and a recorder that never throws into the application. Spans travel through
 * the real export to a collector validating them with core's contract.
 */
import type { AppError, SpanInput } from '@promptline/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClient, type PromptlineClient } from '../client.ts';
import { startSnapshotServer, textVersion } from '../test-helpers/snapshot-server.ts';
import { type Collector, startCollector } from '../test-helpers/trace-collector.ts';
import { synchronousStore } from './context.ts';
import { createTracer, type Tracer } from './tracer.ts';

let collector: Collector;
let tracer: Tracer;
let errors: AppError[];

beforeAll(async () => {
  collector = await startCollector();
});
afterAll(async () => {
  await collector.stop();
});
beforeEach(() => {
  errors = [];
  collector.spans.length = 0;
  tracer = createTracer({ url: collector.url, apiKey: collector.apiKey, onError: (e) => errors.push(e) });
});
afterEach(async () => {
  await tracer.close();
});

async function spans(): Promise<SpanInput[]> {
  expect(await tracer.flush()).toBe(true);
  return [...collector.spans];
}

describe('prompt links', () => {
  let snapshots: Awaited<ReturnType<typeof startSnapshotServer>>;
  let client: PromptlineClient;
  beforeAll(async () => {
    snapshots = await startSnapshotServer({ environment: 'staging' });
    snapshots.deploy(
      'support/reply',
      {
        variants: [
          { version: 2, weight: 5_000 },
          { version: 1, weight: 5_000 },
        ],
      },
      [textVersion(1, 'v1 {{ticket}}'), textVersion(2, 'v2 {{ticket}}')],
    );
    client = createClient({
      url: snapshots.url,
      apiKey: snapshots.apiKey,
      environment: 'staging',
      updates: 'off',
      fallbacks: { 'support/other': { type: 'text', template: 'fallback {{ticket}}' } },
    });
    expect(await client.ready()).toBe('server');
  });
  afterAll(async () => {
    await client.close();
    await snapshots.stop();
  });

  it('resolved prompts carry name, version, environment and variant, and a recorded span links to them', async () => {
    const seen = new Map<number, { version: number; variant: number }>();
    for (let i = 0; i < 40; i++) {
      const p = client.prompt('support/reply', { unit: `user-${i}` });
      expect(p).toMatchObject({ name: 'support/reply', environment: 'staging' });
      seen.set(p.variant, { version: p.version, variant: p.variant });
      // Still shared objects: resolving allocates nothing per call.
      expect(client.prompt('support/reply', { unit: `user-${i}` })).toBe(p);
    }
    expect([...seen.values()].sort((a, b) => a.variant - b.variant)).toEqual([
      { version: 2, variant: 0 },
      { version: 1, variant: 1 },
    ]);

    const prompt = client.prompt('support/reply', { unit: 'user-3' });
    tracer.record({ name: 'reply', prompt, unit: 'user-3', variables: { ticket: 'refund' } });
    const [span] = await spans();
    expect(span?.prompt).toEqual({
      name: 'support/reply',
      version: prompt.version,
      environment: 'staging',
      variant: prompt.variant,
    });
    expect(span).toMatchObject({ unit: 'user-3', variables: { ticket: 'refund' } });
  });

  it('a fallback prompt links no registry version but stays visible', async () => {
    const fallback = client.prompt('support/other');
    expect(fallback).toMatchObject({ version: 0, source: 'fallback', environment: 'staging' });
    tracer.record({ name: 'reply', prompt: fallback });
    const [span] = await spans();
    expect(span?.prompt).toBeUndefined();
    expect(span?.attributes).toEqual({ 'promptline.fallback': 'support/other' });
  });
});

describe('record', () => {
  it('fills W3C ids and times, and takes Date, ISO and epoch times', async () => {
    const before = Date.now();
    const a = tracer.record({ name: 'a', durationMs: 250 });
    const b = tracer.record({
      name: 'b',
      startTime: new Date('2026-01-01T00:00:00Z'),
      endTime: '2026-01-01T00:00:01.500Z',
    });
    expect(a.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(a.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(b.traceId).not.toBe(a.traceId);
    const [sa, sb] = await spans();
    expect(Number(sa?.endTime)).toBeGreaterThanOrEqual(before);
    expect(Number(sa?.endTime) - Number(sa?.startTime)).toBeCloseTo(250, 0);
    expect(sb).toMatchObject({
      startTime: Date.parse('2026-01-01T00:00:00Z'),
      endTime: Date.parse('2026-01-01T00:00:01.500Z'),
    });
    expect(sa).toMatchObject({ ...a, status: 'ok' });
    expect(sa?.parentSpanId).toBeUndefined();
  });

  it('never throws into the caller: bad ids, unserialisable input and a throwing onError are reported or absorbed', async () => {
    const ref = tracer.record({ name: 'x', traceId: 'not-hex' });
    expect(ref.traceId).toMatch(/^[0-9a-f]{32}$/);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    tracer.record({ name: 'y', input: circular });
    tracer.record({ name: '' });
    expect(errors.map((e) => e.code)).toEqual([
      'VALIDATION_FAILED',
      'VALIDATION_FAILED',
      'VALIDATION_FAILED',
    ]);
    expect(await spans()).toEqual([]);

    const throwing = createTracer({
      url: collector.url,
      apiKey: collector.apiKey,
      onError: () => {
        throw new Error('handler bug');
      },
    });
    expect(() => throwing.record({ name: 'z', spanId: 'bad' })).not.toThrow();
    await throwing.close();
  });

  it('records nothing with tracing disabled', async () => {
    const off = createTracer({ url: collector.url, apiKey: collector.apiKey, tracing: { enabled: false } });
    off.record({ name: 'nothing' });
    await off.trace('nothing either', () => Promise.resolve());
    await off.close();
    expect(await spans()).toEqual([]);
    expect(off.tracingStats().sent).toBe(0);
  });
});

describe('trace', () => {
  it('nests trace(), record() and times the function; the result is the caller’s own', async () => {
    const result = await tracer.trace('outer', async (outer) => {
      outer.set({ userId: 'u1', attributes: { step: 'start' } });
      const inner = tracer.trace('inner', (span) => {
        tracer.record({ name: 'leaf', model: 'm' });
        return span;
      });
      await new Promise((r) => setTimeout(r, 30));
      tracer.record({ name: 'after-await' });
      outer.set({ attributes: { done: true } });
      expect(tracer.activeSpan()).toEqual({ traceId: outer.traceId, spanId: outer.spanId });
      return { outer, inner };
    });
    expect(tracer.activeSpan()).toBeUndefined();
    const all = await spans();
    const byName = Object.fromEntries(all.map((s) => [s.name, s]));
    const { outer, inner } = result;
    expect(byName.outer).toMatchObject({
      spanId: outer.spanId,
      userId: 'u1',
      attributes: { step: 'start', done: true },
    });
    expect(byName.outer?.parentSpanId).toBeUndefined();
    expect(byName.inner).toMatchObject({ traceId: outer.traceId, parentSpanId: outer.spanId });
    expect(byName.leaf).toMatchObject({ traceId: outer.traceId, parentSpanId: inner.spanId });
    expect(byName['after-await']).toMatchObject({ traceId: outer.traceId, parentSpanId: outer.spanId });
    expect(Number(byName.outer?.endTime) - Number(byName.outer?.startTime)).toBeGreaterThanOrEqual(29);
  });

  it('marks the span failed and rethrows the very error, sync and async', async () => {
    const boom = new Error('boom');
    expect(() =>
      tracer.trace('sync', () => {
        throw boom;
      }),
    ).toThrow(boom);
    await expect(tracer.trace('async', async () => Promise.reject(boom))).rejects.toBe(boom);
    const all = await spans();
    expect(all.map((s) => [s.name, s.status, s.statusMessage])).toEqual([
      ['sync', 'error', 'boom'],
      ['async', 'error', 'boom'],
    ]);
  });

  it('parent: null starts a new trace inside another', async () => {
    await tracer.trace('outer', async () => {
      tracer.trace('detached', () => undefined, { parent: null });
    });
    const all = await spans();
    const detached = all.find((s) => s.name === 'detached');
    const outer = all.find((s) => s.name === 'outer');
    expect(detached?.traceId).not.toBe(outer?.traceId);
    expect(detached?.parentSpanId).toBeUndefined();
  });
});

describe('the context without AsyncLocalStorage (browsers)', () => {
  it('shows the active span to the synchronous part only, and restores the slot before returning', async () => {
    const store = synchronousStore();
    const seen: unknown[] = [];
    const pending = store.run({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) }, async () => {
      seen.push(store.active()?.spanId);
      await Promise.resolve();
      // After the first await another task may be running: no parent rather than a wrong one.
      seen.push(store.active());
    });
    expect(store.active()).toBeUndefined();
    await pending;
    expect(seen).toEqual(['b'.repeat(16), undefined]);
  });
});
