/**
 * The span model every way in (native batches, OpenTelemetry, the gateway, the SDK) maps to, the
 * scores attached to spans, and the limits of a batch. One contract: the server validates with
 * these, the SDK and CLI import their types.
 */
import { z } from 'zod';
import { EnvironmentName, IsoInstant, JsonValue, MAX_INT32, PromptName, RowId } from '../schemas.ts';
import {
  MAX_ATTRIBUTE_KEY_LENGTH,
  MAX_ATTRIBUTE_VALUE_LENGTH,
  MAX_SPAN_ATTRIBUTES,
  MAX_SPAN_TEXT_LENGTH,
  MAX_SPANS_PER_BATCH,
} from './limits.ts';

// The limits live in a zod-free module (the SDK bundles them without zod); this contract names them too.
export * from './limits.ts';

/** W3C trace id: 32 lowercase hex digits, not all zero. */
export const TraceId = z
  .string()
  .regex(/^[0-9a-f]{32}$/, 'use 32 lowercase hex digits (a W3C trace id)')
  .refine((id) => !/^0+$/.test(id), 'an all-zero trace id is invalid');
/** W3C span id: 16 lowercase hex digits, not all zero. */
export const SpanId = z
  .string()
  .regex(/^[0-9a-f]{16}$/, 'use 16 lowercase hex digits (a W3C span id)')
  .refine((id) => !/^0+$/.test(id), 'an all-zero span id is invalid');

/** A span time: ISO-8601 with a zone, or epoch milliseconds. */
export const SpanTime = z.union([IsoInstant, z.number().nonnegative().max(8_640_000_000_000_000)]);

/** A flat attribute value: a primitive or an array of primitives (as OpenTelemetry allows). */
const AttributePrimitive = z.union([
  z.string().max(MAX_ATTRIBUTE_VALUE_LENGTH),
  z.number(),
  z.boolean(),
  z.null(),
]);
export const AttributeValue = z.union([AttributePrimitive, z.array(AttributePrimitive).max(128)]);

export const SpanAttributes = z
  .record(z.string().min(1).max(MAX_ATTRIBUTE_KEY_LENGTH), AttributeValue)
  .refine((attributes) => Object.keys(attributes).length <= MAX_SPAN_ATTRIBUTES, {
    message: `at most ${MAX_SPAN_ATTRIBUTES} attributes`,
  });

const SpanText = z.string().min(1).max(MAX_SPAN_TEXT_LENGTH);
const TokenCount = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** Tokens of one call, as the provider counted them (or estimated, when `estimated`). */
export const SpanUsage = z.object({
  input: TokenCount,
  output: TokenCount,
  /** Input tokens read from the provider's cache (part of `input`). */
  cachedInput: TokenCount.optional(),
  /** Reasoning tokens (part of `output`). */
  reasoning: TokenCount.optional(),
  /** True when the tokens were counted with a tokenizer because the provider returned none. */
  estimated: z.boolean().optional(),
});

/** The prompt version a span's call was made with: what ties production back to the registry. */
export const SpanPromptLink = z.object({
  name: PromptName,
  version: z.number().int().positive().max(MAX_INT32),
  environment: EnvironmentName.optional(),
  /** Index of the variant the resolve chose (0 when the release has one version). */
  variant: z.number().int().nonnegative().max(1_000).optional(),
});

/** One span as a client sends it (`POST /api/v1/traces`, and what OTLP and the gateway map to). */
export const SpanInput = z.object({
  traceId: TraceId,
  spanId: SpanId,
  parentSpanId: SpanId.optional(),
  name: SpanText,
  startTime: SpanTime,
  endTime: SpanTime,
  status: z.enum(['ok', 'error']).default('ok'),
  statusMessage: z.string().max(MAX_ATTRIBUTE_VALUE_LENGTH).optional(),
  prompt: SpanPromptLink.optional(),
  /** The bucketing unit the variant was chosen for. */
  unit: SpanText.optional(),
  provider: SpanText.optional(),
  model: SpanText.optional(),
  usage: SpanUsage.optional(),
  /** Cost of the call; computed from the project's price table when absent. */
  costUsd: z.number().nonnegative().finite().optional(),
  /** Time to the first token of a streamed answer, in milliseconds. */
  timeToFirstTokenMs: z.number().nonnegative().finite().optional(),
  /** What went in (messages, text…) and came out; any JSON. */
  input: JsonValue.optional(),
  output: JsonValue.optional(),
  /** The variables the prompt was rendered with. */
  variables: z.record(z.string(), JsonValue).optional(),
  userId: SpanText.optional(),
  sessionId: SpanText.optional(),
  attributes: SpanAttributes.optional(),
});

/** Body of `POST /api/v1/traces`. */
export const TraceBatch = z.object({ spans: z.array(SpanInput).min(1).max(MAX_SPANS_PER_BATCH) });
/** Answer of `POST /api/v1/traces` (202): the spans are durable. */
export const TraceBatchAccepted = z.object({ accepted: z.number().int().nonnegative() });

// ---------------------------------------------------------------------------------------------
// Scores

/** Where a score came from: end-user feedback, an API client, an evaluator, or a reviewer of an annotation queue. */
export const ScoreSource = z.enum(['user', 'api', 'eval', 'human']);
export const ScoreDataType = z.enum(['numeric', 'boolean', 'categorical']);

/** Body of `POST /api/v1/scores`. */
export const CreateScoreRequest = z.object({
  traceId: TraceId,
  /** Without it the score belongs to the trace's first span that names a prompt. */
  spanId: SpanId.optional(),
  name: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9_.:-]+$/, 'use letters, digits, "_", ".", ":" and "-" (e.g. helpfulness)'),
  value: z.union([z.number().finite(), z.boolean(), z.string().min(1).max(200)]),
  comment: z.string().max(4_000).optional(),
  source: ScoreSource.default('api'),
});

export const Score = z.object({
  id: RowId,
  traceId: TraceId,
  spanId: SpanId.nullable(),
  name: z.string(),
  dataType: ScoreDataType,
  value: z.union([z.number(), z.boolean(), z.string()]),
  comment: z.string().nullable(),
  source: ScoreSource,
  createdAt: z.string(),
});

// ---------------------------------------------------------------------------------------------
// Spans read back

/** A stored span, as `GET /api/v1/traces/{traceId}` answers it. */
export const Span = SpanInput.omit({ startTime: true, endTime: true, status: true }).extend({
  startTime: z.string(),
  endTime: z.string(),
  durationMs: z.number(),
  status: z.enum(['ok', 'error']),
  costUsd: z.number().nullable(),
  /** True when `costUsd` was computed from the price table rather than sent. */
  costComputed: z.boolean(),
  /** Where the span came from. */
  source: z.enum(['api', 'otel', 'gateway', 'sdk']),
  scores: z.array(Score),
});

/** Body of `POST /api/v1/traces/{traceId}/feedback-tokens`: how long the token lives. */
export const MintFeedbackTokenRequest = z.object({
  ttlSeconds: z
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(3_600),
});

/** A write-only token for user feedback on one trace, safe to hand to a browser. */
export const FeedbackToken = z.object({ token: z.string(), traceId: TraceId, expiresAt: z.string() });

/** Body of `POST /api/v1/feedback` (no API key: the token says which trace, until when). */
export const FeedbackRequest = CreateScoreRequest.pick({
  spanId: true,
  name: true,
  value: true,
  comment: true,
}).extend({
  token: z.string().min(1).max(2_000),
});

export type TraceId = z.infer<typeof TraceId>;
export type SpanId = z.infer<typeof SpanId>;
export type SpanTime = z.infer<typeof SpanTime>;
export type AttributeValue = z.infer<typeof AttributeValue>;
export type SpanAttributes = z.infer<typeof SpanAttributes>;
export type SpanUsage = z.infer<typeof SpanUsage>;
export type SpanPromptLink = z.infer<typeof SpanPromptLink>;
/** A span as parsed (defaults applied). */
export type SpanInput = z.infer<typeof SpanInput>;
/** A span as a client may write it (`status` optional). */
export type SpanInputDraft = z.input<typeof SpanInput>;
export type TraceBatch = z.infer<typeof TraceBatch>;
export type TraceBatchAccepted = z.infer<typeof TraceBatchAccepted>;
export type ScoreSource = z.infer<typeof ScoreSource>;
export type ScoreDataType = z.infer<typeof ScoreDataType>;
export type CreateScoreRequest = z.infer<typeof CreateScoreRequest>;
export type MintFeedbackTokenRequest = z.infer<typeof MintFeedbackTokenRequest>;
export type FeedbackToken = z.infer<typeof FeedbackToken>;
export type FeedbackRequest = z.infer<typeof FeedbackRequest>;
export type Score = z.infer<typeof Score>;
export type Span = z.infer<typeof Span>;

/** Epoch milliseconds of a span time (ISO-8601 or epoch ms). */
export function spanTimeMs(time: SpanTime): number {
  return typeof time === 'number' ? time : Date.parse(time);
}
