/**
 * The trace list with the live tail merged in: a tail event either updates a trace already listed
 * (its totals grow, its end moves, an error marks it) or adds a new trace at the top. Pure, so the
 * merge is tested without a browser.
 */
import type { TraceSummary, TraceTailEvent } from '@promptline/core';

type TailSpan = TraceTailEvent['spans'][number];

const sum = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : a + b);
const later = (a: string, b: string) => (Date.parse(a) >= Date.parse(b) ? a : b);
const earlier = (a: string, b: string) => (Date.parse(a) <= Date.parse(b) ? a : b);

/** Adds spans to a trace's totals. */
function grow(trace: TraceSummary, spans: readonly TailSpan[]): TraceSummary {
  let next = { ...trace, usage: { ...trace.usage } };
  for (const s of spans) {
    const startTime = earlier(next.startTime, s.startTime);
    const endTime = later(next.endTime, s.endTime);
    next = {
      ...next,
      startTime,
      endTime,
      durationMs: Date.parse(endTime) - Date.parse(startTime),
      spanCount: next.spanCount + 1,
      errorCount: next.errorCount + (s.status === 'error' ? 1 : 0),
      status: next.status === 'error' || s.status === 'error' ? 'error' : 'ok',
      usage: { input: next.usage.input + s.usage.input, output: next.usage.output + s.usage.output },
      costUsd: sum(next.costUsd, s.costUsd),
      prompt: next.prompt ?? s.prompt,
      model: next.model ?? s.model,
      userId: next.userId ?? s.userId,
      sessionId: next.sessionId ?? s.sessionId,
    };
    // A root arriving after its children becomes the trace's name, as on the server.
    if (s.parentSpanId === null && next.rootSpanId !== s.spanId) {
      next = { ...next, name: s.name, rootSpanId: s.spanId };
    }
  }
  return next;
}

/** A trace first seen through the tail: its root (else earliest) span names it. */
function fromSpans(traceId: string, spans: readonly TailSpan[]): TraceSummary {
  const sorted = [...spans].sort((a, b) => Date.parse(a.startTime) - Date.parse(b.startTime));
  const root = sorted.find((s) => s.parentSpanId === null) ?? sorted[0];
  if (!root) throw new Error('a tail event carries at least one span');
  const seed: TraceSummary = {
    traceId,
    name: root.name,
    rootSpanId: root.spanId,
    startTime: root.startTime,
    endTime: root.startTime,
    durationMs: 0,
    status: 'ok',
    prompt: null,
    model: null,
    userId: null,
    sessionId: null,
    usage: { input: 0, output: 0 },
    costUsd: null,
    spanCount: 0,
    errorCount: 0,
  };
  return grow(seed, sorted);
}

/**
 * Merges tail events (oldest first) into a list of traces (newest first). New traces go on top,
 * newest first; at most `max` rows are kept.
 */
export function mergeTail(
  list: readonly TraceSummary[],
  events: readonly TraceTailEvent[],
  max = 5_000,
): TraceSummary[] {
  if (events.length === 0) return list as TraceSummary[];
  const index = new Map(list.map((t, i) => [t.traceId, i]));
  const rows = [...list];
  const added = new Map<string, TraceSummary>();
  for (const event of events) {
    const fresh = added.get(event.traceId);
    const at = index.get(event.traceId);
    if (fresh) added.set(event.traceId, grow(fresh, event.spans));
    else if (at !== undefined) {
      const current = rows[at];
      if (current) rows[at] = grow(current, event.spans);
    } else added.set(event.traceId, fromSpans(event.traceId, event.spans));
  }
  const top = [...added.values()].sort((a, b) => Date.parse(b.startTime) - Date.parse(a.startTime));
  return [...top, ...rows].slice(0, max);
}
