/**
 * Traces read back: the list (one row per trace), one trace's spans as a tree, and the settings
 * that bound what is kept.
 */
import { z } from 'zod';
import { EnvironmentName, IsoInstant, MAX_INT32, PromptName } from '../schemas.ts';
import { MAX_SPAN_TEXT_LENGTH, Span, SpanId, TraceId } from './schemas.ts';

/** Cursor of the trace list: the `nextCursor` of the previous page (`<start ms>.<trace id>`). */
export const TraceCursor = z
  .string()
  .regex(/^\d{1,16}\.[0-9a-f]{32}$/, 'use the nextCursor of the previous page');

/** Query of `GET /api/v1/traces`: newest first; every filter narrows (they combine with AND). */
export const ListTracesQuery = z.object({
  /** The trace's prompt: the first prompt link that arrived for it. */
  prompt: PromptName.optional(),
  version: z.coerce.number().int().positive().max(MAX_INT32).optional(),
  env: EnvironmentName.optional(),
  /** `error`: at least one span failed; `ok`: none did. */
  status: z.enum(['ok', 'error']).optional(),
  userId: z.string().min(1).max(MAX_SPAN_TEXT_LENGTH).optional(),
  sessionId: z.string().min(1).max(MAX_SPAN_TEXT_LENGTH).optional(),
  model: z.string().min(1).max(MAX_SPAN_TEXT_LENGTH).optional(),
  /** Traces that started at or after `from` and before `to`. */
  from: IsoInstant.optional(),
  to: IsoInstant.optional(),
  /**
   * Free text, case-insensitive: traces with a span whose name, input or output contains it
   * (through SQLite's FTS5 trigram index and PostgreSQL's pg_trgm). Shorter than 3 characters, no
   * trigram index can serve it: it then matches the trace's name only.
   */
  q: z.string().min(1).max(200).optional(),
  /** Traces with a score of this name (on any of their spans). */
  score: z.string().min(1).max(200).optional(),
  /** With `score`: only numeric or boolean values at least / at most this (booleans are 0 and 1). */
  scoreMin: z.coerce.number().finite().optional(),
  scoreMax: z.coerce.number().finite().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: TraceCursor.optional(),
});

/** One trace in the list: its representative span (the root, else the earliest) and its totals. */
export const TraceSummary = z.object({
  traceId: TraceId,
  /** The root span's name (the earliest span's when no root arrived). */
  name: z.string(),
  rootSpanId: SpanId,
  startTime: z.string(),
  endTime: z.string(),
  /** From the earliest start to the latest end over the trace's spans. */
  durationMs: z.number(),
  /** `error` when any span failed. */
  status: z.enum(['ok', 'error']),
  prompt: z
    .object({ name: z.string(), version: z.number().int(), environment: z.string().nullable() })
    .nullable(),
  model: z.string().nullable(),
  userId: z.string().nullable(),
  sessionId: z.string().nullable(),
  usage: z.object({ input: z.number(), output: z.number() }),
  /** Sum over the spans whose cost is known; null when none is. */
  costUsd: z.number().nullable(),
  spanCount: z.number().int(),
  errorCount: z.number().int(),
});

/**
 * An event of the live tail (`GET /api/v1/traces/tail`): a trace that received spans, with the
 * totals of the spans just written (not the trace's running totals: the list merges them).
 */
export const TraceTailEvent = z.object({
  traceId: TraceId,
  spans: z.array(
    z.object({
      spanId: SpanId,
      parentSpanId: z.string().nullable(),
      name: z.string(),
      startTime: z.string(),
      endTime: z.string(),
      durationMs: z.number(),
      status: z.enum(['ok', 'error']),
      prompt: z
        .object({ name: z.string(), version: z.number().int(), environment: z.string().nullable() })
        .nullable(),
      model: z.string().nullable(),
      userId: z.string().nullable(),
      sessionId: z.string().nullable(),
      usage: z.object({ input: z.number(), output: z.number() }),
      costUsd: z.number().nullable(),
    }),
  ),
});

/** Query of the live tail: the list's filters that can be checked on a span as it arrives. */
export const TraceTailQuery = ListTracesQuery.pick({
  prompt: true,
  version: true,
  env: true,
  status: true,
  userId: true,
  sessionId: true,
  model: true,
  q: true,
});

export const TracePage = z.object({
  items: z.array(TraceSummary),
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: z.string().nullable(),
});

/** A span of a trace read back: its depth in the tree (0 for a root or a span whose parent is missing). */
export const TraceSpan = Span.extend({
  depth: z.number().int().nonnegative(),
  /**
   * The output contract verdict of a span that names a prompt version with a contract and has an
   * output (checked at ingest); absent when it was not checked.
   */
  contract: z.object({ violation: z.boolean(), message: z.string().nullable() }).optional(),
});

/** `GET /api/v1/traces/{traceId}`: the summary and every span, depth first, siblings by start. */
export const TraceDetail = TraceSummary.extend({ spans: z.array(TraceSpan) });

export const TraceParams = z.object({ traceId: TraceId });

/** Query of `GET /api/v1/traces/users`: end users over a window (default the last 7 days). */
export const TraceUsersQuery = z.object({
  from: IsoInstant.optional(),
  to: IsoInstant.optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});

/** One end user's volume and cost over the window (traces counted by their user, the first that arrived). */
export const TraceUser = z.object({
  userId: z.string(),
  traces: z.number().int(),
  errors: z.number().int(),
  usage: z.object({ input: z.number(), output: z.number() }),
  costUsd: z.number().nullable(),
  lastSeen: z.string(),
});

/** Answer of `GET /api/v1/traces/users`: most costly first. */
export const TraceUsers = z.object({ from: z.string(), to: z.string(), items: z.array(TraceUser) });

/** How long a project keeps spans. */
export const TraceSettings = z.object({
  /** Spans (and their scores) older than this many days are removed and refused at ingestion. */
  spanRetentionDays: z.number().int().min(1).max(3_650),
});

export type TraceCursor = z.infer<typeof TraceCursor>;
export type ListTracesQuery = z.infer<typeof ListTracesQuery>;
export type TraceSummary = z.infer<typeof TraceSummary>;
export type TracePage = z.infer<typeof TracePage>;
export type TraceTailEvent = z.infer<typeof TraceTailEvent>;
export type TraceTailQuery = z.infer<typeof TraceTailQuery>;
export type TraceSpan = z.infer<typeof TraceSpan>;
export type TraceDetail = z.infer<typeof TraceDetail>;
export type TraceSettings = z.infer<typeof TraceSettings>;
export type TraceUsersQuery = z.infer<typeof TraceUsersQuery>;
export type TraceUser = z.infer<typeof TraceUser>;
export type TraceUsers = z.infer<typeof TraceUsers>;
