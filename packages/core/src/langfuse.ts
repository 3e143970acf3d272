/**
 * The Langfuse-compatible public API (`/api/public/v2/prompts…`, `/api/public/ingestion`): the
 * request and response shapes as Langfuse's public API documents them, so the Langfuse SDKs work
 * against Promptline unchanged. Labels are Promptline environments; `latest` is the newest version.
 */
import { z } from 'zod';
import { IsoInstant, JsonValue, MAX_INT32 } from './schemas.ts';

/** The label Langfuse keeps on the newest version of every prompt. */
export const LANGFUSE_LATEST_LABEL = 'latest';
/** The label served when a client names neither a label nor a version. */
export const LANGFUSE_DEFAULT_LABEL = 'production';

const LangfuseVersionNumber = z.coerce.number().int().positive().max(MAX_INT32);

/** `{type: "placeholder", name}`: where the application injects a list of messages. */
export const LangfusePlaceholderMessage = z.object({ type: z.literal('placeholder'), name: z.string() });
/** A chat message; Langfuse SDKs send `type: "chatmessage"` with it, older ones nothing. */
export const LangfuseChatMessage = z.object({
  type: z.literal('chatmessage').optional(),
  role: z.string(),
  content: z.string(),
});
export const LangfuseChatMessageWithPlaceholders = z.union([LangfusePlaceholderMessage, LangfuseChatMessage]);

const LangfusePromptBase = z.object({
  name: z.string(),
  version: z.number().int(),
  config: JsonValue,
  labels: z.array(z.string()),
  tags: z.array(z.string()),
  commitMessage: z.string().nullable(),
  /** Prompt composition graph; Promptline composes with `{{> partial}}` instead and answers null. */
  resolutionGraph: z.record(z.string(), JsonValue).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  createdBy: z.string(),
});

/** A prompt version as `GET /api/public/v2/prompts/{name}` answers it. */
export const LangfusePrompt = z.discriminatedUnion('type', [
  LangfusePromptBase.extend({ type: z.literal('text'), prompt: z.string() }),
  LangfusePromptBase.extend({
    type: z.literal('chat'),
    prompt: z.array(LangfuseChatMessageWithPlaceholders),
  }),
]);
export type LangfusePrompt = z.infer<typeof LangfusePrompt>;

/** Query of `GET /api/public/v2/prompts/{name}`: a label or a version, not both. */
export const LangfuseGetPromptQuery = z.object({
  version: LangfuseVersionNumber.optional(),
  label: z.string().min(1).max(200).optional(),
});

/** Query of `GET /api/public/v2/prompts`. */
export const LangfuseListPromptsQuery = z.object({
  name: z.string().optional(),
  label: z.string().optional(),
  tag: z.string().optional(),
  page: z.coerce.number().int().positive().max(MAX_INT32).default(1),
  limit: z.coerce.number().int().positive().max(100).default(50),
  fromUpdatedAt: IsoInstant.optional(),
  toUpdatedAt: IsoInstant.optional(),
});
export type LangfuseListPromptsQuery = z.infer<typeof LangfuseListPromptsQuery>;

/** One prompt of the list: its versions and labels (after the filters). */
export const LangfusePromptMeta = z.object({
  name: z.string(),
  type: z.enum(['text', 'chat']),
  versions: z.array(z.number().int()),
  labels: z.array(z.string()),
  tags: z.array(z.string()),
  lastUpdatedAt: z.string(),
  lastConfig: JsonValue,
});
export type LangfusePromptMeta = z.infer<typeof LangfusePromptMeta>;

export const LangfusePageMeta = z.object({
  page: z.number().int(),
  limit: z.number().int(),
  totalItems: z.number().int(),
  totalPages: z.number().int(),
});

export const LangfusePromptMetaList = z.object({ data: z.array(LangfusePromptMeta), meta: LangfusePageMeta });

const CreateBase = z.object({
  name: z.string().min(1),
  config: JsonValue.optional(),
  labels: z.array(z.string()).max(50).optional(),
  tags: z.array(z.string()).max(50).optional(),
  commitMessage: z.string().max(2000).nullish(),
});

/**
 * Body of `POST /api/public/v2/prompts`: a new version (and the prompt, when it is new). Without
 * `type` it is a text prompt, as in Langfuse.
 */
export const LangfuseCreatePromptRequest = z.union([
  CreateBase.extend({ type: z.literal('chat'), prompt: z.array(LangfuseChatMessageWithPlaceholders).min(1) }),
  CreateBase.extend({ type: z.literal('text').optional(), prompt: z.string().max(1_000_000) }),
]);
export type LangfuseCreatePromptRequest = z.infer<typeof LangfuseCreatePromptRequest>;

/** Body of `PATCH /api/public/v2/prompts/{name}/versions/{version}`. */
export const LangfuseUpdateLabelsRequest = z.object({ newLabels: z.array(z.string()).max(50) });

export const LangfuseVersionParams = z.object({ name: z.string().min(1), version: LangfuseVersionNumber });

// ---------------------------------------------------------------------------------------------
// Ingestion

/** The event types `POST /api/public/ingestion` maps; others are answered with a per-event error. */
export const LANGFUSE_EVENT_TYPES = [
  'trace-create',
  'span-create',
  'span-update',
  'generation-create',
  'generation-update',
  'event-create',
  'score-create',
  'sdk-log',
] as const;

/**
 * One event of a batch, checked loosely here (a bad event is one entry of the 207's `errors`, not
 * a refused batch); its body is checked by its type when mapped.
 */
export const LangfuseIngestionEvent = z.object({
  id: z.string().min(1).max(200),
  type: z.string(),
  timestamp: z.string().optional(),
  body: z.record(z.string(), JsonValue),
});
export type LangfuseIngestionEvent = z.infer<typeof LangfuseIngestionEvent>;

/** Body of `POST /api/public/ingestion`. */
export const LangfuseIngestionRequest = z.object({
  batch: z.array(z.unknown()).max(1_000),
  metadata: JsonValue.optional(),
});

/** The 207 answer: one entry per event, in `successes` or `errors`. */
export const LangfuseIngestionResponse = z.object({
  successes: z.array(z.object({ id: z.string(), status: z.number().int() })),
  errors: z.array(
    z.object({
      id: z.string(),
      status: z.number().int(),
      message: z.string().optional(),
      error: JsonValue.optional(),
    }),
  ),
});
export type LangfuseIngestionResponse = z.infer<typeof LangfuseIngestionResponse>;

const LangfuseTime = z.union([IsoInstant, z.number().nonnegative()]);
const Text = z.string().max(1_024);

/** `trace-create` (also how Langfuse updates a trace: the same id again). */
export const LangfuseTraceBody = z.object({
  id: z.string().min(1).max(200),
  timestamp: LangfuseTime.nullish(),
  name: Text.nullish(),
  userId: Text.nullish(),
  sessionId: Text.nullish(),
  release: Text.nullish(),
  version: Text.nullish(),
  environment: Text.nullish(),
  input: JsonValue.optional(),
  output: JsonValue.optional(),
  metadata: JsonValue.optional(),
  tags: z.array(z.string()).nullish(),
  public: z.boolean().nullish(),
});
export type LangfuseTraceBody = z.infer<typeof LangfuseTraceBody>;

const TokenCount = z.number().int().nonnegative().nullish();

/** `usage` in its Langfuse (`input`/`output`) and OpenAI (`promptTokens`/`completionTokens`) spellings. */
export const LangfuseUsage = z.object({
  input: TokenCount,
  output: TokenCount,
  total: TokenCount,
  unit: z.string().nullish(),
  inputCost: z.number().nonnegative().nullish(),
  outputCost: z.number().nonnegative().nullish(),
  totalCost: z.number().nonnegative().nullish(),
  promptTokens: TokenCount,
  completionTokens: TokenCount,
  totalTokens: TokenCount,
});

/** Body of `span-*`, `generation-*` and `event-create`: one observation, whole or in part. */
export const LangfuseObservationBody = z.object({
  id: z.string().min(1).max(200),
  traceId: z.string().min(1).max(200).nullish(),
  parentObservationId: z.string().min(1).max(200).nullish(),
  name: Text.nullish(),
  startTime: LangfuseTime.nullish(),
  endTime: LangfuseTime.nullish(),
  completionStartTime: LangfuseTime.nullish(),
  level: z.enum(['DEBUG', 'DEFAULT', 'WARNING', 'ERROR']).nullish(),
  statusMessage: z.string().max(16_384).nullish(),
  version: Text.nullish(),
  environment: Text.nullish(),
  input: JsonValue.optional(),
  output: JsonValue.optional(),
  metadata: JsonValue.optional(),
  model: Text.nullish(),
  modelParameters: z.record(z.string(), JsonValue).nullish(),
  usage: LangfuseUsage.nullish(),
  usageDetails: z.record(z.string(), z.number().nonnegative()).nullish(),
  costDetails: z.record(z.string(), z.number().nonnegative()).nullish(),
  promptName: z.string().nullish(),
  promptVersion: z.number().int().positive().max(MAX_INT32).nullish(),
});
export type LangfuseObservationBody = z.infer<typeof LangfuseObservationBody>;

/** `score-create`: a number, a category, or a boolean as 0/1 (`dataType: "BOOLEAN"`). */
export const LangfuseScoreBody = z.object({
  id: z.string().min(1).max(200).nullish(),
  traceId: z.string().min(1).max(200),
  observationId: z.string().min(1).max(200).nullish(),
  name: z.string().min(1).max(100),
  value: z.union([z.number().finite(), z.string().min(1).max(200)]),
  dataType: z.enum(['NUMERIC', 'CATEGORICAL', 'BOOLEAN']).nullish(),
  comment: z.string().max(4_000).nullish(),
});
export type LangfuseScoreBody = z.infer<typeof LangfuseScoreBody>;

// ---------------------------------------------------------------------------------------------
// Import from Langfuse

/**
 * One prompt version of a Langfuse export: what `GET /api/public/v2/prompts/{name}?version=n`
 * answers (other fields are ignored). `promptline import-langfuse` reads a list of them.
 */
export const LangfuseExportedPrompt = z.object({
  name: z.string().min(1),
  version: z.number().int().positive().max(MAX_INT32),
  type: z.enum(['text', 'chat']).optional(),
  prompt: z.union([z.string(), z.array(LangfuseChatMessageWithPlaceholders).min(1)]),
  config: JsonValue.optional(),
  labels: z.array(z.string()).optional(),
  tags: z.array(z.string()).optional(),
  commitMessage: z.string().nullish(),
});
export type LangfuseExportedPrompt = z.infer<typeof LangfuseExportedPrompt>;

/** A Langfuse export file: the versions as a JSON array, or under `data` or `prompts`. */
export const LangfuseExport = z.union([
  z.array(LangfuseExportedPrompt),
  z.object({ data: z.array(LangfuseExportedPrompt) }),
  z.object({ prompts: z.array(LangfuseExportedPrompt) }),
]);
