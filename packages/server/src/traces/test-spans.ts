/** Spans for tests: valid by default, any field overridden. */
import { randomBytes } from 'node:crypto';
import type { SpanInputDraft } from '@promptline/core';

export const newTraceId = () => randomBytes(16).toString('hex');
export const newSpanId = () => randomBytes(8).toString('hex');

/** A one-second span that started `agoMs` before now (default a minute ago). */
export function testSpan(overrides: Partial<SpanInputDraft> = {}, agoMs = 60_000): SpanInputDraft {
  const start = Date.now() - agoMs;
  return {
    traceId: newTraceId(),
    spanId: newSpanId(),
    name: 'llm.call',
    startTime: new Date(start).toISOString(),
    endTime: start + 1_000,
    status: 'ok',
    ...overrides,
  };
}
