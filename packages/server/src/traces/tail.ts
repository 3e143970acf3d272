/**
 * The live tail of the trace list: spans are published here by the trace service once their batch
 * has committed (never before: a tail must not show what a rollback takes back), and every open
 * `GET /api/v1/traces/tail` stream of that project hears them, filtered by its own query.
 *
 * In-process: a stream hears the spans ingested by the instance serving it. Behind a load
 * balancer with several instances, the web app's list still catches up through its next page
 * load (docs/traces-ui.md says so).
 */
import type { TraceTailEvent, TraceTailQuery } from '@promptline/core';
import type { PreparedSpan } from './rows.ts';

type TailSpan = TraceTailEvent['spans'][number];

/** A published span: what the stream sends, and the text the `q` filter looks in (never sent). */
export interface PublishedSpan {
  traceId: string;
  span: TailSpan;
  /** Name, input and output, lower-cased. */
  text: string;
}

type Listener = (spans: readonly PublishedSpan[]) => void;

export interface TraceTail {
  publish(projectId: number, spans: readonly PublishedSpan[]): void;
  /** Answers the function that unsubscribes. */
  subscribe(projectId: number, listener: Listener): () => void;
}

/** Listeners per project; a listener that throws is dropped from nothing and hurts no other. */
export function createTraceTail(options: { onListenerError?: (error: unknown) => void } = {}): TraceTail {
  const listeners = new Map<number, Set<Listener>>();
  return {
    publish(projectId, spans) {
      const set = listeners.get(projectId);
      if (!set || spans.length === 0) return;
      for (const listener of [...set]) {
        try {
          listener(spans);
        } catch (error) {
          options.onListenerError?.(error);
        }
      }
    },
    subscribe(projectId, listener) {
      let set = listeners.get(projectId);
      if (!set) {
        set = new Set();
        listeners.set(projectId, set);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(projectId);
      };
    },
  };
}

const text = (value: unknown) => (value === undefined ? '' : JSON.stringify(value));

/** The spans a batch wrote, as the tail publishes them. */
export function publishedSpans(written: readonly PreparedSpan[]): PublishedSpan[] {
  return written.map(({ span: s, startMs, endMs, costUsd }) => ({
    traceId: s.traceId,
    text: `${s.name} ${text(s.input)} ${text(s.output)}`.toLowerCase(),
    span: {
      spanId: s.spanId,
      parentSpanId: s.parentSpanId ?? null,
      name: s.name,
      startTime: new Date(startMs).toISOString(),
      endTime: new Date(endMs).toISOString(),
      durationMs: endMs - startMs,
      status: s.status,
      prompt: s.prompt
        ? { name: s.prompt.name, version: s.prompt.version, environment: s.prompt.environment ?? null }
        : null,
      model: s.model ?? null,
      userId: s.userId ?? null,
      sessionId: s.sessionId ?? null,
      usage: { input: s.usage?.input ?? 0, output: s.usage?.output ?? 0 },
      costUsd,
    },
  }));
}

/**
 * Whether a span passes the tail's filters. Span by span, where the list filters whole traces: a
 * trace whose prompt span arrives after its root shows up with that span.
 */
export function tailMatches(query: TraceTailQuery, { span, text: body }: PublishedSpan): boolean {
  if (query.prompt !== undefined && span.prompt?.name !== query.prompt) return false;
  if (query.version !== undefined && span.prompt?.version !== query.version) return false;
  if (query.env !== undefined && span.prompt?.environment !== query.env) return false;
  if (query.status !== undefined && span.status !== query.status) return false;
  if (query.userId !== undefined && span.userId !== query.userId) return false;
  if (query.sessionId !== undefined && span.sessionId !== query.sessionId) return false;
  if (query.model !== undefined && span.model !== query.model) return false;
  if (query.q !== undefined && !body.includes(query.q.toLowerCase())) return false;
  return true;
}

/** The matching spans grouped by trace: one event per trace. */
export function tailEvents(query: TraceTailQuery, spans: readonly PublishedSpan[]): TraceTailEvent[] {
  const byTrace = new Map<string, TailSpan[]>();
  for (const published of spans) {
    if (!tailMatches(query, published)) continue;
    const list = byTrace.get(published.traceId);
    if (list) list.push(published.span);
    else byTrace.set(published.traceId, [published.span]);
  }
  return [...byTrace].map(([traceId, list]) => ({ traceId, spans: list }));
}
