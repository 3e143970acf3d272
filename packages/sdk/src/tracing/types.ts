/** Public shapes of the SDK's tracing: what `record`, `trace`, `score` and the wrappers take. */
import type { AttributeValue, ScoreSource, SpanPromptLink, SpanUsage } from '@promptline/core';
import type { PromptSource } from '../types.ts';

/**
 * The prompt version a call was made with. Pass what `client.prompt()` answered: its name,
 * version, environment and variant become the span's link to the registry. A fallback prompt
 * (version 0) links nothing.
 */
export type PromptRef =
  | {
      readonly name: string;
      readonly version: number;
      readonly variant?: number;
      readonly environment?: string;
      readonly source?: PromptSource;
    }
  | SpanPromptLink;

/** A time as a `Date`, epoch milliseconds or an ISO-8601 string. */
export type TimeInput = Date | number | string;

/** What a span says about the call it records; every field is optional. */
export interface SpanFields {
  /** The prompt version used (see {@link PromptRef}). */
  prompt?: PromptRef;
  /** The bucketing unit the variant was chosen for (the `unit` given to `client.prompt`). */
  unit?: string;
  provider?: string;
  model?: string;
  usage?: SpanUsage;
  /** Cost of the call; the server computes it from its price table when absent. */
  costUsd?: number;
  /** Time to the first token of a streamed answer, in milliseconds. */
  timeToFirstTokenMs?: number;
  /** What went in (messages, text…) and what came out: any JSON. */
  input?: unknown;
  output?: unknown;
  /** The variables the prompt was rendered with. */
  variables?: Record<string, unknown>;
  userId?: string;
  sessionId?: string;
  /** Flat attributes: primitives or arrays of primitives. */
  attributes?: Record<string, AttributeValue>;
  status?: 'ok' | 'error';
  statusMessage?: string;
  /** Marks the span as failed with this error's message. */
  error?: unknown;
}

/** Where a span sits in its trace. */
export interface SpanRef {
  readonly traceId: string;
  readonly spanId: string;
}

/** Input of `record()`: a span as the contract describes it; ids and times are filled when absent. */
export interface RecordInput extends SpanFields {
  name: string;
  /** Defaults to the active trace's (inside `trace()`), else a new random one. */
  traceId?: string;
  /** Defaults to a new random one. */
  spanId?: string;
  /** Defaults to the active span (inside `trace()`); `null` makes a root span. */
  parentSpanId?: string | null;
  /** Defaults to `endTime - durationMs`, else `endTime`. */
  startTime?: TimeInput;
  /** Defaults to now. */
  endTime?: TimeInput;
  durationMs?: number;
}

/** The span of a running `trace()`: add what you learn while it runs. */
export interface ActiveSpan extends SpanRef {
  /** Merges `fields` into the span; later values win (attributes are merged key by key). */
  set(fields: SpanFields): void;
}

/** Options of `trace()`. */
export interface TraceOptions extends SpanFields {
  /** The parent span; by default the active one (AsyncLocalStorage), else a new trace. */
  parent?: SpanRef | null;
}

/** Options of the OpenAI and Anthropic wrappers: what each recorded call is tagged with. */
export interface GenerationOptions {
  /** Span name (default `openai.chat.completions` / `anthropic.messages`). */
  name?: string;
  prompt?: PromptRef;
  unit?: string;
  variables?: Record<string, unknown>;
  userId?: string;
  sessionId?: string;
  /** Provider name on the span (default `openai` / `anthropic`). */
  provider?: string;
  attributes?: Record<string, AttributeValue>;
  /** Parent span; by default the active one. */
  parent?: SpanRef | null;
  /** Leave `input`/`output` off the span (e.g. personal data); usage, model and timing stay. */
  recordContent?: boolean;
}

/** Input of `score()`. */
export interface ScoreInput {
  traceId: string;
  /** Without it the score belongs to the trace's first span that names a prompt. */
  spanId?: string;
  /** Letters, digits, `_ . : -` (e.g. `helpfulness`). */
  name: string;
  value: number | boolean | string;
  comment?: string;
  /** `api` by default; `user` for end-user feedback. */
  source?: ScoreSource;
}

/** Options of tracing (`createClient({ tracing })` or `createTracer`). */
export interface TracingOptions {
  /** False turns recording into a no-op (default true). */
  enabled?: boolean;
  /** Every this many ms, what is queued is sent (default 1 000). */
  flushIntervalMs?: number;
  /** A batch leaves as soon as this many spans wait (default 500, at most 1 000). */
  maxBatchSize?: number;
  /** Spans kept while the server is unreachable; beyond it the oldest are dropped (default 10 000). */
  maxQueueSize?: number;
  /** Timeout of one export request (default 10 000 ms). */
  requestTimeoutMs?: number;
  /** Retry backoff of export (defaults: 500 ms base, 30 000 ms cap, full jitter). */
  retry?: { baseMs?: number; maxMs?: number };
  /** How long `close()` keeps trying to send what is queued (default 5 000 ms). */
  closeTimeoutMs?: number;
}
