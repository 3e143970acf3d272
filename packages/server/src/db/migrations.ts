import { AppError } from '@promptline/core';
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { alertTablesMigration } from '../alerts/migration.ts';
import { annotationMigration, annotationSamplingMigration } from '../annotation/migration.ts';
import { auditChainIdMigration, sealExistingRowsMigration } from '../audit/migration.ts';
import { apiKeyScopesMigration } from '../auth/migration.ts';
import { datasetTablesMigration } from '../datasets/migration.ts';
import { releaseTargetingMigration } from '../deployments/migration.ts';
import { evalRunJobsMigration, evalTablesMigration } from '../evals/schema.ts';
import { experimentTablesMigration } from '../experiments/migration.ts';
import { gatewayBudgetsMigration, gatewayRoutesMigration } from '../gateway/migration.ts';
import { invitationsMigration } from '../invitations/migration.ts';
import { jobTablesMigration } from '../jobs/migration.ts';
import { langfusePendingMigration } from '../langfuse/migration.ts';
import {
  apiKeyExpiryNotifyMigration,
  apiKeyNotifyMigration,
  changeNotifyMigration,
  memberNotifyMigration,
} from '../live/migration.ts';
import { metricContractsMigration, metricTablesMigration } from '../metrics/migration.ts';
import { notificationTablesMigration } from '../notifications/migration.ts';
import { oidcLoginsMigration } from '../oidc/migration.ts';
import { onlineEvalTablesMigration } from '../online-evals/migration.ts';
import { passwordsMigration } from '../passwords/migration.ts';
import { privacySettingsMigration } from '../privacy/migration.ts';
import { branchesMigration, promptArchiveMigration, promptPeopleMigration } from '../prompts/migration.ts';
import { providerTablesMigration } from '../providers/migration.ts';
import { redteamRunsMigration } from '../redteam/migration.ts';
import { policiesAndRequestsMigration } from '../requests/migration.ts';
import { rolloutApprovalsMigration } from '../rollouts/approval-migration.ts';
import { rolloutChecksMigration } from '../rollouts/history-migration.ts';
import { rolloutTablesMigration } from '../rollouts/migration.ts';
import { scheduledReleasesMigration } from '../schedules/migration.ts';
import { securityEventsMigration } from '../security/migration.ts';
import { segmentsMigration } from '../segments/migration.ts';
import { sessionsMigration, userSessionsMigration } from '../session/migration.ts';
import { spanContractsMigration, traceTablesMigration } from '../traces/migration.ts';
import { spanSearchMigration } from '../traces/search-migration.ts';
import { usersMigration } from '../users/migration.ts';
import { webhookTablesMigration } from '../webhooks/migration.ts';
import type { Database, Dialect } from './database.ts';
import { notNull, withId } from './ddl.ts';

type Db = Kysely<unknown>;

function initialSchema(dialect: Dialect): Migration {
  return {
    async up(db: Db) {
      await withId(db.schema.createTable('projects'), dialect)
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', notNull)
        .execute();

      await withId(db.schema.createTable('api_keys'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('name', 'text', notNull)
        .addColumn('role', 'text', notNull)
        .addColumn('prefix', 'text', notNull)
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', notNull)
        .addColumn('revoked_at', 'text')
        .addColumn('last_used_at', 'text')
        .execute();

      await withId(db.schema.createTable('environments'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('name', 'text', notNull)
        .addColumn('description', 'text', notNull)
        .addColumn('rank', 'integer', notNull)
        .addColumn('protected', 'integer', notNull)
        .addColumn('archived', 'integer', notNull)
        .addColumn('created_at', 'text', notNull)
        .addUniqueConstraint('environments_project_name_unique', ['project_id', 'name'])
        .execute();

      await withId(db.schema.createTable('prompts'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('name', 'text', notNull)
        .addColumn('description', 'text', notNull)
        .addColumn('owner', 'text', notNull)
        .addColumn('tags', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addColumn('updated_at', 'text', notNull)
        .addColumn('latest_version', 'integer')
        .addUniqueConstraint('prompts_project_name_unique', ['project_id', 'name'])
        .execute();

      await withId(db.schema.createTable('versions'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('prompt_id', 'integer', (c) => c.notNull().references('prompts.id'))
        .addColumn('number', 'integer', notNull)
        .addColumn('semver', 'text', notNull)
        .addColumn('type', 'text', notNull)
        .addColumn('template', 'text')
        .addColumn('messages', 'text')
        .addColumn('config', 'text', notNull)
        .addColumn('variables', 'text', notNull)
        .addColumn('message', 'text', notNull)
        .addColumn('author', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addColumn('parent', 'integer')
        .addColumn('hash', 'text', notNull)
        // The last line of defence against two writers taking the same number.
        .addUniqueConstraint('versions_prompt_number_unique', ['prompt_id', 'number'])
        .execute();

      await withId(db.schema.createTable('deployment_history'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('prompt_id', 'integer', (c) => c.notNull().references('prompts.id'))
        .addColumn('environment_id', 'integer', (c) => c.notNull().references('environments.id'))
        .addColumn('action', 'text', notNull)
        .addColumn('variants', 'text', notNull)
        .addColumn('enabled', 'integer', notNull)
        .addColumn('previous', 'text')
        .addColumn('restored_from', 'integer')
        .addColumn('rollback_target', 'integer')
        .addColumn('actor', 'text', notNull)
        .addColumn('reason', 'text')
        .addColumn('at', 'text', notNull)
        .execute();
      // `?at=` asks for the newest entry at or before an instant, per prompt and environment.
      await db.schema
        .createIndex('deployment_history_lookup')
        .on('deployment_history')
        .columns(['prompt_id', 'environment_id', 'at', 'id'])
        .execute();

      await withId(db.schema.createTable('deployments'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('prompt_id', 'integer', (c) => c.notNull().references('prompts.id'))
        .addColumn('environment_id', 'integer', (c) => c.notNull().references('environments.id'))
        .addColumn('variants', 'text', notNull)
        .addColumn('enabled', 'integer', notNull)
        .addColumn('history_id', 'integer', (c) => c.notNull().references('deployment_history.id'))
        .addColumn('updated_at', 'text', notNull)
        .addColumn('updated_by', 'text', notNull)
        .addUniqueConstraint('deployments_prompt_environment_unique', ['prompt_id', 'environment_id'])
        .execute();
      await db.schema
        .createIndex('deployments_environment')
        .on('deployments')
        .columns(['environment_id'])
        .execute();

      await withId(db.schema.createTable('audit_events'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('actor', 'text', notNull)
        .addColumn('action', 'text', notNull)
        .addColumn('target_type', 'text', notNull)
        .addColumn('target', 'text', notNull)
        .addColumn('data', 'text', notNull)
        .addColumn('at', 'text', notNull)
        .addColumn('prev_hash', 'text', notNull)
        .addColumn('hash', 'text', notNull)
        .execute();
      await db.schema
        .createIndex('audit_events_project')
        .on('audit_events')
        .columns(['project_id', 'id'])
        .execute();
    },
  };
}

/** One recorded migration made of several features' parts, run in order. */
function inOrder(...parts: Migration[]): Migration {
  return {
    async up(db: Db) {
      for (const part of parts) await part.up(db);
    },
  };
}

/** Every migration, in order. Forward only: never edit one that has shipped, add a new one. */
/** History entries say whether a change overrode the partial check with `force: true`. */
const deploymentForcedMigration: Migration = {
  async up(db: Db) {
    await db.schema
      .alterTable('deployment_history')
      .addColumn('forced', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};

function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_initial_schema': initialSchema(dialect),
    // One migration since it shipped: the datasets' tables first (the features now own one half each).
    '0010_datasets_and_evals': inOrder(datasetTablesMigration(dialect), evalTablesMigration(dialect)),
    '0020_provider_credentials': providerTablesMigration(dialect),
    '0021_change_notify': changeNotifyMigration(dialect),
    '0030_sessions': sessionsMigration(dialect),
    '0040_jobs': jobTablesMigration(dialect),
    '0045_deployment_history_forced': deploymentForcedMigration,
    '0046_eval_run_jobs': evalRunJobsMigration(),
    '0050_traces': traceTablesMigration(dialect),
    '0055_metric_rollups': metricTablesMigration(dialect),
    '0075_gateway_budgets': gatewayBudgetsMigration(),
    '0080_api_key_notify': apiKeyNotifyMigration(dialect),
    '0170_gateway_routes': gatewayRoutesMigration(),
    '0171_audit_chain_id': auditChainIdMigration(),
    // Numbered after 0171_audit_chain_id, already on main when this landed: Kysely runs them in name order.
    '0172_langfuse_pending': langfusePendingMigration(),
    // Named after every migration on main when it landed; its range (0120–0139) was passed by then.
    '0180_audit_seal_existing_rows': sealExistingRowsMigration(),
    '0181_policies_and_requests': policiesAndRequestsMigration(dialect),
    // Numbered in 0100–0119, renamed to sort after every migration on main when it landed.
    '0182_users': usersMigration(dialect),
    '0189_prompt_archive': promptArchiveMigration(),
    '0220_webhooks': webhookTablesMigration(dialect),
    // Numbered in 0200–0209, renamed to sort after every migration on main when it landed.
    '0221_rollouts': rolloutTablesMigration(dialect),
    // Numbered in 0190–0199, renamed to sort after every migration on main when they landed.
    '0230_user_sessions': userSessionsMigration(dialect),
    '0231_oidc_logins': oidcLoginsMigration(dialect),
    // Numbered in 0220–0229, renamed to sort after every migration on main when it landed.
    '0232_alerts_and_notifications': inOrder(
      alertTablesMigration(dialect),
      notificationTablesMigration(dialect),
    ),
    // Numbered in 0200–0209, renamed to sort after every migration on main when it landed.
    '0233_experiments': experimentTablesMigration(dialect),
    '0240_prompt_people': promptPeopleMigration(),
    // Numbered in 0220–0229, renamed to sort after every migration on main when it landed.
    '0241_privacy_settings': privacySettingsMigration(),
    '0242_passwords': passwordsMigration(dialect),
    '0300_member_notify': memberNotifyMigration(dialect),
    '0320_rollout_checks': rolloutChecksMigration(dialect),
    '0350_api_key_scopes': apiKeyScopesMigration(),
    // From the 0300–0309 range; numbered to sort after 0350_api_key_scopes, whose column it watches.
    '0360_api_key_expiry_notify': apiKeyExpiryNotifyMigration(dialect),
    // Numbered in 0310–0319, renamed to sort after every migration on main when they landed.
    '0351_release_targeting': releaseTargetingMigration(),
    '0352_segments': segmentsMigration(dialect),
    '0353_scheduled_releases': scheduledReleasesMigration(dialect),
    // Numbered in 0340–0349, renamed to sort after every migration on main when it landed.
    '0353_span_search': spanSearchMigration(dialect),
    // Numbered 0351 in its branch, renamed to sort after every migration on main when it landed.
    '0354_invitations': invitationsMigration(dialect),
    // From the 0320–0329 range; numbered to sort after every migration on main when it was written.
    '0370_rollout_approvals': rolloutApprovalsMigration(),
    // Numbered in 0330–0339, renamed to sort after every migration on main when it landed.
    '0371_branches': branchesMigration(dialect),
    '0400_security_events': securityEventsMigration(dialect),
    '0420_annotation': annotationMigration(dialect),
    '0430_redteam_runs': redteamRunsMigration(dialect),
    '0440_span_contracts': spanContractsMigration(),
    '0441_metric_contracts': metricContractsMigration(),
    // Numbered in 0410–0419, renamed to sort after every migration on main when it landed.
    '0442_online_evals': onlineEvalTablesMigration(dialect),
    // From the 0420–0429 range, after 0442_online_evals already on main: Kysely runs them in name order.
    '0443_annotation_sampling': annotationSamplingMigration(),
  };
}

/** The names of every migration this release knows, in order (readiness compares them with the database's record). */
export function migrationNames(dialect: Dialect): string[] {
  return Object.keys(migrations(dialect)).sort();
}

/**
 * Brings the database schema up to date (run at start). Recorded in Kysely's migration table.
 *
 * @throws AppError INTERNAL when a migration fails; the database is left at the last good one.
 */
export async function migrate(
  database: Database,
  /** Stop after this migration instead of the latest (tests of a migration over older data). */
  options: { to?: string } = {},
): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(database.dialect) };
  // Kysely looks for its migration tables in every schema unless told which one: with several
  // schemas in one PostgreSQL database (tests, tenants) it would find another schema's tables.
  const schema =
    database.dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(database.db)).rows[0]
          ?.schema
      : undefined;
  const migrator = new Migrator({
    db: database.db,
    provider,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } =
    options.to === undefined ? await migrator.migrateToLatest() : await migrator.migrateTo(options.to);
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new AppError(
      'INTERNAL',
      `Database migration "${failed}" failed: ${String(error)}. Check the database and retry.`,
      {
        cause: error,
      },
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
