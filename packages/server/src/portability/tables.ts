/**
 * Which tables `promptline export` carries and how, in the order they are written and read back
 * (a row only refers to rows of tables before it). Every table of the schema is either here or in
 * {@link INSTANCE_LOCAL_TABLES} with the reason it stays behind; `catalog.test.ts` reads the
 * database catalog on both dialects and fails on a table that is in neither list, so a feature
 * that adds a table decides here whether it travels.
 *
 * Export is the one place that reads every feature's tables directly: it moves rows as stored,
 * below the features' rules, so that hashes (versions, the audit chain) survive byte for byte.
 */
import {
  ROLLUP_KEY_COLUMNS,
  type RollupGrain,
  SCORE_KEY_COLUMNS,
  SCORE_TABLE,
  SPAN_TABLE,
} from '../metrics/migration.ts';

export interface ExportedTable {
  table: string;
  /**
   * How a row belongs to the project: its own `project_id`, or (`parent`) the row of another
   * exported table its `column` names, whose `project_id` is the project's.
   */
  scope: { column: 'project_id' } | { column: string; parent: string };
  /** Columns that order and identify a row: export pages through the table by them. */
  key: readonly string[];
  /** The row has a surrogate `id` the importing database assigns anew. */
  generatedId?: true;
  /** Columns holding the id of a row of another (earlier) exported table: remapped on import. */
  refs?: Readonly<Record<string, string>>;
  /**
   * Rows the target project already has (seeded at first start) are matched on these columns
   * (with the project) and updated instead of inserted: environments by name, per-project
   * settings by the project alone.
   */
  mergeOn?: readonly string[];
  /** Metric rollups: summed into the target's rollups, placed by its hour watermark. */
  rollup?: { grain: RollupGrain; keyColumns: readonly string[] };
  /** The audit chain: carried with the id each hash covers (see audit/migration.ts). */
  audit?: true;
}

const rollupTables: ExportedTable[] = (['minute', 'hour'] as const).flatMap((grain) => [
  {
    table: SPAN_TABLE[grain],
    scope: { column: 'project_id' },
    key: ROLLUP_KEY_COLUMNS,
    rollup: { grain, keyColumns: ROLLUP_KEY_COLUMNS },
  },
  {
    table: SCORE_TABLE[grain],
    scope: { column: 'project_id' },
    key: SCORE_KEY_COLUMNS,
    rollup: { grain, keyColumns: SCORE_KEY_COLUMNS },
  },
]);

/**
 * A table whose rows carry the project's id and a surrogate `id` the importing database assigns
 * anew; `refs` names the columns holding ids of earlier exported tables.
 */
function projectRows(table: string, refs?: Record<string, string>): ExportedTable {
  const spec: ExportedTable = { table, scope: { column: 'project_id' }, key: ['id'], generatedId: true };
  return refs ? { ...spec, refs } : spec;
}

/**
 * A table whose rows belong to the project through their parent row (`column` holds its id),
 * which is remapped on import like any other reference.
 */
function childRows(table: string, column: string, parent: string): ExportedTable {
  return { table, scope: { column, parent }, key: ['id'], generatedId: true, refs: { [column]: parent } };
}

/** One row per project (settings): matched on the project alone and updated on import. */
function projectSettings(table: string): ExportedTable {
  return { table, scope: { column: 'project_id' }, key: ['project_id'], mergeOn: [] };
}

/** Exported tables, in dependency order. */
export const EXPORTED_TABLES: readonly ExportedTable[] = [
  {
    table: 'environments',
    scope: { column: 'project_id' },
    key: ['id'],
    generatedId: true,
    mergeOn: ['name'],
  },
  projectRows('prompts'),
  // Before the releases whose targeting names them (by name, so no id to remap).
  projectRows('segments'),
  // Prompt and environment by name; history_id keeps the source's numbering (like a request id).
  projectRows('scheduled_releases'),
  projectRows('versions', { prompt_id: 'prompts' }),
  // Branches name versions by number (base, head), which travel unchanged.
  projectRows('prompt_branches', { prompt_id: 'prompts' }),
  // Entries refer to earlier entries (lower ids), which are already mapped when they arrive.
  projectRows('deployment_history', {
    prompt_id: 'prompts',
    environment_id: 'environments',
    restored_from: 'deployment_history',
    rollback_target: 'deployment_history',
  }),
  projectRows('deployments', {
    prompt_id: 'prompts',
    environment_id: 'environments',
    history_id: 'deployment_history',
  }),
  // After the history both point into; a history entry's request_id keeps the source's id
  // (requests come later), so it names the request as the source instance numbered it.
  projectRows('deployment_requests', {
    prompt_id: 'prompts',
    environment_id: 'environments',
    base_history_id: 'deployment_history',
    history_id: 'deployment_history',
  }),
  projectRows('deployment_request_decisions', { request_id: 'deployment_requests' }),
  // Ids of history entries point into the exported history (remapped); an imported running
  // rollout goes on being checked on the target.
  projectRows('rollouts', {
    prompt_id: 'prompts',
    environment_id: 'environments',
    control_history_id: 'deployment_history',
    last_history_id: 'deployment_history',
    request_id: 'deployment_requests',
  }),
  projectRows('rollout_events', { rollout_id: 'rollouts', history_id: 'deployment_history' }),
  // The guardrail history: the evidence behind a rollout's steps travels with it.
  projectRows('rollout_checks', { rollout_id: 'rollouts' }),
  projectRows('experiments', {
    prompt_id: 'prompts',
    environment_id: 'environments',
    history_id: 'deployment_history',
    shipped_history_id: 'deployment_history',
  }),
  projectRows('prompt_thresholds', { prompt_id: 'prompts' }),
  // Prompt and environment by name; counters and the queue stay with the instance.
  projectRows('online_eval_rules'),
  projectRows('datasets'),
  childRows('dataset_items', 'dataset_id', 'datasets'),
  projectRows('eval_runs', { baseline_run_id: 'eval_runs' }),
  childRows('eval_results', 'run_id', 'eval_runs'),
  // Red-team runs name their prompt by name and version number, which travel unchanged.
  projectRows('redteam_runs'),
  childRows('redteam_findings', 'run_id', 'redteam_runs'),
  projectSettings('price_overrides'),
  projectSettings('trace_settings'),
  projectSettings('metric_settings'),
  projectSettings('privacy_settings'),
  { table: 'gateway_routes', scope: { column: 'project_id' }, key: ['model'], mergeOn: ['model'] },
  { table: 'traces', scope: { column: 'project_id' }, key: ['trace_id'] },
  { table: 'spans', scope: { column: 'project_id' }, key: ['trace_id', 'span_id', 'start_ms'] },
  projectRows('scores'),
  // Queues name their score definitions by name, so no id to remap.
  projectRows('score_definitions'),
  projectRows('annotation_queues'),
  // Items name their trace by id (text). `reviewer_id` is a user of the source instance (users
  // stay behind): it only decides who holds a live lease, which runs out within minutes; the
  // reviewer's email beside it is what is shown.
  projectRows('annotation_items', { queue_id: 'annotation_queues' }),
  ...rollupTables,
  { ...projectRows('audit_events'), audit: true },
];

/** Tables that stay with the instance, and why. */
export const INSTANCE_LOCAL_TABLES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    ['spans_fts', 'spans_fts_data', 'spans_fts_idx', 'spans_fts_docsize', 'spans_fts_config'].map((t) => [
      t,
      'SQLite’s full-text index of spans (FTS5 and its shadow tables): rebuilt by triggers as the imported spans are written',
    ]),
  ),
  projects: 'the tenant itself: an import fills the project of the key that runs it, whatever it is called',
  api_keys: 'secrets (key hashes); the target instance has its own keys',
  users:
    'people of the instance, not of one project (sign-ins, invitations); the target has its own. Prompt reviewers and owners travel as emails',
  members:
    'memberships of the instance’s users, who are not exported; add members on the target (PUT /api/v1/members)',
  sessions: 'secrets (browser session tokens) bound to this instance’s keys',
  user_sessions: 'secrets (browser session tokens) of this instance’s people, who are not exported',
  oidc_logins: 'sign-in attempts in flight with the identity provider, gone within minutes',
  user_passwords: 'password hashes of the instance’s people, who are not exported',
  sign_in_failures: 'failed password counts and lockouts of this instance',
  invitations:
    'one-time links (token hashes) for this instance’s people, who are not exported; invite again on the target',
  first_run: 'whether this instance’s first-run screen was used',
  security_events:
    'the instance security log names people of every project (sign-ins, refusals, lockouts): a project’s export must not carry them; the instance backup (GET /api/v1/backup, pg_dump) keeps it',
  provider_credentials: 'secrets (provider API keys); configure them again on the target',
  gateway_key_budgets: 'budgets belong to API keys, which are not exported; set them on the target’s keys',
  gateway_key_spend: 'spend counters of API keys, which are not exported',
  jobs: 'the instance’s work queue; an eval run still running when exported is not resumed',
  recurring_jobs: 'the instance’s schedule, recreated at start',
  metric_rollup_state:
    'the instance’s hour roll-up watermark; imported rollups are placed by the target’s (see metrics/import-placement.ts)',
  langfuse_pending:
    'Langfuse ingestion’s working rows (observations not ended yet, scores waiting for their span), pruned within a day; what has ended is exported as spans and scores, an observation still open at export time is not',
  webhooks:
    'subscriptions hold a URL and signing secret encrypted with this instance’s secret key; subscribe again on the target (POST /api/v1/webhooks)',
  webhook_deliveries:
    'the instance’s delivery log of the last 30 days, operational history that is not replayed',
  webhook_attempts: 'attempts of the delivery log, which stays with the instance',
  alert_rules:
    'rules carry live state (firing since, last value) of this instance’s evaluation; create them again on the target (POST /api/v1/alerts)',
  alert_transitions: 'the state history of this instance’s alert rules, which stay with it',
  notifications: 'in-app notifications of this instance’s alerts',
  online_eval_days:
    'this instance’s daily counters and judge spend of online evaluations (the budget starts afresh on the target); the scores they wrote are exported',
  online_eval_pending:
    'sampled spans waiting for this instance’s job runner, graded within seconds; a span still waiting at export time is not graded on the target',
  kysely_migration: 'the schema’s own migration record',
  kysely_migration_lock: 'the schema’s own migration lock',
  sqlite_sequence: 'SQLite’s autoincrement counters',
};

/** The tables some other exported table refers to: their old → new ids are kept during an import. */
export const REFERENCED_TABLES: ReadonlySet<string> = new Set(
  EXPORTED_TABLES.flatMap((t) => Object.values(t.refs ?? {})),
);

export function exportedTable(name: string): ExportedTable | undefined {
  return EXPORTED_TABLES.find((t) => t.table === name);
}
