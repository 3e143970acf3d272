/**
 * The one error hierarchy of Promptline. Every failure a user can cause or meet carries a stable
 * `code`, an HTTP status and a message that says how to fix it. The server turns these into
 * `application/problem+json`; the CLI maps them to a one-line message and an exit code.
 */

/**
 * Every error code and its HTTP status. The status is a property of the code: one condition, one
 * code, one status, the same on the server, the SDK and the CLI. An {@link AppError} cannot override
 * it; a condition that needs another status needs its own code. Add new codes here, grouped by area.
 */
export const ERROR_CODES = {
  // The request itself
  BAD_REQUEST: 400,
  MALFORMED_JSON: 400,
  MALFORMED_URL: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  /** A streaming route asked for without `Accept: text/event-stream`. */
  NOT_ACCEPTABLE: 406,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  VALIDATION_FAILED: 422,
  /** Render variables that break the version's input schema; `errors` lists each field. */
  INPUT_INVALID: 422,
  INVALID_CHARACTER: 422,
  JSON_TOO_DEEP: 422,
  /** Too many requests: wait for `Retry-After` and try again. */
  RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  // Projects, prompts, versions
  PROJECT_NOT_FOUND: 404,
  PROMPT_NOT_FOUND: 404,
  PROMPT_EXISTS: 409,
  /** A new version for an archived prompt (restore it first). */
  PROMPT_ARCHIVED: 409,
  /** Archiving a prompt an environment still serves. */
  PROMPT_SERVED: 409,
  VERSION_NOT_FOUND: 404,
  VERSION_CONFLICT: 409,
  SEMVER_BUMP_TOO_LOW: 422,
  /** A `.prompt` file or `promptline.deploy.yaml` that cannot be read (prompts as code). */
  PROMPT_FILE_INVALID: 422,
  DEPLOY_FILE_INVALID: 422,
  // Branches and merges
  BRANCH_NOT_FOUND: 404,
  /** A branch of that name exists (open or deleted: names are never reused, their versions keep them). */
  BRANCH_EXISTS: 409,
  /** The merge found changes on both sides of the same region, message or key; `details` has the hunks. */
  MERGE_CONFLICT: 409,
  /** The branch has nothing the target lacks (its head is already an ancestor of the target's). */
  NOTHING_TO_MERGE: 409,
  /** The environment's policy accepts only main-line versions (`allowBranches` is not set). */
  BRANCH_VERSION_NOT_ALLOWED: 409,
  // Environments and deployments
  ENVIRONMENT_NOT_FOUND: 404,
  ENVIRONMENT_EXISTS: 409,
  ENVIRONMENT_ARCHIVED: 409,
  DEPLOYMENT_NOT_FOUND: 404,
  NOTHING_TO_ROLL_BACK: 409,
  HISTORY_ENTRY_NOT_FOUND: 404,
  INVALID_WEIGHTS: 422,
  /** Targeting rules or pins that cannot be stored (too deep, a unit pinned twice). */
  INVALID_TARGETING: 422,
  SEGMENT_NOT_FOUND: 404,
  /** Deleting a segment that a live release's rules name. */
  SEGMENT_IN_USE: 409,
  SCHEDULE_NOT_FOUND: 404,
  /** Cancelling a scheduled release that was already applied, refused or cancelled. */
  SCHEDULE_NOT_PENDING: 409,
  DEPLOY_PARTIAL_MISSING: 409,
  DEPLOY_PARTIAL_CYCLE: 409,
  DEPLOY_PARTIAL_TOO_DEEP: 409,
  // Environment policies and deployment requests
  /** The environment's policy needs approvals: open a deployment request instead. */
  APPROVAL_REQUIRED: 409,
  /** The version has not met the prompt's thresholds in its latest eval run. */
  EVAL_GATE_FAILED: 409,
  /** The version's latest red-team run has a finding at or above the policy's severity, or there is none. */
  REDTEAM_GATE_FAILED: 409,
  /** The environment is inside a freeze window. */
  DEPLOY_FROZEN: 409,
  /** The author of a deployment request cannot approve it. */
  SELF_APPROVAL: 403,
  /** The caller is not among the reviewers the policy names. */
  NOT_A_REVIEWER: 403,
  DEPLOYMENT_REQUEST_NOT_FOUND: 404,
  /** The request was already deployed, rejected, cancelled, or went stale. */
  REQUEST_NOT_PENDING: 409,
  // Guarded rollouts and experiments
  ROLLOUT_NOT_FOUND: 404,
  /** Another rollout or experiment of the prompt is running or paused in the environment. */
  ROLLOUT_ACTIVE: 409,
  /** Nothing single-version and enabled is live to serve as control, or the candidate is it. */
  ROLLOUT_NO_CONTROL: 409,
  /** Pause, resume, advance or abort asked of a rollout whose status does not allow it. */
  ROLLOUT_NOT_ACTIVE: 409,
  INVALID_ROLLOUT: 422,
  /** A replay found no production call of the live version to run the candidate on. */
  REPLAY_NO_TRAFFIC: 409,
  EXPERIMENT_NOT_FOUND: 404,
  /** Another experiment of the prompt is running in the environment. */
  EXPERIMENT_RUNNING: 409,
  /** Stop asked of an experiment already stopped. */
  EXPERIMENT_STOPPED: 409,
  INVALID_EXPERIMENT: 422,
  /** A promotion gate failed; the answer lists every gate with its verdict. */
  PROMOTION_BLOCKED: 409,
  // Templates
  TEMPLATE_SYNTAX: 422,
  TEMPLATE_VARIABLE_MISSING: 422,
  TEMPLATE_PARTIAL_NOT_FOUND: 422,
  TEMPLATE_PARTIAL_CYCLE: 422,
  TEMPLATE_PARTIAL_TOO_DEEP: 422,
  // Keys and audit
  API_KEY_NOT_FOUND: 404,
  LAST_ADMIN_KEY: 409,
  // People and members
  USER_NOT_FOUND: 404,
  MEMBER_NOT_FOUND: 404,
  /** Removing or demoting the project's last admin member would leave nobody to manage it. */
  LAST_ADMIN_MEMBER: 409,
  /** A key may not reach further than the user it acts as. */
  KEY_ROLE_ABOVE_MEMBER: 409,
  // Projects
  /** Only instance admins create projects. */
  INSTANCE_ADMIN_REQUIRED: 403,
  PROJECT_EXISTS: 409,
  /** Switching to a project one is not a member of. */
  PROJECT_NOT_MEMBER: 403,
  /** A session opened with an API key stays in the key's project. */
  SESSION_PROJECT_FIXED: 409,
  /** The key is limited (read-only, environments, prompt prefix) and this request is outside its scope. */
  KEY_SCOPE: 403,
  /** The key's `expiresAt` passed (or the grace period of a rotated key ended). */
  KEY_EXPIRED: 403,
  /** A feedback token altered, made by another server key, or for another trace. */
  FEEDBACK_TOKEN_INVALID: 403,
  /** A feedback token past its expiry: mint a new one. */
  FEEDBACK_TOKEN_EXPIRED: 403,
  // Signing in (SSO, passwords, invitations)
  /** The server has no OpenID Connect provider configured (PROMPTLINE_OIDC_ISSUER…). */
  SSO_NOT_CONFIGURED: 404,
  /** The SSO callback's state is missing, does not match this browser's, or its sign-in attempt expired or was used. */
  SSO_STATE_INVALID: 400,
  /** The identity provider refused the code (expired, reused) or its answer did not verify (ID token, nonce, issuer). */
  SSO_FAILED: 401,
  /** The identity provider does not vouch for the email address (`email_verified` is not true). */
  SSO_EMAIL_UNVERIFIED: 403,
  /** The email's domain is not in PROMPTLINE_OIDC_ALLOWED_DOMAINS. */
  SSO_DOMAIN_NOT_ALLOWED: 403,
  /** The account may not sign in: a service account, or a person in no project. */
  ACCOUNT_NOT_ALLOWED: 403,
  /** Wrong email or password (the same answer for an unknown email, and for an account without a password). */
  INVALID_CREDENTIALS: 401,
  /** Too many failed passwords for this email: wait for the lockout to end, or ask an admin to set a new password. */
  ACCOUNT_LOCKED: 423,
  /** The invitation link is unknown, used, revoked or expired. */
  INVITATION_INVALID: 410,
  /** The invited email has an account that signs in another way: sign in to accept. */
  ACCOUNT_EXISTS: 409,
  /** The first-run screen was used already, or an admin person exists: sign in instead. */
  SETUP_DONE: 409,
  /** The first-run screen works only from the server's own machine or with the bootstrap key. */
  SETUP_NOT_ALLOWED: 403,
  /** Changing one's password: the current password given is wrong. */
  WRONG_PASSWORD: 403,
  AUDIT_CHAIN_BROKEN: 409,
  // Providers
  PROVIDER_NOT_CONFIGURED: 422,
  PROVIDER_CREDENTIALS_NOT_FOUND: 404,
  PROVIDER_ERROR: 502,
  PROVIDER_TIMEOUT: 504,
  // Datasets and evals
  DATASET_NOT_FOUND: 404,
  DATASET_EXISTS: 409,
  EVAL_RUN_NOT_FOUND: 404,
  EVAL_RUN_FINISHED: 409,
  REDTEAM_RUN_NOT_FOUND: 404,
  /** Cancelling a red-team run that has already ended. */
  REDTEAM_RUN_FINISHED: 409,
  // Jobs
  JOB_NOT_FOUND: 404,
  // Traces and scores
  TRACE_BATCH_TOO_LARGE: 413,
  SPAN_TOO_OLD: 422,
  TRACE_NOT_FOUND: 404,
  SPAN_NOT_FOUND: 404,
  // Metrics
  METRICS_WINDOW_INVALID: 422,
  METRICS_TOO_MANY_POINTS: 422,
  // OpenTelemetry ingestion
  OTLP_MALFORMED: 400,
  UNSUPPORTED_CONTENT_ENCODING: 415,
  // Gateway
  /** The API key spent its daily or monthly gateway budget. */
  GATEWAY_BUDGET_EXHAUSTED: 429,
  GATEWAY_BUDGET_NOT_FOUND: 404,
  /** The project has no fallback route for that model. */
  GATEWAY_ROUTE_NOT_FOUND: 404,
  /** The request asks for something the chosen provider cannot do through the OpenAI shape. */
  GATEWAY_UNSUPPORTED: 400,
  // Backup, export and import
  /** The server's database has no online backup route (PostgreSQL: use pg_dump). */
  BACKUP_NOT_SUPPORTED: 409,
  /** An import into a project that already holds prompts, datasets, eval runs or traces. */
  IMPORT_TARGET_NOT_EMPTY: 409,
  /** An export file of a format version (or schema) newer than this server knows. */
  IMPORT_FORMAT_UNSUPPORTED: 422,
  /** An export file that is not one, or was cut off or altered: nothing was written. */
  IMPORT_FILE_INVALID: 422,
  // Webhooks, alerts and notifications
  WEBHOOK_NOT_FOUND: 404,
  WEBHOOK_DELIVERY_NOT_FOUND: 404,
  /** The receiver refused a delivery with a status that no retry can change (4xx other than 408/429). */
  WEBHOOK_DELIVERY_REFUSED: 502,
  ALERT_RULE_NOT_FOUND: 404,
  NOTIFICATION_NOT_FOUND: 404,
  // Human review: score definitions and annotation queues
  SCORE_DEFINITION_NOT_FOUND: 404,
  SCORE_DEFINITION_EXISTS: 409,
  /** Deleting a score definition an annotation queue still asks for. */
  SCORE_DEFINITION_IN_USE: 409,
  /** A score whose value does not fit its name's definition (type, range or categories). */
  SCORE_VALUE_INVALID: 422,
  ANNOTATION_QUEUE_NOT_FOUND: 404,
  ANNOTATION_QUEUE_EXISTS: 409,
  ANNOTATION_ITEM_NOT_FOUND: 404,
  /** The item is completed or skipped already, or another reviewer holds its lease. */
  ANNOTATION_ITEM_UNAVAILABLE: 409,
  /** The queue names its assignees and the caller is not one of them. */
  ANNOTATION_NOT_ASSIGNED: 403,
  // Online evaluations
  ONLINE_EVAL_NOT_FOUND: 404,
  /** A rule of that name exists for the prompt. */
  ONLINE_EVAL_EXISTS: 409,
  // Configuration and the server itself
  CONFIG_INVALID: 422,
  SECRET_UNDECRYPTABLE: 500,
  INTERNAL: 500,
  /** `GET /readyz`: the database does not answer or migrations are not done; the instance should get no traffic yet. */
  NOT_READY: 503,
  /** Client side (SDK): the server could not be reached or went silent. */
  SERVER_UNREACHABLE: 503,
  /** Client side (SDK): spans or scores were dropped before the server took them (queue full, refused). */
  TELEMETRY_DROPPED: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The HTTP status of `code`. */
export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code];
}

/** True when `value` is one of Promptline's error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** One offending field of a request, as listed in a validation problem. */
export interface FieldIssue {
  /** Dotted path of the field, e.g. `variants.1.weight`; empty for the whole body. */
  path: string;
  message: string;
}

export interface AppErrorOptions {
  /** Offending fields, for validation problems. */
  errors?: FieldIssue[];
  /** Extra machine-readable members added to the problem document (e.g. `missing`). */
  details?: Record<string, unknown>;
  /**
   * What to do about it, worded for the REST API (routes, JSON fields). It is appended to the
   * message and also sent as the problem's `hint` member, so a client with its own words (the
   * CLI: commands and flags) can replace exactly this part and keep the rest.
   */
  hint?: string;
  cause?: unknown;
}

/**
 * A failure with a stable code. Throw it anywhere below the HTTP layer; the server answers it as
 * problem+json and the CLI prints it.
 *
 * @example
 * throw new AppError('PROMPT_NOT_FOUND', `No prompt named "${name}". List prompts with \`promptline prompts list\`.`);
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  /** The HTTP status registered for `code` in {@link ERROR_CODES}; never set per error. */
  readonly status: number;
  readonly errors: FieldIssue[] | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly hint: string | undefined;

  /** `message` says what happened; `options.hint`, when given, is appended after a space. */
  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(
      options.hint === undefined ? message : `${message} ${options.hint}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.hint = options.hint;
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code];
    this.errors = options.errors;
    this.details = options.details;
  }
}

/** True when `value` is an {@link AppError} (also across package copies, by shape). */
export function isAppError(value: unknown): value is AppError {
  return (
    value instanceof AppError ||
    (value instanceof Error &&
      value.name === 'AppError' &&
      typeof (value as { code?: unknown }).code === 'string' &&
      typeof (value as { status?: unknown }).status === 'number')
  );
}

/** Turns a code into a human title for problem documents: `PROMPT_NOT_FOUND` → `Prompt not found`. */
export function titleForCode(code: string): string {
  const words = code.toLowerCase().split('_');
  const first = words[0] ?? '';
  return [first.charAt(0).toUpperCase() + first.slice(1), ...words.slice(1)].join(' ');
}
