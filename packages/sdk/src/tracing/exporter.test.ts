/**
 * Export against a real HTTP collector that validates with core's span contract: batching by size
 * and interval, retry with backoff (503, 429 + Retry-After, connection refused), refused spans,
 * the drop-oldest bound, flush/close, and a process that is never kept alive by the export timer.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppError } from '@promptline/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Collector, startCollector } from '../test-helpers/trace-collector.ts';
import { createTracer, type Tracer } from './tracer.ts';
import type { TracingOptions } from './types.ts';

let collector: Collector | undefined;
let tracer: Tracer | undefined;
afterEach(async () => {
  await tracer?.close();
  await collector?.stop();
  tracer = undefined;
  collector = undefined;
});

function tracerFor(c: { url: string; apiKey: string }, tracing: TracingOptions = {}) {
  const errors: AppError[] = [];
  tracer = createTracer({
    url: c.url,
    apiKey: c.apiKey,
    onError: (e) => errors.push(e),
    tracing: { retry: { baseMs: 20, maxMs: 100 }, ...tracing },
  });
  return { tracer, errors };
}

async function waitFor(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('trace export', () => {
  it('sends as soon as a batch is full (never more than maxBatchSize a request), a partial batch on the interval tick', async () => {
    collector = await startCollector();
    const { tracer: t, errors } = tracerFor(collector, { maxBatchSize: 100, flushIntervalMs: 600 });
    const started = Date.now();
    for (let i = 0; i < 250; i++) t.record({ name: `s${i}`, durationMs: 1 });
    // Nothing is sent inside record(): the caller never waits on the network.
    expect(collector.requests).toEqual([]);
    // The size trigger drains the queue, the remainder with it, well before the first tick.
    await waitFor(() => t.tracingStats().sent === 250, 'the full batches');
    expect(Date.now() - started).toBeLessThan(500);
    expect(collector.requests.map((r) => r.spans)).toEqual([100, 100, 50]);
    expect(collector.spans.map((s) => s.name)).toEqual(Array.from({ length: 250 }, (_, i) => `s${i}`));

    // Below the batch size, spans wait for the tick.
    for (let i = 0; i < 10; i++) t.record({ name: `late${i}` });
    await new Promise((r) => setTimeout(r, 100));
    expect(t.tracingStats()).toMatchObject({ queued: 10, sent: 250 });
    await waitFor(() => t.tracingStats().sent === 260, 'the tick', 2_000);
    expect(collector.requests.map((r) => r.spans)).toEqual([100, 100, 50, 10]);
    expect(t.tracingStats()).toMatchObject({ queued: 0, dropped: 0 });
    expect(errors).toEqual([]);
  });

  it('retries 503 and 429 with backoff, waiting at least Retry-After, and loses nothing', async () => {
    collector = await startCollector();
    const { tracer: t, errors } = tracerFor(collector, { flushIntervalMs: 50 });
    collector.script({ status: 503 }, { status: 429, retryAfter: '1' });
    for (let i = 0; i < 10; i++) t.record({ name: `s${i}` });
    expect(await t.flush({ timeoutMs: 5_000 })).toBe(true);
    expect(collector.spans).toHaveLength(10);
    const [first, second, third] = collector.requests;
    expect([first?.status, second?.status, third?.status]).toEqual([503, 429, 202]);
    // Retry-After: 1 is a floor on the wait, whatever the backoff says.
    expect((third?.at ?? 0) - (second?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(errors.map((e) => e.code)).toEqual(['INTERNAL', 'RATE_LIMITED']);
  });

  it('drops only the spans a 422 names and delivers the others of the batch', async () => {
    collector = await startCollector();
    const { tracer: t, errors } = tracerFor(collector);
    t.record({ name: 'good-1' });
    // Fine on the client (any JSON), refused by the contract: usage must be integers.
    t.record({ name: 'bad', usage: { input: 1.5, output: 2 } });
    t.record({ name: 'good-2' });
    expect(await t.flush()).toBe(true);
    expect(collector.spans.map((s) => s.name)).toEqual(['good-1', 'good-2']);
    expect(t.tracingStats()).toMatchObject({ sent: 2, dropped: 1 });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.code).toBe('VALIDATION_FAILED');
    expect(errors[0]?.message).toContain('Dropped 1 span(s)');
  });

  it('finds the refused span by halving when the 422 does not name it', async () => {
    collector = await startCollector({ anonymousProblems: true });
    const { tracer: t } = tracerFor(collector);
    for (let i = 0; i < 8; i++)
      t.record({ name: `s${i}`, ...(i === 5 ? { usage: { input: -1, output: 0 } } : {}) });
    expect(await t.flush()).toBe(true);
    expect(collector.spans.map((s) => s.name).sort()).toEqual(['s0', 's1', 's2', 's3', 's4', 's6', 's7']);
    expect(t.tracingStats()).toMatchObject({ sent: 7, dropped: 1 });
  });

  it('keeps the newest maxQueueSize spans while the server is down, counts and reports the rest, and sends them when it returns', async () => {
    collector = await startCollector();
    const port = collector.port;
    const apiKey = collector.apiKey;
    await collector.stop();
    const { tracer: t, errors } = tracerFor(
      { url: `http://127.0.0.1:${port}`, apiKey },
      {
        maxQueueSize: 100,
        maxBatchSize: 50,
        flushIntervalMs: 50,
      },
    );
    for (let i = 0; i < 1_000; i++) t.record({ name: `s${i}` });
    expect(t.tracingStats()).toMatchObject({ queued: 100, dropped: 900 });
    await waitFor(() => errors.some((e) => e.code === 'TELEMETRY_DROPPED'), 'the drop report');
    const report = errors.find((e) => e.code === 'TELEMETRY_DROPPED');
    expect(report?.details).toMatchObject({ spans: 900, totalDropped: 900 });
    await waitFor(() => errors.some((e) => e.code === 'SERVER_UNREACHABLE'), 'a failed attempt');

    collector = await startCollector({ port, apiKey });
    expect(await t.flush({ timeoutMs: 5_000 })).toBe(true);
    expect(collector.spans.map((s) => s.name)).toEqual(Array.from({ length: 100 }, (_, i) => `s${900 + i}`));
    expect(t.tracingStats()).toMatchObject({ queued: 0, sent: 100, dropped: 900 });
  });

  it('close() sends what is queued before it resolves', async () => {
    collector = await startCollector();
    const { tracer: t, errors } = tracerFor(collector, { flushIntervalMs: 60_000 });
    for (let i = 0; i < 3; i++) t.record({ name: `s${i}` });
    t.score({ traceId: t.record({ name: 'scored' }).traceId, name: 'helpful', value: true });
    await t.close();
    tracer = undefined;
    expect(collector.spans).toHaveLength(4);
    expect(collector.scores).toHaveLength(1);
    // Recording after close() is dropped, said once.
    t.record({ name: 'too late' });
    t.record({ name: 'too late again' });
    expect(errors.map((e) => e.details)).toEqual([{ afterClose: true }]);
    expect(t.tracingStats()).toMatchObject({ dropped: 2 });
  });

  it('close() gives up after closeTimeoutMs with the server down, and reports what it dropped', async () => {
    collector = await startCollector();
    const { url, apiKey } = collector;
    await collector.stop();
    collector = undefined;
    const { tracer: t, errors } = tracerFor({ url, apiKey }, { closeTimeoutMs: 300 });
    t.record({ name: 'lost' });
    const started = Date.now();
    await t.close();
    tracer = undefined;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(t.tracingStats()).toMatchObject({ queued: 0, dropped: 1 });
    expect(errors.at(-1)).toMatchObject({ code: 'TELEMETRY_DROPPED', details: { spans: 1 } });
  });

  it('sends scores after the spans queued before them', async () => {
    collector = await startCollector();
    const { tracer: t, errors } = tracerFor(collector);
    const span = t.record({ name: 'answer' });
    t.score({ ...span, name: 'thumbs_up', value: true, comment: 'great', source: 'user' });
    t.score({ traceId: span.traceId, name: 'bad name!', value: 1 });
    expect(await t.flush()).toBe(true);
    expect(collector.requests.map((r) => r.path)).toEqual(['/api/v1/traces', '/api/v1/scores']);
    expect(collector.scores).toEqual([
      { ...span, name: 'thumbs_up', value: true, comment: 'great', source: 'user' },
    ]);
    expect(errors.map((e) => e.code)).toEqual(['VALIDATION_FAILED']);
  });

  it('does not keep a process alive: a script that records and never closes exits at once', async () => {
    collector = await startCollector();
    const script = join(tmpdir(), `promptline-unref-${process.pid}.ts`);
    const tracerPath = fileURLToPath(new URL('./tracer.ts', import.meta.url));
    await writeFile(
      script,
      `import { createTracer } from ${JSON.stringify(tracerPath)};
const t = createTracer({ url: ${JSON.stringify(collector.url)}, apiKey: 'k', tracing: { flushIntervalMs: 60000 } });
t.record({ name: 'left' });
console.log('recorded');
`,
    );
    const started = Date.now();
    const child = spawn(process.execPath, ['--conditions=source', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(output).toContain('recorded');
    expect(code).toBe(0);
    // The 60 s interval timer did not hold it: it exits once the module has run.
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
