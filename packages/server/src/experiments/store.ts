import { type Experiment, Variant } from '@promptline/core';
import type { Generated, Selectable } from 'kysely';
import { z } from 'zod';
import { decodeJsonAs, encodeJson } from '../db/codecs.ts';
import type { Db, Dialect } from '../db/database.ts';

/** An experiment row, decoded. */
export interface StoredExperiment extends Experiment {
  projectId: number;
  promptId: number;
  environmentId: number;
  historyId: number;
  shippedHistoryId: number | null;
}

interface ExperimentsTable {
  id: Generated<number>;
  project_id: number;
  prompt_id: number;
  environment_id: number;
  prompt: string;
  environment: string;
  variants: string;
  control: number;
  metric: string;
  secondary: string;
  expected_units: number;
  status: string;
  shipped: number | null;
  history_id: number;
  shipped_history_id: number | null;
  created_by: string;
  reason: string | null;
  started_at: string;
  stopped_at: string | null;
}

const own = (db: Db) => db.withTables<{ experiments: ExperimentsTable }>();

function toExperiment(row: Selectable<ExperimentsTable>): StoredExperiment {
  return {
    id: row.id,
    projectId: row.project_id,
    promptId: row.prompt_id,
    environmentId: row.environment_id,
    prompt: row.prompt,
    environment: row.environment,
    variants: decodeJsonAs(z.array(Variant), row.variants, 'experiment variants'),
    control: row.control,
    metric: row.metric,
    secondary: decodeJsonAs(z.array(z.string()), row.secondary, 'experiment metrics'),
    expectedUnitsPerArm: row.expected_units,
    status: row.status === 'running' ? 'running' : 'stopped',
    shipped: row.shipped,
    historyId: row.history_id,
    shippedHistoryId: row.shipped_history_id,
    createdBy: row.created_by,
    reason: row.reason,
    startedAt: row.started_at,
    stoppedAt: row.stopped_at,
  };
}

/** SQL of experiments. */
export function createExperimentStore(dialect: Dialect) {
  return {
    async insert(db: Db, e: Omit<StoredExperiment, 'id'>): Promise<StoredExperiment> {
      const row = await own(db)
        .insertInto('experiments')
        .values({
          project_id: e.projectId,
          prompt_id: e.promptId,
          environment_id: e.environmentId,
          prompt: e.prompt,
          environment: e.environment,
          variants: encodeJson(e.variants),
          control: e.control,
          metric: e.metric,
          secondary: encodeJson(e.secondary),
          expected_units: e.expectedUnitsPerArm,
          status: e.status,
          shipped: e.shipped,
          history_id: e.historyId,
          shipped_history_id: e.shippedHistoryId,
          created_by: e.createdBy,
          reason: e.reason,
          started_at: e.startedAt,
          stopped_at: e.stoppedAt,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toExperiment(row);
    },

    async find(db: Db, id: number, lock = false): Promise<StoredExperiment | undefined> {
      let q = own(db).selectFrom('experiments').selectAll().where('id', '=', id);
      if (lock && dialect === 'postgres') q = q.forUpdate();
      const row = await q.executeTakeFirst();
      return row ? toExperiment(row) : undefined;
    },

    async findRunning(
      db: Db,
      promptId: number,
      environmentId: number,
    ): Promise<StoredExperiment | undefined> {
      const row = await own(db)
        .selectFrom('experiments')
        .selectAll()
        .where('prompt_id', '=', promptId)
        .where('environment_id', '=', environmentId)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return row ? toExperiment(row) : undefined;
    },

    async list(
      db: Db,
      projectId: number,
      filter: { prompt?: string | undefined; status?: string | undefined; limit: number },
    ): Promise<StoredExperiment[]> {
      let q = own(db).selectFrom('experiments').selectAll().where('project_id', '=', projectId);
      if (filter.prompt) q = q.where('prompt', '=', filter.prompt);
      if (filter.status) q = q.where('status', '=', filter.status);
      return (await q.orderBy('id', 'desc').limit(filter.limit).execute()).map(toExperiment);
    },

    async setHistory(db: Db, id: number, historyId: number): Promise<void> {
      await own(db).updateTable('experiments').set({ history_id: historyId }).where('id', '=', id).execute();
    },

    async stop(
      db: Db,
      id: number,
      change: { stoppedAt: string; shipped: number | null; shippedHistoryId: number | null },
    ): Promise<void> {
      await own(db)
        .updateTable('experiments')
        .set({
          status: 'stopped',
          stopped_at: change.stoppedAt,
          shipped: change.shipped,
          shipped_history_id: change.shippedHistoryId,
        })
        .where('id', '=', id)
        .execute();
    },
  };
}
