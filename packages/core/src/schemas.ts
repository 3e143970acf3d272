/**
 * The contract: every request, response and stored shape of Promptline, written once as zod
 * schemas. The server validates and serialises with them (and derives its OpenAPI document from
 * them); the CLI, SDK and web app import the inferred types.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Names

/** Path-like prompt name: lowercase letters, digits, `-`, `_`, `.`; segments joined by `/`. */
export const PROMPT_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;

export const PromptName = z
  .string()
  .min(1)
  .max(200)
  .regex(
    PROMPT_NAME_PATTERN,
    'use lowercase letters, digits, "-", "_" and ".", with segments joined by "/" (e.g. support/triage)',
  );

export const EnvironmentName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lowercase letters, digits, "-" and "_" (e.g. production)');

export const Tag = z.string().min(1).max(64);

/** ISO-8601 timestamp with milliseconds and `Z`, as every response carries it. */
export const Timestamp = z.string();

/** Any JSON value (variables, parameters, metadata). */
export const JsonValue: z.ZodType<unknown> = z.unknown();

// ---------------------------------------------------------------------------------------------
// Versions

export const ChatRole = z.enum(['system', 'user', 'assistant', 'tool', 'developer']);

/** A message of a chat prompt; its content is a template. */
export const ChatTextMessage = z.object({
  role: ChatRole,
  content: z.string(),
});

/** A slot where the application injects a whole list of messages (e.g. the conversation so far). */
export const ChatPlaceholder = z.object({
  type: z.literal('placeholder'),
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'placeholder names are identifiers'),
});

export const ChatMessage = z.union([ChatPlaceholder, ChatTextMessage]);

/** Model configuration of a version: provider, model, parameters and the rest the provider needs. */
export const ModelConfig = z
  .object({
    provider: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    parameters: z.record(z.string(), JsonValue).optional(),
    responseFormat: JsonValue.optional(),
    tools: z.array(JsonValue).optional(),
  })
  .catchall(JsonValue);

export const TextContent = z.object({ type: z.literal('text'), template: z.string().max(1_000_000) });
export const ChatContent = z.object({ type: z.literal('chat'), messages: z.array(ChatMessage).min(1) });
/** What renders: a text template or a list of chat messages. */
export const VersionContent = z.discriminatedUnion('type', [TextContent, ChatContent]);

export const SemverBump = z.enum(['major', 'minor', 'patch']);
export const Semver = z.string().regex(/^\d+\.\d+\.\d+$/);

/** Body of `POST /api/v1/prompts/{name}/versions`. */
export const CreateVersionRequest = z.discriminatedUnion('type', [
  TextContent.extend({
    config: ModelConfig.optional(),
    message: z.string().max(2000).optional(),
    parent: z.number().int().positive().optional(),
    bump: SemverBump.optional(),
  }),
  ChatContent.extend({
    config: ModelConfig.optional(),
    message: z.string().max(2000).optional(),
    parent: z.number().int().positive().optional(),
    bump: SemverBump.optional(),
  }),
]);

const VersionBase = z.object({
  prompt: PromptName,
  number: z.number().int().positive(),
  semver: Semver,
  config: ModelConfig,
  /** Variable names the content uses (top-level names of `{{var}}`, sections and placeholders). */
  variables: z.array(z.string()),
  message: z.string(),
  author: z.string(),
  createdAt: Timestamp,
  /** The number of the version this one was edited from; null for the first. */
  parent: z.number().int().positive().nullable(),
  /** SHA-256 (hex) of the canonical JSON of `{type, template|messages, config}`. */
  hash: z.string(),
});

export const Version = z.discriminatedUnion('type', [
  VersionBase.extend(TextContent.shape),
  VersionBase.extend(ChatContent.shape),
]);

// ---------------------------------------------------------------------------------------------
// Prompts

export const CreatePromptRequest = z.object({
  name: PromptName,
  description: z.string().max(5000).optional(),
  owner: z.string().max(200).optional(),
  tags: z.array(Tag).max(50).optional(),
  /** Optional first version, created in the same transaction. */
  version: CreateVersionRequest.optional(),
});

export const UpdatePromptRequest = z.object({
  description: z.string().max(5000).optional(),
  owner: z.string().max(200).optional(),
  tags: z.array(Tag).max(50).optional(),
});

export const Prompt = z.object({
  name: PromptName,
  description: z.string(),
  owner: z.string(),
  tags: z.array(z.string()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  /** Number of the newest version; null while the prompt has none. */
  latestVersion: z.number().int().positive().nullable(),
  /** What each environment serves, by environment name. */
  deployments: z.record(z.string(), z.lazy(() => Release)).optional(),
});

// ---------------------------------------------------------------------------------------------
// Environments

export const Environment = z.object({
  name: EnvironmentName,
  description: z.string(),
  /** Order of promotion: development 10, staging 20, production 30. */
  rank: z.number().int(),
  protected: z.boolean(),
  archived: z.boolean(),
  createdAt: Timestamp,
});

export const CreateEnvironmentRequest = z.object({
  name: EnvironmentName,
  description: z.string().max(2000).optional(),
  rank: z.number().int().optional(),
  protected: z.boolean().optional(),
});

export const UpdateEnvironmentRequest = z.object({
  name: EnvironmentName.optional(),
  description: z.string().max(2000).optional(),
  rank: z.number().int().optional(),
  protected: z.boolean().optional(),
  archived: z.boolean().optional(),
});

// ---------------------------------------------------------------------------------------------
// Deployments

/** Weights are in basis points: 10 000 is 100%. */
export const Variant = z.object({
  version: z.number().int().positive(),
  weight: z.number().int().min(0).max(10_000),
});

/** What an environment serves for a prompt. */
export const Release = z.object({
  variants: z.array(Variant).min(1),
  /** Kill switch: a disabled release resolves to nothing (the SDK serves its fallback). */
  enabled: z.boolean(),
});

/** Body of `PUT /api/v1/prompts/{name}/deployments/{env}`: one version, or weighted variants. */
export const DeployRequest = z.union([
  z.object({
    version: z.number().int().positive(),
    reason: z.string().max(2000).optional(),
    enabled: z.boolean().optional(),
  }),
  z.object({
    variants: z.array(Variant).min(1).max(20),
    reason: z.string().max(2000).optional(),
    enabled: z.boolean().optional(),
  }),
]);

export const RollbackRequest = z.object({
  /** History entry id whose release to restore; default: the release live before the current one. */
  to: z.number().int().positive().optional(),
  reason: z.string().max(2000).optional(),
});

export const Deployment = z.object({
  prompt: PromptName,
  environment: EnvironmentName,
  variants: z.array(Variant),
  enabled: z.boolean(),
  /** Single version when the release has one variant, else null. */
  version: z.number().int().positive().nullable(),
  updatedAt: Timestamp,
  updatedBy: z.string(),
  /** Id of the history entry that made this release live. */
  historyId: z.number().int().positive(),
});

export const HistoryAction = z.enum(['deploy', 'rollback']);

/** One append-only entry of a deployment's history. */
export const HistoryEntry = z.object({
  id: z.number().int().positive(),
  prompt: PromptName,
  environment: EnvironmentName,
  action: HistoryAction,
  /** The release this entry made live. `version` is set when it has exactly one variant. */
  version: z.number().int().positive().nullable(),
  variants: z.array(Variant),
  enabled: z.boolean(),
  /** The release live before this entry, null for the first. */
  previous: z
    .object({ version: z.number().int().positive().nullable(), variants: z.array(Variant), enabled: z.boolean() })
    .nullable(),
  /** For a rollback, the history entry whose release was restored. */
  restoredFrom: z.number().int().positive().nullable(),
  actor: z.string(),
  reason: z.string().nullable(),
  at: Timestamp,
});

// ---------------------------------------------------------------------------------------------
// Resolution and rendering

export const ResolveResult = z.object({
  prompt: PromptName,
  environment: EnvironmentName,
  /** Index of the chosen variant in the release. */
  variant: z.number().int().min(0),
  /** Number of the chosen version (the whole version follows in `number`, `semver`, …). */
  version: z.number().int().positive(),
  number: z.number().int().positive(),
  semver: Semver,
  type: z.enum(['text', 'chat']),
  template: z.string().optional(),
  messages: z.array(ChatMessage).optional(),
  config: ModelConfig,
  variables: z.array(z.string()),
  hash: z.string(),
});

export const RenderRequest = z.object({
  env: EnvironmentName.optional(),
  version: z.number().int().positive().optional(),
  variables: z.record(z.string(), JsonValue).default({}),
  unit: z.string().max(500).optional(),
  strict: z.boolean().default(true),
});

export const RenderedMessage = z.object({ role: z.string(), content: z.string() }).catchall(JsonValue);

export const RenderResult = z.object({
  prompt: PromptName,
  version: z.number().int().positive(),
  semver: Semver,
  type: z.enum(['text', 'chat']),
  text: z.string().optional(),
  messages: z.array(RenderedMessage).optional(),
  config: ModelConfig,
  environment: EnvironmentName.nullable(),
  variant: z.number().int().min(0).nullable(),
});

/** A deployed prompt's content as carried in a snapshot. */
export const SnapshotVersion = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('text'),
    template: z.string(),
    number: z.number(),
    semver: Semver,
    config: ModelConfig,
    variables: z.array(z.string()),
    hash: z.string(),
  }),
  z.object({
    type: z.literal('chat'),
    messages: z.array(ChatMessage),
    number: z.number(),
    semver: Semver,
    config: ModelConfig,
    variables: z.array(z.string()),
    hash: z.string(),
  }),
]);

/**
 * Everything an SDK needs to resolve and render locally in one environment: every prompt deployed
 * there, its release, and the content of each version the release uses (and of the partials those
 * versions include).
 */
export const Snapshot = z.object({
  environment: EnvironmentName,
  etag: z.string(),
  generatedAt: Timestamp,
  prompts: z.record(
    z.string(),
    z.object({
      variants: z.array(Variant),
      enabled: z.boolean(),
      versions: z.record(z.string(), SnapshotVersion),
    }),
  ),
});

// ---------------------------------------------------------------------------------------------
// Diff

export const TextDiffPart = z.object({
  op: z.enum(['equal', 'insert', 'delete']),
  text: z.string(),
});

export const MessageDiff = z.object({
  /** `equal`, `changed`, `added` or `removed` message at this position. */
  op: z.enum(['equal', 'changed', 'added', 'removed']),
  from: ChatMessage.nullable(),
  to: ChatMessage.nullable(),
  /** Word-level diff of the content when both sides are text messages. */
  parts: z.array(TextDiffPart).optional(),
});

export const ConfigChange = z.object({
  /** Dotted key, e.g. `parameters.temperature`. */
  key: z.string(),
  op: z.enum(['added', 'removed', 'changed']),
  from: JsonValue.optional(),
  to: JsonValue.optional(),
});

export const VersionDiff = z.object({
  prompt: PromptName,
  from: z.number().int().positive(),
  to: z.number().int().positive(),
  fromSemver: Semver,
  toSemver: Semver,
  typeChanged: z.boolean(),
  /** Word-level parts when both versions are text (or one side rendered as text on a type change). */
  text: z.array(TextDiffPart).optional(),
  messages: z.array(MessageDiff).optional(),
  config: z.array(ConfigChange),
  variables: z.object({ added: z.array(z.string()), removed: z.array(z.string()) }),
});

// ---------------------------------------------------------------------------------------------
// Auth, audit, problems

export const Role = z.enum(['admin', 'editor', 'viewer']);

export const CreateApiKeyRequest = z.object({
  name: z.string().min(1).max(200),
  role: Role.default('editor'),
});

export const ApiKey = z.object({
  id: z.number().int().positive(),
  name: z.string(),
  role: Role,
  /** First characters of the key, to recognise it in lists. */
  prefix: z.string(),
  createdAt: Timestamp,
  revokedAt: Timestamp.nullable(),
  lastUsedAt: Timestamp.nullable(),
});

/** Returned once, at creation: the only time the secret is shown. */
export const CreatedApiKey = ApiKey.extend({ key: z.string() });

export const AuditEvent = z.object({
  id: z.number().int().positive(),
  actor: z.string(),
  action: z.string(),
  targetType: z.string(),
  target: z.string(),
  /** Before/after summary of what changed. */
  data: z.record(z.string(), JsonValue),
  at: Timestamp,
  prevHash: z.string(),
  hash: z.string(),
});

export const AuditVerification = z.object({
  ok: z.boolean(),
  checked: z.number().int(),
  /** Id of the first event whose hash or link does not match, when the chain is broken. */
  brokenAt: z.number().int().nullable(),
  reason: z.string().nullable(),
});

export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string(),
  instance: z.string().optional(),
  requestId: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
}).catchall(JsonValue);

/** Wrapper of every list response. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item) });
}

export type PromptName = z.infer<typeof PromptName>;
export type ChatMessage = z.infer<typeof ChatMessage>;
export type ChatTextMessage = z.infer<typeof ChatTextMessage>;
export type ChatPlaceholder = z.infer<typeof ChatPlaceholder>;
export type ModelConfig = z.infer<typeof ModelConfig>;
export type VersionContent = z.infer<typeof VersionContent>;
export type SemverBump = z.infer<typeof SemverBump>;
export type CreateVersionRequest = z.infer<typeof CreateVersionRequest>;
export type Version = z.infer<typeof Version>;
export type CreatePromptRequest = z.infer<typeof CreatePromptRequest>;
export type UpdatePromptRequest = z.infer<typeof UpdatePromptRequest>;
export type Prompt = z.infer<typeof Prompt>;
export type Environment = z.infer<typeof Environment>;
export type CreateEnvironmentRequest = z.infer<typeof CreateEnvironmentRequest>;
export type UpdateEnvironmentRequest = z.infer<typeof UpdateEnvironmentRequest>;
export type Variant = z.infer<typeof Variant>;
export type Release = z.infer<typeof Release>;
export type DeployRequest = z.infer<typeof DeployRequest>;
export type RollbackRequest = z.infer<typeof RollbackRequest>;
export type Deployment = z.infer<typeof Deployment>;
export type HistoryEntry = z.infer<typeof HistoryEntry>;
export type ResolveResult = z.infer<typeof ResolveResult>;
export type RenderRequest = z.infer<typeof RenderRequest>;
export type RenderedMessage = z.infer<typeof RenderedMessage>;
export type RenderResult = z.infer<typeof RenderResult>;
export type SnapshotVersion = z.infer<typeof SnapshotVersion>;
export type Snapshot = z.infer<typeof Snapshot>;
export type TextDiffPart = z.infer<typeof TextDiffPart>;
export type MessageDiff = z.infer<typeof MessageDiff>;
export type ConfigChange = z.infer<typeof ConfigChange>;
export type VersionDiff = z.infer<typeof VersionDiff>;
export type Role = z.infer<typeof Role>;
export type ApiKey = z.infer<typeof ApiKey>;
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;
export type AuditEvent = z.infer<typeof AuditEvent>;
export type AuditVerification = z.infer<typeof AuditVerification>;
export type Problem = z.infer<typeof Problem>;
