import type { TraceSummary, TraceTailEvent } from '@promptline/core';
import { describe, expect, it } from 'vitest';
import { mergeTail } from './trace-list.ts';

const T0 = Date.parse('2026-11-30T10:00:00.000Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();
const span = (
  spanId: string,
  startMs: number,
  extra: Partial<TraceTailEvent['spans'][number]> = {},
): TraceTailEvent['spans'][number] => ({
  spanId,
  parentSpanId: null,
  name: spanId,
  startTime: iso(startMs),
  endTime: iso(startMs + 100),
  durationMs: 100,
  status: 'ok',
  prompt: null,
  model: null,
  userId: null,
  sessionId: null,
  usage: { input: 1, output: 2 },
  costUsd: 0.01,
  ...extra,
});
const listed: TraceSummary = {
  traceId: 'a'.repeat(32),
  name: 'listed',
  rootSpanId: 'r1',
  startTime: iso(0),
  endTime: iso(100),
  durationMs: 100,
  status: 'ok',
  prompt: null,
  model: null,
  userId: null,
  sessionId: null,
  usage: { input: 1, output: 2 },
  costUsd: null,
  spanCount: 1,
  errorCount: 0,
};

describe('mergeTail', () => {
  it('grows a listed trace: totals, end, error status', () => {
    const [row] = mergeTail(
      [listed],
      [{ traceId: listed.traceId, spans: [span('c1', 50, { parentSpanId: 'r1', status: 'error' })] }],
    );
    expect(row).toMatchObject({
      name: 'listed',
      spanCount: 2,
      errorCount: 1,
      status: 'error',
      usage: { input: 2, output: 4 },
      costUsd: 0.01,
      endTime: iso(150),
      durationMs: 150,
    });
  });

  it('puts new traces on top, newest first, named by their root even when it arrives last', () => {
    const b = 'b'.repeat(32);
    const c = 'c'.repeat(32);
    const rows = mergeTail(
      [listed],
      [
        { traceId: b, spans: [span('child', 1_010, { parentSpanId: 'root-b' })] },
        { traceId: c, spans: [span('c-root', 2_000)] },
        {
          traceId: b,
          spans: [span('root-b', 1_000, { prompt: { name: 'p', version: 2, environment: null } })],
        },
      ],
    );
    expect(rows.map((r) => r.traceId)).toEqual([c, b, listed.traceId]);
    expect(rows[1]).toMatchObject({
      name: 'root-b',
      rootSpanId: 'root-b',
      spanCount: 2,
      prompt: { name: 'p' },
    });
  });

  it('keeps at most max rows', () => {
    const events = Array.from({ length: 5 }, (_, i) => ({
      traceId: String(i).repeat(32),
      spans: [span(`s${i}`, i)],
    }));
    expect(mergeTail([listed], events, 3)).toHaveLength(3);
  });
});
