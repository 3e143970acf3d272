import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/** Tables of this feature (migrations `0075_gateway_budgets`, `0170_gateway_routes`). */
export type GatewayTables = {
  gateway_key_budgets: {
    key_id: number;
    project_id: number;
    usd_per_day: number | null;
    usd_per_month: number | null;
    updated_at: string;
    updated_by: string;
  };
  gateway_key_spend: { key_id: number; period: string; spent_usd: number };
  gateway_routes: {
    project_id: number;
    model: string;
    /** JSON array of `<provider>/<model>`. */
    fallbacks: string;
    timeout_ms: number | null;
    updated_at: string;
    updated_by: string;
  };
};

export interface StoredRoute {
  model: string;
  fallbacks: string[];
  timeoutMs: number | null;
  updatedAt: string;
  updatedBy: string;
}

export interface StoredBudget {
  keyId: number;
  usdPerDay: number | null;
  usdPerMonth: number | null;
  updatedAt: string;
  updatedBy: string;
}

const tables = (db: Db) => db.withTables<GatewayTables>();

const COLUMNS = ['key_id', 'usd_per_day', 'usd_per_month', 'updated_at', 'updated_by'] as const;

function toBudget(row: Omit<GatewayTables['gateway_key_budgets'], 'project_id'>): StoredBudget {
  return {
    keyId: row.key_id,
    // PostgreSQL's double precision arrives as a number; SQLite's REAL too. Number() guards drivers that send text.
    usdPerDay: row.usd_per_day === null ? null : Number(row.usd_per_day),
    usdPerMonth: row.usd_per_month === null ? null : Number(row.usd_per_month),
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

const ROUTE_COLUMNS = ['model', 'fallbacks', 'timeout_ms', 'updated_at', 'updated_by'] as const;

function toRoute(row: Omit<GatewayTables['gateway_routes'], 'project_id'>): StoredRoute {
  return {
    model: row.model,
    fallbacks: JSON.parse(row.fallbacks) as string[],
    timeoutMs: row.timeout_ms === null ? null : Number(row.timeout_ms),
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

/** SQL of gateway budgets, spend and fallback routes. */
export function createGatewayStore() {
  return {
    /** A project's fallback routes, by model. */
    async routes(db: Db, projectId: number): Promise<StoredRoute[]> {
      const rows = await tables(db)
        .selectFrom('gateway_routes')
        .select(ROUTE_COLUMNS)
        .where('project_id', '=', projectId)
        .orderBy('model', 'asc')
        .execute();
      return rows.map(toRoute);
    },

    async route(db: Db, projectId: number, model: string): Promise<StoredRoute | undefined> {
      const row = await tables(db)
        .selectFrom('gateway_routes')
        .select(ROUTE_COLUMNS)
        .where('project_id', '=', projectId)
        .where('model', '=', model)
        .executeTakeFirst();
      return row ? toRoute(row) : undefined;
    },

    async saveRoute(db: Db, projectId: number, route: StoredRoute): Promise<void> {
      const values = {
        fallbacks: JSON.stringify(route.fallbacks),
        timeout_ms: route.timeoutMs,
        updated_at: route.updatedAt,
        updated_by: route.updatedBy,
      };
      await tables(db)
        .insertInto('gateway_routes')
        .values({ project_id: projectId, model: route.model, ...values })
        .onConflict((oc) => oc.columns(['project_id', 'model']).doUpdateSet(values))
        .execute();
    },

    async removeRoute(db: Db, projectId: number, model: string): Promise<boolean> {
      const result = await tables(db)
        .deleteFrom('gateway_routes')
        .where('project_id', '=', projectId)
        .where('model', '=', model)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async budgets(db: Db, projectId: number): Promise<StoredBudget[]> {
      const rows = await tables(db)
        .selectFrom('gateway_key_budgets')
        .select(COLUMNS)
        .where('project_id', '=', projectId)
        .orderBy('key_id', 'asc')
        .execute();
      return rows.map(toBudget);
    },

    /** The budget of `keyId` (within `projectId` when given). */
    async budget(db: Db, keyId: number, projectId?: number): Promise<StoredBudget | undefined> {
      let query = tables(db).selectFrom('gateway_key_budgets').select(COLUMNS).where('key_id', '=', keyId);
      if (projectId !== undefined) query = query.where('project_id', '=', projectId);
      const row = await query.executeTakeFirst();
      return row ? toBudget(row) : undefined;
    },

    async saveBudget(db: Db, projectId: number, budget: StoredBudget): Promise<void> {
      const values = {
        usd_per_day: budget.usdPerDay,
        usd_per_month: budget.usdPerMonth,
        updated_at: budget.updatedAt,
        updated_by: budget.updatedBy,
      };
      await tables(db)
        .insertInto('gateway_key_budgets')
        .values({ key_id: budget.keyId, project_id: projectId, ...values })
        .onConflict((oc) => oc.column('key_id').doUpdateSet(values))
        .execute();
    },

    async removeBudget(db: Db, projectId: number, keyId: number): Promise<boolean> {
      const result = await tables(db)
        .deleteFrom('gateway_key_budgets')
        .where('project_id', '=', projectId)
        .where('key_id', '=', keyId)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    /** What each of `keyIds` spent in each of `periods`. */
    async spend(
      db: Db,
      keyIds: readonly number[],
      periods: readonly string[],
    ): Promise<{ keyId: number; period: string; spentUsd: number }[]> {
      if (keyIds.length === 0) return [];
      const rows = await tables(db)
        .selectFrom('gateway_key_spend')
        .select(['key_id', 'period', 'spent_usd'])
        .where('key_id', 'in', [...keyIds])
        .where('period', 'in', [...periods])
        .execute();
      return rows.map((r) => ({ keyId: r.key_id, period: r.period, spentUsd: Number(r.spent_usd) }));
    },

    /** Adds to spend rows, creating them; concurrent instances add without losing each other's sums. */
    async addSpend(
      db: Db,
      charges: readonly { keyId: number; period: string; usd: number }[],
    ): Promise<void> {
      if (charges.length === 0) return;
      await tables(db)
        .insertInto('gateway_key_spend')
        .values(charges.map((c) => ({ key_id: c.keyId, period: c.period, spent_usd: c.usd })))
        .onConflict((oc) =>
          oc
            .columns(['key_id', 'period'])
            .doUpdateSet({ spent_usd: sql<number>`gateway_key_spend.spent_usd + excluded.spent_usd` }),
        )
        .execute();
    },
  };
}

export type GatewayStore = ReturnType<typeof createGatewayStore>;
