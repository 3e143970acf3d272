/**
 * The live tail of the trace list: spans are published here by the trace service once their batch
 * has committed (never before: a tail must not show what a rollback takes back), and every open
 * `GET /api/v1/traces/tail` stream of that project hears them, filtered by its own query.
 *
 * Across instances (PostgreSQL): the instance that wrote a batch tells the others through the
 * change feed — project, start range and `received_at` stamp, never span content — and an
 * instance with open tails of that project reads those spans back and publishes them to its
 * streams. An instance without a tail of the project reads nothing.
 *
 * A batch is announced only while another instance tails its project: an instance with open tails
 * of a project says so on the feed when the first opens and every 10 s while any stays open, and
 * writers believe it for 30 s. Without a tail anywhere, ingestion sends no NOTIFY at all. A tail
 * opened on one instance hears the others' batches from the moment they hear of it (the
 * notification's trip, milliseconds).
 */
import type { TraceTailEvent, TraceTailQuery } from '@promptline/core';
import type { ChangeFeed, SpansWritten } from '../live/change-feed.ts';
import type { PreparedSpan } from './rows.ts';
import type { StoredSpan } from './store.ts';

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
  /**
   * Spans this instance wrote in a committed batch (`batch` describes it): heard by this
   * instance's streams at once, and announced to the other instances when the feed spans them.
   */
  publish(projectId: number, spans: readonly PublishedSpan[], batch?: SpansWritten): void;
  /** Answers the function that unsubscribes. */
  subscribe(projectId: number, listener: Listener): () => void;
}

export interface TraceTailOptions {
  onListenerError?: (error: unknown) => void;
  /** The change feed: with `publishSpans`/`subscribeSpans` (PostgreSQL) tails span instances. */
  feed?: ChangeFeed | undefined;
  /** Reads another instance's batch back (the trace service); needed with a feed that spans instances. */
  readBatch?: ((batch: SpansWritten) => Promise<PublishedSpan[]>) | undefined;
  /** A failed read of another instance's batch (its spans are missed by this instance's tails). */
  onReadError?: (error: unknown) => void;
}

/** Spans remembered as already published, against a batch read twice (two batches stamped alike). */
const RECENT_SPANS = 20_000;
/** How often an instance with open tails of a project says so again; others believe it this long. */
const INTEREST_REPEAT_MS = 10_000;
const INTEREST_TTL_MS = 30_000;

/** Listeners per project; a listener that throws is reported and hurts no other. */
export function createTraceTail(options: TraceTailOptions = {}): TraceTail {
  const listeners = new Map<number, Set<Listener>>();
  const { feed, readBatch } = options;
  const recent = new Set<string>();

  function deliver(projectId: number, spans: readonly PublishedSpan[]) {
    const set = listeners.get(projectId);
    if (!set || spans.length === 0) return;
    for (const listener of [...set]) {
      try {
        listener(spans);
      } catch (error) {
        options.onListenerError?.(error);
      }
    }
  }

  /** The spans not published before; remembers them (the oldest forgotten beyond the bound). */
  function unseen(spans: readonly PublishedSpan[]): PublishedSpan[] {
    const fresh = spans.filter((p) => {
      const key = `${p.traceId}/${p.span.spanId}/${p.span.startTime}`;
      if (recent.has(key)) return false;
      recent.add(key);
      return true;
    });
    for (const key of recent) {
      if (recent.size <= RECENT_SPANS) break;
      recent.delete(key);
    }
    return fresh;
  }

  // Projects tailed on another instance, with when that news expires (performance.now()).
  const tailedElsewhere = new Map<number, number>();
  // A feed that cannot say where tails are open gets every batch announced.
  const hearsInterest = feed?.publishTailInterest !== undefined && feed.subscribeTailInterest !== undefined;
  feed?.subscribeTailInterest?.((projectId) => {
    tailedElsewhere.set(projectId, performance.now() + INTEREST_TTL_MS);
  });
  let repeat: NodeJS.Timeout | undefined;
  const announce = (projectId: number) => feed?.publishTailInterest?.(projectId);

  if (feed?.subscribeSpans && readBatch) {
    feed.subscribeSpans((batch) => {
      // Only an instance with a tail of that project reads the batch back.
      if (!listeners.has(batch.projectId)) return;
      readBatch(batch).then(
        (spans) => deliver(batch.projectId, unseen(spans)),
        (error: unknown) => options.onReadError?.(error),
      );
    });
  }

  return {
    publish(projectId, spans, batch) {
      deliver(projectId, spans);
      if (!batch || batch.count === 0) return;
      if (hearsInterest && (tailedElsewhere.get(projectId) ?? 0) <= performance.now()) return;
      feed?.publishSpans?.(batch);
    },
    subscribe(projectId, listener) {
      let set = listeners.get(projectId);
      if (!set) {
        set = new Set();
        listeners.set(projectId, set);
        announce(projectId);
        repeat ??= setInterval(() => {
          for (const tailed of listeners.keys()) announce(tailed);
        }, INTEREST_REPEAT_MS).unref();
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(projectId);
        if (listeners.size === 0 && repeat) {
          clearInterval(repeat);
          repeat = undefined;
        }
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

/** A stored span (another instance's, read back) as the tail publishes it. */
export function publishedFromRow(row: StoredSpan): PublishedSpan {
  const startMs = Number(row.start_ms);
  const endMs = Number(row.end_ms);
  const version = row.prompt_version === null ? null : Number(row.prompt_version);
  return {
    traceId: row.trace_id,
    // Input and output are stored as the JSON text `text()` makes of them in-process.
    text: `${row.name} ${row.input ?? ''} ${row.output ?? ''}`.toLowerCase(),
    span: {
      spanId: row.span_id,
      parentSpanId: row.parent_span_id,
      name: row.name,
      startTime: new Date(startMs).toISOString(),
      endTime: new Date(endMs).toISOString(),
      durationMs: Number(row.duration_ms),
      status: row.status === 'error' ? 'error' : 'ok',
      prompt:
        row.prompt_name !== null && version !== null
          ? { name: row.prompt_name, version, environment: row.environment }
          : null,
      model: row.model,
      userId: row.user_id,
      sessionId: row.session_id,
      usage: { input: Number(row.input_tokens ?? 0), output: Number(row.output_tokens ?? 0) },
      costUsd: row.cost_usd === null ? null : Number(row.cost_usd),
    },
  };
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
