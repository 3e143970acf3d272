import type { Kysely, Migration } from 'kysely';
import { notNull } from '../db/ddl.ts';

/**
 * Gateway spend budgets per API key, and what each key spent per UTC day and month. Spend rows are
 * added to (never rewritten) by the gateway's batched charges.
 */
export function gatewayBudgetsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('gateway_key_budgets')
        .addColumn('key_id', 'integer', (c) => c.primaryKey().references('api_keys.id'))
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('usd_per_day', 'double precision')
        .addColumn('usd_per_month', 'double precision')
        .addColumn('updated_at', 'text', notNull)
        .addColumn('updated_by', 'text', notNull)
        .execute();
      await db.schema
        .createTable('gateway_key_spend')
        .addColumn('key_id', 'integer', (c) => c.notNull().references('api_keys.id'))
        // `2026-03-01` (a UTC day) or `2026-03` (a UTC month).
        .addColumn('period', 'text', notNull)
        .addColumn('spent_usd', 'double precision', notNull)
        .addPrimaryKeyConstraint('gateway_key_spend_pk', ['key_id', 'period'])
        .execute();
    },
  };
}

/**
 * Per-project fallback routes: for a requested `<provider>/<model>`, the models tried in order
 * when it fails. `fallbacks` is a JSON array of `<provider>/<model>`, read whole with its row.
 */
export function gatewayRoutesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('gateway_routes')
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('model', 'text', notNull)
        .addColumn('fallbacks', 'text', notNull)
        // Per attempt, until the answer begins; null: the provider's own timeout.
        .addColumn('timeout_ms', 'integer')
        .addColumn('updated_at', 'text', notNull)
        .addColumn('updated_by', 'text', notNull)
        .addPrimaryKeyConstraint('gateway_routes_pk', ['project_id', 'model'])
        .execute();
    },
  };
}
