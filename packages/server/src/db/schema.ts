import type { Generated } from 'kysely';

/*
 * Storage conventions shared by both dialects:
 * - timestamps are ISO-8601 text with milliseconds and `Z`, written by the app clock, so they sort
 *   and compare the same on SQLite (no timestamp type) and PostgreSQL, and round-trip byte-exact;
 * - JSON is text on both, parsed and written by the codecs in ./codecs.ts, so what the audit chain
 *   hashes is exactly what was stored, with no driver-specific parsing;
 * - booleans are integers 0/1 on both, because node:sqlite cannot bind booleans.
 */

export interface ProjectsTable {
  id: Generated<number>;
  name: string;
  created_at: string;
}

export interface ApiKeysTable {
  id: Generated<number>;
  project_id: number;
  name: string;
  role: string;
  prefix: string;
  key_hash: string;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
  /** The user the key acts as (set on every key since migration 0182_users). */
  user_id: number | null;
  /** JSON array of environment names; null: every environment (migration 0350_api_key_scopes). */
  environments: string | null;
  /** `support/*` or one prompt's name; null: every prompt. */
  prompt_prefix: string | null;
  /** 1: an application key (reads snapshots, streams, resolves, renders; sends traces and scores). */
  read_only: number;
  expires_at: string | null;
  rotated_from: number | null;
}

export interface EnvironmentsTable {
  id: Generated<number>;
  project_id: number;
  name: string;
  description: string;
  rank: number;
  protected: number;
  archived: number;
  created_at: string;
  /** EnvironmentPolicy as JSON; `{}` requires nothing. */
  policy: string;
}

export interface PromptsTable {
  id: Generated<number>;
  project_id: number;
  name: string;
  description: string;
  owner: string;
  tags: string;
  created_at: string;
  updated_at: string;
  latest_version: number | null;
  archived_at: string | null;
  reviewers: string;
  stakeholders: string;
}

export interface VersionsTable {
  id: Generated<number>;
  project_id: number;
  prompt_id: number;
  number: number;
  semver: string;
  type: string;
  template: string | null;
  messages: string | null;
  config: string;
  variables: string;
  message: string;
  author: string;
  created_at: string;
  parent: number | null;
  hash: string;
  /** The branch it was saved on (prompts/branches); null on the main line. */
  branch: string | null;
  /** A merge version's second parent: the head of the branch it merged. */
  merge_parent: number | null;
}

export interface DeploymentsTable {
  id: Generated<number>;
  project_id: number;
  prompt_id: number;
  environment_id: number;
  variants: string;
  enabled: number;
  history_id: number;
  updated_at: string;
  updated_by: string;
  /** JSON Targeting (pins and rules), null when the release has none. */
  targeting: string | null;
}

export interface DeploymentHistoryTable {
  id: Generated<number>;
  project_id: number;
  prompt_id: number;
  environment_id: number;
  action: string;
  variants: string;
  enabled: number;
  previous: string | null;
  restored_from: number | null;
  /** The entry a rollback from this one restores: the entry live before this release first went live. */
  rollback_target: number | null;
  actor: string;
  reason: string | null;
  /** 1 when made with `force: true` over the partial check's refusal. */
  forced: number;
  at: string;
  /** The deployment request that made the change (null: a direct change). */
  request_id: number | null;
  /** JSON array of the approvers' names, for a change made by a request. */
  approved_by: string | null;
  /** JSON Targeting (pins and rules) of the release, null when it has none. */
  targeting: string | null;
}

export interface AuditEventsTable {
  id: Generated<number>;
  project_id: number;
  actor: string;
  action: string;
  target_type: string;
  target: string;
  data: string;
  at: string;
  prev_hash: string;
  hash: string;
  /** The id the hash covers (see audit/migration.ts); null only before an append seals the row. */
  chain_id: number | null;
}

/** Every table of the server database. */
export interface DatabaseSchema {
  projects: ProjectsTable;
  api_keys: ApiKeysTable;
  environments: EnvironmentsTable;
  prompts: PromptsTable;
  versions: VersionsTable;
  deployments: DeploymentsTable;
  deployment_history: DeploymentHistoryTable;
  audit_events: AuditEventsTable;
}
