/**
 * The contract: every request, response and stored shape of Promptline, written once as zod
 * schemas. The server validates and serialises with them (and derives its OpenAPI document from
 * them); the CLI, SDK and web app import the inferred types.
 *
 * Over 500 lines because it is the registry's whole contract in one place (names, versions,
 * deployments, resolution, keys, audit, pages), read top to bottom as the API's reference. Newer
 * capabilities keep their contract in their own folder (`traces/schemas.ts`, `traces/metrics.ts`);
 * splitting this file by the same sections is the next step when it is next changed.
 */
import { z } from 'zod';
import { AuditHead, TamperedRow } from './audit-seal.ts';
import { InputContract, OutputContract } from './contract/shapes.ts';
import { EnvironmentPolicy, PolicyPreset } from './policy.ts';
import { ContextAttributes, SegmentDefinition, Targeting } from './targeting-schema.ts';

// ---------------------------------------------------------------------------------------------
// Bounds every number a client sends must respect: rows ids, version numbers and counters are
// PostgreSQL `integer`s, so a larger value must be refused here (422), never reach the database (500).

/** Largest id, version number or counter the databases store (PostgreSQL `integer`). */
export const MAX_INT32 = 2_147_483_647;

/** A row id or version number in a body. */
export const RowId = z.number().int().positive().max(MAX_INT32);

/** A row id or version number in a path or query (text on the wire). */
export const RowIdParam = z.coerce.number().int().positive().max(MAX_INT32);

/** A signed whole number that fits a PostgreSQL `integer` (e.g. an environment's rank). */
export const Int32 = z
  .number()
  .int()
  .min(-MAX_INT32 - 1)
  .max(MAX_INT32);

/** The `cursor` of a paged list: the `nextCursor` of the previous page (a row id). */
export const PageCursor = z
  .string()
  .regex(/^\d{1,10}$/, 'use the nextCursor of the previous page')
  .refine((value) => Number(value) <= MAX_INT32, 'use the nextCursor of the previous page');

// ---------------------------------------------------------------------------------------------
// Names

/** The longest prompt or dataset name; also the longest path parameter the server's router accepts. */
export const MAX_NAME_LENGTH = 200;

/** Path-like prompt name: lowercase letters, digits, `-`, `_`, `.`; segments joined by `/`. */
export const PROMPT_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;

export const PromptName = z
  .string()
  .min(1)
  .max(MAX_NAME_LENGTH)
  .regex(
    PROMPT_NAME_PATTERN,
    'use lowercase letters, digits, "-", "_" and ".", with segments joined by "/" (e.g. support/triage)',
  );

/**
 * A branch of a prompt: path-like like prompt names (`experiment/shorter`), at most 100
 * characters; `main` names the main line and is no branch name.
 */
export const BranchName = z
  .string()
  .min(1)
  .max(100)
  .regex(
    PROMPT_NAME_PATTERN,
    'use lowercase letters, digits, "-", "_" and ".", with segments joined by "/" (e.g. experiment/shorter)',
  )
  .refine((name) => name !== 'main', '"main" is the main line, not a branch: pick another name')
  .refine((name) => !name.includes('..'), 'a branch name has no ".."');

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
    /** Typed inputs: the variables' schema (Picoschema or JSON Schema), checked at every render. */
    input: InputContract.optional(),
    /** Output contract: JSON (with a schema) or text constraints, an implicit assertion of every eval. */
    output: OutputContract.optional(),
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
    parent: RowId.optional(),
    bump: SemverBump.optional(),
    /** The branch to save on (its head is what `parent` is checked against); the main line when absent. */
    branch: BranchName.optional(),
  }),
  ChatContent.extend({
    config: ModelConfig.optional(),
    message: z.string().max(2000).optional(),
    parent: RowId.optional(),
    bump: SemverBump.optional(),
    /** The branch to save on (its head is what `parent` is checked against); the main line when absent. */
    branch: BranchName.optional(),
  }),
]);

const VersionBase = z.object({
  prompt: PromptName,
  number: RowId,
  semver: Semver,
  config: ModelConfig,
  /** Variable names the content uses (top-level names of `{{var}}`, sections and placeholders). */
  variables: z.array(z.string()),
  message: z.string(),
  author: z.string(),
  createdAt: Timestamp,
  /** The number of the version this one was edited from; null for the first. */
  parent: RowId.nullable(),
  /** Every parent: `[parent]`, `[]` for the first, and for a merge `[target head, merged head]`. */
  parents: z.array(RowId).optional(),
  /** The branch the version was saved on; null (or absent) on the main line. */
  branch: BranchName.nullable().optional(),
  /** SHA-256 (hex) of the canonical JSON of `{type, template|messages, config}`. */
  hash: z.string(),
});

export const Version = z.discriminatedUnion('type', [
  VersionBase.extend(TextContent.shape),
  VersionBase.extend(ChatContent.shape),
]);

// ---------------------------------------------------------------------------------------------
// Prompts

/** Emails of who may approve the prompt's deploys where an environment's policy says `reviewers: "prompt"`. */
const PromptReviewers = z
  .array(
    z
      .email()
      .max(320)
      .transform((e) => e.toLowerCase()),
  )
  .max(50);
/** Who is told of the prompt's production changes: emails or team names, carried in `deployment.changed`. */
const PromptStakeholders = z.array(z.string().trim().min(1).max(200)).max(50);

export const CreatePromptRequest = z.object({
  name: PromptName,
  description: z.string().max(5000).optional(),
  owner: z.string().max(200).optional(),
  tags: z.array(Tag).max(50).optional(),
  reviewers: PromptReviewers.optional(),
  stakeholders: PromptStakeholders.optional(),
  /** Optional first version, created in the same transaction. */
  version: CreateVersionRequest.optional(),
});

export const UpdatePromptRequest = z.object({
  description: z.string().max(5000).optional(),
  owner: z.string().max(200).optional(),
  tags: z.array(Tag).max(50).optional(),
  /** Replaces the list. */
  reviewers: PromptReviewers.optional(),
  /** Replaces the list. */
  stakeholders: PromptStakeholders.optional(),
  /**
   * true archives the prompt: it leaves the registry's lists and takes no new versions, keeping its
   * versions, history and audit trail; false restores it. Refused while an environment serves it.
   */
  archived: z.boolean().optional(),
});

export const Prompt = z.object({
  name: PromptName,
  description: z.string(),
  owner: z.string(),
  tags: z.array(z.string()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  /** Number of the newest main-line version (branches have heads of their own); null while it has none. */
  latestVersion: RowId.nullable(),
  /** Who may approve its deploys under a `reviewers: "prompt"` policy (emails). */
  reviewers: z.array(z.string()).optional(),
  /** Who is told of its production changes. */
  stakeholders: z.array(z.string()).optional(),
  /** When the prompt was archived (absent or null while it is in use). */
  archivedAt: Timestamp.nullable().optional(),
  /** What each environment serves, by environment name. */
  deployments: z
    .record(
      z.string(),
      z.lazy(() => Release),
    )
    .optional(),
});

// ---------------------------------------------------------------------------------------------
// Environments

export const Environment = z.object({
  name: EnvironmentName,
  description: z.string(),
  /** Order of promotion: development 10, staging 20, production 30. */
  rank: Int32,
  protected: z.boolean(),
  archived: z.boolean(),
  createdAt: Timestamp,
  /** What a deploy here must satisfy; `{}` (the default) requires nothing. */
  policy: EnvironmentPolicy,
});

export const CreateEnvironmentRequest = z.object({
  name: EnvironmentName,
  description: z.string().max(2000).optional(),
  rank: Int32.optional(),
  protected: z.boolean().optional(),
});

export const UpdateEnvironmentRequest = z.object({
  name: EnvironmentName.optional(),
  description: z.string().max(2000).optional(),
  rank: Int32.optional(),
  protected: z.boolean().optional(),
  archived: z.boolean().optional(),
  /** Replaces the policy (`{}` clears it). */
  policy: EnvironmentPolicy.optional(),
  /** Applies a preset: `protected` (one approval by someone else, eval gate; sets `protected`) or `none`. */
  policyPreset: PolicyPreset.optional(),
});

// ---------------------------------------------------------------------------------------------
// Deployments

/** Weights are in basis points: 10 000 is 100%. */
export const Variant = z.object({
  version: RowId,
  weight: z.number().int().min(0).max(10_000),
});

/** What an environment serves for a prompt. */
export const Release = z.object({
  variants: z.array(Variant).min(1),
  /** Kill switch: a disabled release resolves to nothing (the SDK serves its fallback). */
  enabled: z.boolean(),
  /** Pins and rules tried before the weighted split (absent: none). */
  targeting: Targeting.optional(),
});

/** Body of `PUT /api/v1/prompts/{name}/deployments/{env}`: one version, or weighted variants. */
/**
 * Make the change even though it breaks the environment's partial graph (a served prompt would
 * include a partial the environment does not serve, or partials would form a cycle). Recorded as
 * `forced` in the history entry and the audit event.
 */
const Force = z.boolean().optional();

export const DeployRequest = z.union([
  z.object({
    version: RowId,
    reason: z.string().max(2000).optional(),
    enabled: z.boolean().optional(),
    force: Force,
    /** Pins and rules tried before the weighted split; absent or empty: none. */
    targeting: Targeting.optional(),
  }),
  z.object({
    variants: z.array(Variant).min(1).max(20),
    reason: z.string().max(2000).optional(),
    enabled: z.boolean().optional(),
    force: Force,
    /** Pins and rules tried before the weighted split; absent or empty: none. */
    targeting: Targeting.optional(),
  }),
]);

export const RollbackRequest = z.object({
  /** History entry id whose release to restore; default: the release live before the current one. */
  to: RowId.optional(),
  reason: z.string().max(2000).optional(),
  force: Force,
});

export const Deployment = z.object({
  prompt: PromptName,
  environment: EnvironmentName,
  variants: z.array(Variant),
  enabled: z.boolean(),
  targeting: Targeting.optional(),
  /** Single version when the release has one variant, else null. */
  version: RowId.nullable(),
  updatedAt: Timestamp,
  updatedBy: z.string(),
  /** Id of the history entry that made this release live. */
  historyId: RowId,
});

export const HistoryAction = z.enum(['deploy', 'rollback']);

/** One append-only entry of a deployment's history. */
export const HistoryEntry = z.object({
  id: RowId,
  prompt: PromptName,
  environment: EnvironmentName,
  action: HistoryAction,
  /** The release this entry made live. `version` is set when it has exactly one variant. */
  version: RowId.nullable(),
  variants: z.array(Variant),
  enabled: z.boolean(),
  targeting: Targeting.optional(),
  /** The release live before this entry, null for the first. */
  previous: z
    .object({
      version: RowId.nullable(),
      variants: z.array(Variant),
      enabled: z.boolean(),
      targeting: Targeting.optional(),
    })
    .nullable(),
  /** For a rollback, the history entry whose release was restored. */
  restoredFrom: RowId.nullable(),
  actor: z.string(),
  reason: z.string().nullable(),
  /** Made with `force: true` over a refusal of the partial check. */
  forced: z.boolean(),
  at: Timestamp,
  /** The deployment request that made the change; null for a direct one. */
  requestId: RowId.nullable().optional(),
  /** Who approved that request. */
  approvedBy: z.array(z.string()).nullable().optional(),
});

// ---------------------------------------------------------------------------------------------
// Resolution and rendering

export const ResolveResult = z.object({
  prompt: PromptName,
  environment: EnvironmentName,
  /**
   * Index of the chosen version in the release's served list: its variants, then the versions only
   * its targeting serves (`targetedVersions`), so a value ≥ the number of variants is a targeted one.
   */
  variant: z.number().int().min(0),
  /** Number of the chosen version (the whole version follows in `number`, `semver`, …). */
  version: RowId,
  number: RowId,
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
  version: RowId.optional(),
  variables: z.record(z.string(), JsonValue).default({}),
  unit: z.string().max(500).optional(),
  /** Context attributes the release's targeting rules read (`plan`, `country`…). */
  attributes: ContextAttributes.optional(),
  strict: z.boolean().default(true),
});

export const RenderedMessage = z.object({ role: z.string(), content: z.string() }).catchall(JsonValue);

export const RenderResult = z.object({
  prompt: PromptName,
  version: RowId,
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
      /** Pins and rules, evaluated before the split (`chooseServed`); absent when none. */
      targeting: Targeting.optional(),
      versions: z.record(z.string(), SnapshotVersion),
    }),
  ),
  /** The project segments the prompts' rules name, by name; absent when none. */
  segments: z.record(z.string(), SegmentDefinition).optional(),
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
  from: RowId,
  to: RowId,
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

/**
 * A member's or key's role in a project, least first: viewer < reviewer < editor < admin. A
 * reviewer is a viewer who may approve deployment requests.
 */
export const Role = z.enum(['admin', 'editor', 'reviewer', 'viewer']);

export const CreateApiKeyRequest = z.object({
  name: z.string().min(1).max(200),
  role: Role.default('editor'),
  /**
   * Email of the user the key acts as (admins only); default the caller's user. A user not yet
   * known is created: an invited account (who may later sign in) or, with `account: "service"`, a
   * service account (never signs in).
   */
  user: z.email().max(320).optional(),
  /** The kind of account created when `user` names someone new. */
  account: z.enum(['invited', 'service']).default('invited'),
  /** Environments the key may name (resolve, render, snapshot, stream, deploy…); default all. */
  environments: z.array(z.string().min(1).max(100)).min(1).max(50).optional(),
  /**
   * Prompt names the key may touch: `support/*` (or `support/`) is every prompt under `support/`,
   * a name without `*` that one prompt. Default all.
   */
  promptPrefix: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^*]*\*?$/, 'a prompt name or a prefix ending in one "*" (support/*)')
    .optional(),
  /**
   * An application key: it may only read snapshots and streams, resolve and render (in its
   * environments) and send traces and scores. Its role is `viewer`.
   */
  readOnly: z.boolean().default(false),
  /** After this instant the key is refused (`403 KEY_EXPIRED`). */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});

/** Body of `POST /api/v1/api-keys/{id}/rotate`. */
export const RotateApiKeyRequest = z.object({
  /** How long the old secret keeps working (0: stops at once; at most 30 days). */
  graceSeconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 24 * 3600)
    .default(3600),
});

export const ApiKey = z.object({
  id: RowId,
  name: z.string(),
  role: Role,
  /** First characters of the key, to recognise it in lists. */
  prefix: z.string(),
  /** The user the key acts as: versions it writes and approvals it gives are that user's. */
  user: z.object({ id: RowId, email: z.string(), name: z.string() }),
  createdAt: Timestamp,
  revokedAt: Timestamp.nullable(),
  lastUsedAt: Timestamp.nullable(),
  /** Environments the key is limited to; null: every environment. */
  environments: z.array(z.string()).nullable(),
  /** The prompt-name prefix the key is limited to (`support/*`); null: every prompt. */
  promptPrefix: z.string().nullable(),
  /** An application key: reads snapshots, streams, resolves and renders, sends traces and scores, nothing else. */
  readOnly: z.boolean(),
  /** When the key stops working; null: never. A rotated key's grace period ends here. */
  expiresAt: Timestamp.nullable(),
  /** The key this one replaced by rotation. */
  rotatedFrom: RowId.nullable(),
});

/** Returned once, at creation: the only time the secret is shown. */
export const CreatedApiKey = ApiKey.extend({ key: z.string() });

/** Body of `POST /api/v1/projects`. */
export const CreateProjectRequest = z.object({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and "-", starting with a letter or digit'),
});

/** A project as its members see it, with the caller's role in it. */
export const ProjectSummary = z.object({
  id: RowId,
  name: z.string(),
  /** The caller's role; null for an instance admin who is not a member. */
  role: Role.nullable(),
  /** The project the caller's key or session acts in. */
  current: z.boolean(),
});

/** Answer of `POST /api/v1/projects`: the project and an admin key of it (shown once). */
export const CreatedProject = z.object({
  project: ProjectSummary,
  /** Acts as the creator, admin of the new project: the way to drive it headless. */
  apiKey: z.object({ id: RowId, name: z.string(), key: z.string() }),
});

/** Body of `POST /api/v1/projects/{id}/enter`: how long the admin key it answers works. */
export const EnterProjectRequest = z.object({
  expiresInHours: z
    .number()
    .int()
    .min(1)
    .max(30 * 24)
    .default(24),
});

/** An instance admin entered a project: they are its admin now; a key for it, expiring, shown once. */
export const EnteredProject = z.object({
  project: ProjectSummary,
  apiKey: z.object({ id: RowId, name: z.string(), key: z.string(), expiresAt: Timestamp }),
});

/** Body of `POST /api/v1/invitations`. */
export const CreateInvitationRequest = z.object({
  email: z.email().max(320),
  role: Role.default('viewer'),
  /** How long the link works (default 7 days, at most 30). */
  expiresInHours: z
    .number()
    .int()
    .min(1)
    .max(30 * 24)
    .default(7 * 24),
});

/** An invitation to join a project (without its token). */
export const Invitation = z.object({
  id: RowId,
  email: z.string(),
  role: Role,
  createdBy: z.string(),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  /** `pending` until used, revoked or past its expiry. */
  status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
});

/** Returned once, at creation: the one-time link's token and path (`/invite/<token>`). */
export const CreatedInvitation = Invitation.extend({ token: z.string(), path: z.string() });

/** What the invitation page shows before accepting (`POST /api/v1/invitations/inspect`). */
export const InvitationPreview = z.object({
  email: z.string(),
  role: Role,
  project: z.string(),
  expiresAt: Timestamp,
  /** The person has a password already (they may sign in instead). */
  hasAccount: z.boolean(),
});

export const AuditEvent = z.object({
  id: RowId,
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
  /** Rows of sealed tables (versions, deployment history, approvals) recomputed against the chain. */
  rowsChecked: z.number().int().optional(),
  /** Rows whose content no longer matches the hash the chain recorded (or that it never recorded). */
  tampered: z.array(TamperedRow).optional(),
  /** The chain's newest event when verification ran. */
  head: AuditHead.optional(),
});

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    /**
     * The part of `detail` that says what to do, worded for the REST API (it is also the end of
     * `detail`); a client with its own commands (the CLI) replaces it with its own advice.
     */
    hint: z.string().optional(),
  })
  .catchall(JsonValue);

// ---------------------------------------------------------------------------------------------
// Query parameters and pages (added with the server routes)

/** ISO-8601 instant with a time zone (`Z` or an offset), e.g. `2026-03-01T10:00:00Z`. */
export const IsoInstant = z
  .string()
  .refine(
    (s) =>
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(s) &&
      !Number.isNaN(Date.parse(s)),
    'use an ISO-8601 time with a time zone, e.g. 2026-03-01T10:00:00Z',
  );

/** Query of `GET /api/v1/prompts`. */
export const ListPromptsQuery = z.object({
  /** Only prompts carrying this tag. */
  tag: z.string().optional(),
  /** Only prompts whose name contains this text. */
  q: z.string().optional(),
  /** Only prompts with exactly this owner. */
  owner: z.string().optional(),
  /** Archived prompts: left out (`exclude`, the default), listed too (`include`) or alone (`only`). */
  archived: z.enum(['exclude', 'include', 'only']).optional(),
});

/** Query of `GET /api/v1/prompts/{name}/deployments/{env}/history`. */
export const HistoryQuery = z.object({
  /** Answer the one entry live at this instant instead of the whole history. */
  at: IsoInstant.optional(),
});

/** Query of `GET /api/v1/prompts/{name}/resolve`. */
export const ResolveQuery = z
  .object({
    env: EnvironmentName,
    /** Stable id (user, session…) that keeps a caller on the same variant; random pick without. */
    unit: z.string().max(500).optional(),
  })
  // `attr.<name>=<value>`: context attributes for the release's targeting rules (`attr.plan=enterprise`).
  .catchall(z.string().max(2000));

/** Query of `GET /api/v1/prompts/{name}/diff`. */
export const DiffQuery = z.object({
  from: RowIdParam,
  to: RowIdParam,
});

/** Query of `GET /api/v1/audit`: newest first, paged by `cursor` (the `nextCursor` of the previous page). */
export const AuditQuery = z.object({
  action: z.string().optional(),
  target: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: PageCursor.optional(),
});

/** A page of audit events, newest first. */
export const AuditPage = z.object({
  items: z.array(AuditEvent),
  /** Pass as `cursor` to get the next (older) page; null on the last page. */
  nextCursor: z.string().nullable(),
});

export type ListPromptsQuery = z.infer<typeof ListPromptsQuery>;
export type HistoryQuery = z.infer<typeof HistoryQuery>;
export type ResolveQuery = z.infer<typeof ResolveQuery>;
export type DiffQuery = z.infer<typeof DiffQuery>;
export type AuditQuery = z.infer<typeof AuditQuery>;
export type AuditPage = z.infer<typeof AuditPage>;

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
export type RotateApiKeyRequest = z.infer<typeof RotateApiKeyRequest>;
export type CreateInvitationRequest = z.infer<typeof CreateInvitationRequest>;
export type CreateProjectRequest = z.infer<typeof CreateProjectRequest>;
export type ProjectSummary = z.infer<typeof ProjectSummary>;
export type CreatedProject = z.infer<typeof CreatedProject>;
export type EnterProjectRequest = z.infer<typeof EnterProjectRequest>;
export type EnteredProject = z.infer<typeof EnteredProject>;
export type Invitation = z.infer<typeof Invitation>;
export type CreatedInvitation = z.infer<typeof CreatedInvitation>;
export type InvitationPreview = z.infer<typeof InvitationPreview>;
export type AuditEvent = z.infer<typeof AuditEvent>;
export type AuditVerification = z.infer<typeof AuditVerification>;
export type Problem = z.infer<typeof Problem>;

// ---------------------------------------------------------------------------------------------
// Provider credentials, price overrides and the playground (added with the runtime path)

/** Name under which a project stores a provider's credentials: a provider kind or a name of your own (`ollama`). */
export const ProviderName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lowercase letters, digits, "-" and "_" (e.g. openai, ollama)');

/** The wire formats Promptline speaks. */
export const ProviderKind = z.enum(['openai', 'openai-compatible', 'anthropic', 'gemini', 'mock']);

/**
 * Body of `PUT /api/v1/providers/{provider}`. Omitted fields keep their stored value (so a base URL
 * can change without re-sending the key); `null` clears `baseUrl` or `headers`. `kind` is needed
 * only when the name is not a kind itself (`ollama` → `openai-compatible`).
 */
export const ProviderCredentialRequest = z
  .object({
    kind: z.enum(['openai', 'openai-compatible', 'anthropic', 'gemini']).optional(),
    apiKey: z.string().min(1).max(8192).optional(),
    baseUrl: z
      .string()
      .max(2000)
      .regex(/^https?:\/\/\S+$/, 'use an http(s) URL, e.g. http://127.0.0.1:11434/v1')
      .nullable()
      .optional(),
    /** Extra request headers (Azure's `api-key`, OpenRouter's `HTTP-Referer`); stored encrypted. */
    headers: z
      .record(
        z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a valid HTTP header name'),
        z.string().max(8192),
      )
      .nullable()
      .optional(),
  })
  .strict();

/** A provider as the API shows it: never the key, at most its last four characters. */
export const ProviderInfo = z.object({
  provider: ProviderName,
  kind: ProviderKind,
  /** True when the provider can be called: credentials stored, or none needed (`mock`). */
  configured: z.boolean(),
  baseUrl: z.string().nullable(),
  /** `…` and the last 4 characters of the stored key (null when there is none, or it is too short to hint). */
  keyHint: z.string().nullable(),
  /** Names of the stored extra headers (their values are secret). */
  headerNames: z.array(z.string()),
  updatedAt: Timestamp.nullable(),
  updatedBy: z.string().nullable(),
});

/** Body of `POST /api/v1/providers/{provider}/test`: the model to send a one-token request to. */
export const ProviderTestRequest = z.object({ model: z.string().min(1).max(200) }).strict();

/** A successful connection test: the provider answered a one-token request. */
export const ProviderTestResult = z.object({
  provider: ProviderName,
  kind: ProviderKind,
  model: z.string(),
  latencyMs: z.number().min(0),
  /** What the model answered (at most one token, usually a word or less). */
  reply: z.string(),
});

/** A price override: USD per million tokens for models matching `pattern` at `provider` (`*` for any). */
export const PriceOverride = z.object({
  provider: z.string().min(1).max(100),
  pattern: z.string().min(1).max(200),
  input: z.number().nonnegative().finite(),
  output: z.number().nonnegative().finite(),
  cachedInput: z.number().nonnegative().finite().optional(),
});

/** Body of `PUT /api/v1/prices`: the whole list of a project's overrides (replaces the previous one). */
export const PutPricesRequest = z.object({ items: z.array(PriceOverride).max(1000) });

/** `GET /api/v1/prices`: the project's overrides and the shipped table they are layered on. */
export const PriceTable = z.object({
  items: z.array(PriceOverride),
  defaults: z.array(PriceOverride),
  updatedAt: Timestamp.nullable(),
  updatedBy: z.string().nullable(),
});

/** One model column of a playground run. */
export const PlaygroundModel = z.object({
  /** A provider kind or a configured provider name; `mock` needs no credentials. */
  provider: ProviderName,
  model: z.string().min(1).max(200),
  /** temperature, maxTokens, topP, stop…; laid over the prompt's `config.parameters`. */
  parameters: z.record(z.string(), JsonValue).optional(),
});

/** Unsaved content to try: a text template or chat messages, with an optional model config. */
export const PlaygroundDraft = z.discriminatedUnion('type', [
  TextContent.extend({ config: ModelConfig.optional() }),
  ChatContent.extend({ config: ModelConfig.optional() }),
]);

const VariableSet = z.record(z.string(), JsonValue);

/**
 * Body of `POST /api/v1/playground/runs`: a `draft`, or a stored `prompt` (its `version`, what
 * `env` serves, or its latest version), run with one variable set — or a list of them (batch) —
 * on 1 to 4 models.
 */
export const PlaygroundRunRequest = z.object({
  draft: PlaygroundDraft.optional(),
  prompt: PromptName.optional(),
  version: RowId.optional(),
  env: EnvironmentName.optional(),
  variables: z.union([VariableSet, z.array(VariableSet).min(1).max(100)]).default({}),
  models: z.array(PlaygroundModel).min(1).max(4),
  strict: z.boolean().default(true),
});

/** A finished cell of a playground run: one model on one variable set. */
export const PlaygroundResult = z.object({
  model: z.number().int().min(0),
  row: z.number().int().min(0),
  text: z.string(),
  toolCalls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.string() })),
  usage: z.object({
    inputTokens: z.number(),
    outputTokens: z.number(),
    cachedInputTokens: z.number(),
    /** True when the provider sent no usage and tokens were counted with a tokenizer. */
    estimated: z.boolean(),
  }),
  /** Null when no price is known for the model. */
  cost: z.object({ inputUsd: z.number(), outputUsd: z.number(), totalUsd: z.number() }).nullable(),
  latencyMs: z.number(),
  timeToFirstTokenMs: z.number().nullable(),
  finishReason: z.string().nullable(),
  /**
   * The completion checked against the output contract of the prompt or draft being run (its
   * `config.output`); absent when it declares none. `reason` says what broke, or that it held.
   */
  contract: z.object({ pass: z.boolean(), reason: z.string() }).optional(),
});

/** A failed cell: the other cells of the run go on. */
export const PlaygroundCellError = z.object({
  model: z.number().int().min(0),
  row: z.number().int().min(0),
  code: z.string(),
  detail: z.string(),
});

/** `POST /api/v1/playground/runs` with `Accept: application/json`: every cell, `results[row][model]`. */
export const PlaygroundMatrix = z.object({
  models: z.array(z.object({ provider: z.string(), model: z.string() })),
  rows: z.number().int().min(1),
  results: z.array(
    z.array(
      z.discriminatedUnion('status', [
        PlaygroundResult.extend({ status: z.literal('done') }),
        PlaygroundCellError.extend({ status: z.literal('error') }),
      ]),
    ),
  ),
});

export type ProviderName = z.infer<typeof ProviderName>;
export type ProviderKind = z.infer<typeof ProviderKind>;
export type ProviderCredentialRequest = z.infer<typeof ProviderCredentialRequest>;
export type ProviderInfo = z.infer<typeof ProviderInfo>;
export type ProviderTestRequest = z.infer<typeof ProviderTestRequest>;
export type ProviderTestResult = z.infer<typeof ProviderTestResult>;
export type PriceOverride = z.infer<typeof PriceOverride>;
export type PutPricesRequest = z.infer<typeof PutPricesRequest>;
export type PriceTable = z.infer<typeof PriceTable>;
export type PlaygroundModel = z.infer<typeof PlaygroundModel>;
export type PlaygroundDraft = z.infer<typeof PlaygroundDraft>;
export type PlaygroundRunRequest = z.infer<typeof PlaygroundRunRequest>;
export type PlaygroundResult = z.infer<typeof PlaygroundResult>;
export type PlaygroundCellError = z.infer<typeof PlaygroundCellError>;
export type PlaygroundMatrix = z.infer<typeof PlaygroundMatrix>;

// ---------------------------------------------------------------------------------------------
// Datasets, eval runs and quality thresholds (added with the server side of evaluation)

/** Path-like dataset name, spelled like a prompt name (`support/triage-cases`). */
export const DatasetName = z
  .string()
  .min(1)
  .max(MAX_NAME_LENGTH)
  .regex(
    PROMPT_NAME_PATTERN,
    'use lowercase letters, digits, "-", "_" and ".", with segments joined by "/" (e.g. support/triage-cases)',
  );

/**
 * One case of a dataset as written. `expected` becomes an assertion of the case in eval runs: a
 * string is an `equals` check, an object `{type, value, …}` (or a list of them) is used as is.
 */
export const DatasetItemInput = z
  .object({
    variables: z.record(z.string(), JsonValue).default({}),
    expected: JsonValue.optional(),
    metadata: z.record(z.string(), JsonValue).optional(),
    /** The trace this case was made from (monitoring's "turn this failure into a test"). */
    sourceTraceId: z.string().min(1).max(200).optional(),
  })
  .strict();

/** An item as stored: `revision` is the dataset revision at which this content was written. */
export const DatasetItem = z.object({
  id: RowId,
  revision: RowId,
  variables: z.record(z.string(), JsonValue),
  expected: JsonValue.nullable(),
  metadata: z.record(z.string(), JsonValue),
  sourceTraceId: z.string().nullable(),
  createdAt: Timestamp,
});

export const Dataset = z.object({
  name: DatasetName,
  description: z.string(),
  /** Bumped by every change to the items (0 while the dataset was never given any). */
  revision: z.number().int().min(0),
  /** Items at the current revision. */
  itemCount: z.number().int().min(0),
  createdBy: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

/** Body of `POST /api/v1/datasets`: optional first items, written as revision 1. */
export const CreateDatasetRequest = z.object({
  name: DatasetName,
  description: z.string().max(5000).optional(),
  items: z.array(DatasetItemInput).max(10_000).optional(),
});

export const UpdateDatasetRequest = z.object({ description: z.string().max(5000) });

/** Body of `POST /api/v1/datasets/{name}/items`: one item, a list, or `{items: [...]}`; one new revision. */
export const AddDatasetItemsRequest = z.union([
  z.object({ items: z.array(DatasetItemInput).min(1).max(10_000) }),
  z.array(DatasetItemInput).min(1).max(10_000),
  DatasetItemInput,
]);

/** Body of `PATCH /api/v1/datasets/{name}/items/{id}`: the fields to change (null clears). */
export const UpdateDatasetItemRequest = z
  .object({
    variables: z.record(z.string(), JsonValue).optional(),
    expected: JsonValue.optional(),
    metadata: z.record(z.string(), JsonValue).optional(),
    sourceTraceId: z.string().min(1).max(200).nullable().optional(),
  })
  .strict();

/** Query of `GET /api/v1/datasets/{name}/items`: the items at a revision (default current), by id. */
export const DatasetItemsQuery = z.object({
  revision: z.coerce.number().int().min(0).max(MAX_INT32).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  /** The `nextCursor` of the previous page. */
  cursor: PageCursor.optional(),
});

export const DatasetItemPage = z.object({
  revision: z.number().int().min(0),
  items: z.array(DatasetItem),
  nextCursor: z.string().nullable(),
});

/** What a write to a dataset's items answers: the new revision and the items written. */
export const DatasetItemsWritten = z.object({
  revision: z.number().int().min(0),
  items: z.array(DatasetItem),
});

export const DatasetImportResult = z.object({
  revision: z.number().int().min(0),
  imported: z.number().int().min(0),
});

/** `POST /api/v1/datasets/{name}/import/preview`: what an import of the file would write (nothing is written). */
export const DatasetImportPreview = z.object({
  /** Items the file holds. */
  count: z.number().int().min(0),
  /** The first 20 items, as they would be stored. */
  items: z.array(DatasetItemInput),
  /** Every variable name used by the file's items, in order of first use. */
  variables: z.array(z.string()),
});

export const DatasetExportQuery = z.object({ format: z.enum(['jsonl', 'csv']).default('jsonl') });

/**
 * Quality gates of a prompt, checked per version × model of every eval run. A version meets them
 * when every model it ran on does.
 */
export const PromptThresholds = z
  .object({
    /** Least share of passing cases, 0…1. */
    minPassRate: z.number().min(0).max(1).optional(),
    /** No case that passed in the baseline run may fail. */
    noRegressions: z.boolean().optional(),
    /** Most mean cost per case, USD. */
    maxCostPerCaseUsd: z.number().min(0).optional(),
    /** Most p95 latency of the model calls, ms. */
    maxLatencyP95Ms: z.number().min(0).optional(),
    /**
     * The dataset whose runs gate deploys to an environment whose policy has `requireEvalPass`:
     * the version's latest completed run on it must meet these thresholds. Unset: any dataset.
     */
    gateDataset: z.string().min(1).max(200).optional(),
  })
  .strict();

/** A model of an eval run. `provider` is a kind (`mock`, `openai-compatible`…) or a configured provider name. */
export const EvalRunModel = z
  .object({
    provider: z.string().min(1).max(64),
    model: z.string().min(1).max(200),
    parameters: z.record(z.string(), JsonValue).optional(),
    /** Endpoint of an OpenAI-compatible server (e.g. http://127.0.0.1:11434/v1). */
    baseUrl: z
      .string()
      .max(2000)
      .regex(/^https?:\/\/\S+$/, 'use an http(s) URL')
      .optional(),
    /** Shown in summaries; default `<provider>:<model>`. */
    label: z.string().min(1).max(200).optional(),
  })
  .strict();

/** Body of `POST /api/v1/eval-runs`. */
export const CreateEvalRunRequest = z
  .object({
    prompt: PromptName,
    /** Versions to evaluate; or `env` for what an environment serves; default the latest version. */
    versions: z.array(RowId).min(1).max(20).optional(),
    env: EnvironmentName.optional(),
    dataset: z.union([
      DatasetName,
      z.object({ name: DatasetName, revision: z.number().int().min(1).max(MAX_INT32).optional() }),
    ]),
    models: z.array(EvalRunModel).min(1).max(10),
    /** Core assertion specs applied to every case (`{type, value?, threshold?, weight?, metric?}`). */
    assertions: z
      .array(
        z.object({
          type: z.string().min(1),
          value: JsonValue.optional(),
          threshold: z.number().optional(),
          weight: z.number().min(0).optional(),
          metric: z.string().optional(),
          provider: JsonValue.optional(),
          rubricPrompt: JsonValue.optional(),
        }),
      )
      .max(100)
      .default([]),
    repeat: z.number().int().min(1).max(20).default(1),
    concurrency: z.number().int().min(1).max(64).default(4),
    /** Overrides the prompt's stored thresholds for this run. */
    threshold: PromptThresholds.optional(),
    /** A previous run id, or `env:<environment>` for the latest run of the version that environment serves. */
    baseline: z
      .union([RowId, z.string().regex(/^env:[a-z0-9][a-z0-9_-]*$/, 'use env:<environment>')])
      .optional(),
  })
  .strict();

export const EvalRunStatus = z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']);

export const EvalRunProgress = z.object({
  done: z.number().int(),
  total: z.number().int(),
  passed: z.number().int(),
  failed: z.number().int(),
  errors: z.number().int(),
  costUsd: z.number(),
});

/** Summary of one version × model column of a run, with its threshold verdict. */
export const EvalRunGroup = z.object({
  version: RowId.nullable(),
  promptLabel: z.string(),
  model: z.string(),
  total: z.number().int(),
  passed: z.number().int(),
  failed: z.number().int(),
  errors: z.number().int(),
  passRate: z.number(),
  meanScore: z.number(),
  costUsd: z.number(),
  costPerCaseUsd: z.number(),
  latencyP50Ms: z.number(),
  latencyP95Ms: z.number(),
  thresholdsMet: z.boolean(),
  reasons: z.array(z.string()),
});

/** Whether one version met the thresholds on every model it ran on. */
export const EvalVersionVerdict = z.object({
  version: RowId.nullable(),
  thresholdsMet: z.boolean(),
  reasons: z.array(z.string()),
});

export const EvalRun = z.object({
  id: RowId,
  prompt: z.string().nullable(),
  source: z.enum(['server', 'cli']),
  status: EvalRunStatus,
  versions: z.array(RowId),
  dataset: z.object({ name: z.string(), revision: z.number().int().min(0) }).nullable(),
  models: z.array(z.string()),
  progress: EvalRunProgress,
  /** Per version × model, once the run has finished. */
  summary: z.array(EvalRunGroup).nullable(),
  thresholds: PromptThresholds.nullable(),
  /** True when every version met the thresholds; null until the run completes. */
  thresholdsMet: z.boolean().nullable(),
  verdicts: z.array(EvalVersionVerdict),
  baseline: RowId.nullable(),
  error: z.string().nullable(),
  createdBy: z.string(),
  createdAt: Timestamp,
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
});

export const ListEvalRunsQuery = z.object({
  prompt: PromptName.optional(),
  status: EvalRunStatus.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: PageCursor.optional(),
});

export const EvalRunPage = z.object({ items: z.array(EvalRun), nextCursor: z.string().nullable() });

/** One graded cell of a run: case × version × model × repeat. */
export const EvalRunResult = z.object({
  id: RowId,
  caseIndex: z.number().int().min(0),
  itemId: RowId.nullable(),
  repeat: z.number().int().min(0),
  version: RowId.nullable(),
  model: z.string(),
  description: z.string().nullable(),
  variables: z.record(z.string(), JsonValue),
  output: z.string(),
  error: z.string().nullable(),
  pass: z.boolean(),
  score: z.number(),
  reason: z.string(),
  latencyMs: z.number(),
  tokens: z.object({ input: z.number().nullable(), output: z.number().nullable() }),
  costUsd: z.number().nullable(),
  cached: z.boolean(),
  assertions: z.array(
    z.object({ type: z.string(), pass: z.boolean(), score: z.number(), reason: z.string() }),
  ),
});

export const EvalResultsQuery = z.object({
  status: z.enum(['passed', 'failed']).optional(),
  version: RowIdParam.optional(),
  model: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: PageCursor.optional(),
});

export const EvalResultPage = z.object({ items: z.array(EvalRunResult), nextCursor: z.string().nullable() });

/** A case whose verdict changed against the baseline. */
export const EvalCaseChange = z.object({
  itemId: RowId.nullable(),
  caseIndex: z.number().int().min(0),
  version: RowId.nullable(),
  model: z.string(),
  repeat: z.number().int().min(0),
  before: z.object({ pass: z.boolean(), score: z.number() }),
  after: z.object({ pass: z.boolean(), score: z.number(), reason: z.string() }),
});

const ComparisonCounts = z.object({
  compared: z.number().int(),
  regressions: z.number().int(),
  fixes: z.number().int(),
  added: z.number().int(),
  meanScoreDelta: z.number(),
});

/** `GET /api/v1/eval-runs/{id}/compare`: regressions, fixes and score deltas against a baseline run. */
export const EvalComparison = z.object({
  run: RowId,
  baseline: RowId,
  overall: ComparisonCounts,
  groups: z.array(ComparisonCounts.extend({ version: RowId.nullable(), model: z.string() })),
  /** The first 200 regressions and fixes. */
  regressions: z.array(EvalCaseChange),
  fixes: z.array(EvalCaseChange),
});

export const CompareQuery = z.object({ baseline: RowIdParam });

export type DatasetItemInput = z.infer<typeof DatasetItemInput>;
export type DatasetItem = z.infer<typeof DatasetItem>;
export type Dataset = z.infer<typeof Dataset>;
export type CreateDatasetRequest = z.infer<typeof CreateDatasetRequest>;
export type UpdateDatasetRequest = z.infer<typeof UpdateDatasetRequest>;
export type AddDatasetItemsRequest = z.infer<typeof AddDatasetItemsRequest>;
export type UpdateDatasetItemRequest = z.infer<typeof UpdateDatasetItemRequest>;
export type DatasetItemsQuery = z.infer<typeof DatasetItemsQuery>;
export type DatasetImportPreview = z.infer<typeof DatasetImportPreview>;
export type DatasetItemPage = z.infer<typeof DatasetItemPage>;
export type DatasetItemsWritten = z.infer<typeof DatasetItemsWritten>;
export type DatasetImportResult = z.infer<typeof DatasetImportResult>;
export type PromptThresholds = z.infer<typeof PromptThresholds>;
export type EvalRunModel = z.infer<typeof EvalRunModel>;
export type CreateEvalRunRequest = z.infer<typeof CreateEvalRunRequest>;
export type EvalRunStatus = z.infer<typeof EvalRunStatus>;
export type EvalRunProgress = z.infer<typeof EvalRunProgress>;
export type EvalRunGroup = z.infer<typeof EvalRunGroup>;
export type EvalVersionVerdict = z.infer<typeof EvalVersionVerdict>;
export type EvalRun = z.infer<typeof EvalRun>;
export type ListEvalRunsQuery = z.infer<typeof ListEvalRunsQuery>;
export type EvalRunPage = z.infer<typeof EvalRunPage>;
export type EvalRunResult = z.infer<typeof EvalRunResult>;
export type EvalResultsQuery = z.infer<typeof EvalResultsQuery>;
export type EvalResultPage = z.infer<typeof EvalResultPage>;
export type EvalCaseChange = z.infer<typeof EvalCaseChange>;
export type EvalComparison = z.infer<typeof EvalComparison>;
