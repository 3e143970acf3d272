import { acceptSpanInput, SpanInput } from '@promptline/core';
import { describe, expect, it } from 'vitest';
import { createSpanRecorder, type SpanIngest } from './recorder.ts';
import { spanOf } from './spans.ts';

const logged: string[] = [];
const logger = {
  error: (_details: unknown, message?: string) => void logged.push(`error: ${message}`),
  warn: (_details: unknown, message?: string) => void logged.push(`warn: ${message}`),
};

let n = 0;
function span(extra: Partial<SpanInput> = {}): SpanInput {
  n++;
  return {
    traceId: `${'a'.repeat(24)}${n.toString(16).padStart(8, '0')}`,
    spanId: `${'b'.repeat(8)}${n.toString(16).padStart(8, '0')}`,
    name: 'chat mock/x',
    startTime: 1_700_000_000_000,
    endTime: 1_700_000_000_010,
    status: 'ok',
    ...extra,
  };
}

function collecting() {
  const batches: { projectId: number; spans: SpanInput[] }[] = [];
  const ingest: SpanIngest = {
    ingest: async (projectId, spans) => {
      batches.push({ projectId, spans });
    },
  };
  return { batches, ingest };
}

describe('span recorder', () => {
  it('writes after the interval, in batches per project, without the caller waiting', async () => {
    const { batches, ingest } = collecting();
    const recorder = createSpanRecorder({ ingest, logger, intervalMs: 30, batchSize: 100 });
    recorder.record(1, span());
    recorder.record(2, span());
    recorder.record(1, span());
    expect(batches).toHaveLength(0);
    // The timer writes them (no flush asked): wait for it, however slow the machine.
    for (let i = 0; i < 500 && batches.length < 2; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(batches.map((b) => [b.projectId, b.spans.length])).toEqual([
      [1, 2],
      [2, 1],
    ]);
    expect(recorder.stats()).toMatchObject({ recorded: 3, written: 3, buffered: 0 });
  });

  it('writes at once when a batch is full, never more than batchSize per write', async () => {
    const { batches, ingest } = collecting();
    const recorder = createSpanRecorder({ ingest, logger, intervalMs: 60_000, batchSize: 4 });
    for (let i = 0; i < 10; i++) recorder.record(1, span());
    await recorder.flush();
    expect(batches.map((b) => b.spans.length).reduce((a, b) => a + b, 0)).toBe(10);
    expect(Math.max(...batches.map((b) => b.spans.length))).toBeLessThanOrEqual(4);
  });

  it('lets the event loop turn between the batches of one flush (a synchronous write holds it)', async () => {
    const events: string[] = [];
    const ingest: SpanIngest = {
      ingest: async (projectId, spans) => {
        events.push(`write ${projectId}:${spans.length}`);
        // Work that arrived meanwhile (a request's I/O callback), queued from inside the write.
        setImmediate(() => events.push('request answered'));
      },
    };
    const recorder = createSpanRecorder({ ingest, logger, intervalMs: 60_000, batchSize: 3 });
    for (let i = 0; i < 6; i++) recorder.record(1, span());
    recorder.record(2, span());
    await recorder.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual([
      'write 1:3',
      'request answered',
      'write 1:3',
      'request answered',
      'write 2:1',
      'request answered',
    ]);
  });

  it('checks the spans the gateway builds without zod, answering what zod would', () => {
    const result = {
      model: 'gpt-4o-mini-2024',
      text: 'Hello.',
      toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{"q":1}' }],
      finishReason: 'stop',
      usage: { inputTokens: 12, outputTokens: 5, cachedInputTokens: 0, estimated: false },
      costUsd: 0.000_012,
      timeToFirstTokenMs: 3.25,
    };
    const facts = {
      operation: 'chat' as const,
      tags: {
        prompt: { name: 'support/triage', version: 2, environment: 'production', variant: 0 },
        unit: 'user-7',
        userId: 'user-7',
        sessionId: 'sess-9',
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        parentSpanId: '00f067aa0ba902b7',
      },
      requested: 'local/gpt-4o-mini',
      answered: { provider: 'local', model: 'gpt-4o-mini', label: 'local/gpt-4o-mini' },
      startMs: 1_772_359_200_000,
      durationMs: 12.6,
      status: 200,
      result,
      input: [{ role: 'user', content: 'hi' }],
      stream: true,
      cache: 'miss' as const,
      attempts: 1,
      keyId: 3,
    };
    const spans = [
      spanOf(facts),
      spanOf({ ...facts, tags: {}, result: { ...result, usage: { ...result.usage, estimated: true } } }),
      spanOf({ ...facts, status: 502, error: 'upstream down', answered: null, result: undefined }),
    ];
    for (const built of spans) {
      const accepted = acceptSpanInput(built);
      expect(accepted).toBeDefined();
      expect(accepted).toStrictEqual(SpanInput.parse(built));
    }
  });

  it('drops the oldest spans beyond its bound and counts them', async () => {
    const { batches, ingest } = collecting();
    const recorder = createSpanRecorder({
      ingest,
      logger,
      intervalMs: 60_000,
      batchSize: 1_000,
      maxBuffered: 5,
    });
    const spans = Array.from({ length: 8 }, () => span());
    for (const s of spans) recorder.record(1, s);
    expect(recorder.stats()).toMatchObject({ dropped: 3, buffered: 5 });
    expect(logged.some((line) => line.startsWith('warn: gateway: span buffer full'))).toBe(true);
    await recorder.flush();
    expect(batches.flatMap((b) => b.spans.map((s) => s.spanId))).toEqual(spans.slice(3).map((s) => s.spanId));
  });

  it('retries a failed write once, then counts the spans as failed', async () => {
    let calls = 0;
    const recorder = createSpanRecorder({
      ingest: {
        ingest: async () => {
          calls++;
          throw new Error('database down');
        },
      },
      logger,
      intervalMs: 60_000,
    });
    recorder.record(1, span());
    recorder.record(1, span());
    await recorder.flush();
    expect(calls).toBe(2);
    expect(recorder.stats()).toMatchObject({ recorded: 2, written: 0, failed: 2, buffered: 0 });
    expect(logged.filter((line) => line === 'error: gateway: recording spans failed')).toHaveLength(2);
  });

  it('drops an invalid span alone: the rest of its batch is written', async () => {
    const { batches, ingest } = collecting();
    const recorder = createSpanRecorder({ ingest, logger, intervalMs: 60_000 });
    recorder.record(1, span({ model: 'x'.repeat(5_000) }));
    recorder.record(1, span());
    await recorder.flush();
    expect(batches[0]?.spans).toHaveLength(1);
    expect(recorder.stats()).toMatchObject({ written: 1, failed: 1 });
  });
});
