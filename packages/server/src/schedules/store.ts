import { DeployRequest } from '@promptline/core';
import { decodeJsonAs, encodeJson } from '../db/codecs.ts';
import type { Db } from '../db/database.ts';
import type { ScheduleTables } from './migration.ts';

const tables = (db: Db) => db.withTables<ScheduleTables>();

export interface StoredSchedule {
  id: number;
  projectId: number;
  prompt: string;
  environment: string;
  request: DeployRequest;
  runAt: string;
  status: 'pending' | 'applied' | 'refused' | 'cancelled';
  createdBy: string;
  createdAt: string;
  decidedAt: string | null;
  historyId: number | null;
  error: string | null;
}

const COLUMNS = [
  'id',
  'project_id',
  'prompt',
  'environment',
  'request',
  'run_at',
  'status',
  'created_by',
  'created_at',
  'decided_at',
  'history_id',
  'error',
] as const;

type Row = ScheduleTables['scheduled_releases'] & { id: number };

function toSchedule(row: Row): StoredSchedule {
  return {
    id: row.id,
    projectId: row.project_id,
    prompt: row.prompt,
    environment: row.environment,
    request: decodeJsonAs(DeployRequest, row.request, 'scheduled release'),
    runAt: row.run_at,
    status: row.status as StoredSchedule['status'],
    createdBy: row.created_by,
    createdAt: row.created_at,
    decidedAt: row.decided_at,
    historyId: row.history_id,
    error: row.error,
  };
}

/** SQL of scheduled releases (its own table only). */
export function createScheduleStore() {
  return {
    async insert(
      db: Db,
      s: {
        projectId: number;
        prompt: string;
        environment: string;
        request: DeployRequest;
        runAt: string;
        actor: string;
        at: string;
      },
    ): Promise<StoredSchedule> {
      const row = await tables(db)
        .insertInto('scheduled_releases')
        .values({
          project_id: s.projectId,
          prompt: s.prompt,
          environment: s.environment,
          request: encodeJson(s.request),
          run_at: s.runAt,
          status: 'pending',
          created_by: s.actor,
          created_at: s.at,
          decided_at: null,
          history_id: null,
          error: null,
        })
        .returning(COLUMNS)
        .executeTakeFirstOrThrow();
      return toSchedule(row as Row);
    },

    async find(db: Db, projectId: number, id: number): Promise<StoredSchedule | undefined> {
      const row = await tables(db)
        .selectFrom('scheduled_releases')
        .select(COLUMNS)
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toSchedule(row as Row) : undefined;
    },

    async list(db: Db, projectId: number, status: string | undefined): Promise<StoredSchedule[]> {
      let q = tables(db).selectFrom('scheduled_releases').select(COLUMNS).where('project_id', '=', projectId);
      if (status !== undefined) q = q.where('status', '=', status);
      return (await q.orderBy('run_at').orderBy('id').execute()).map((r) => toSchedule(r as Row));
    },

    /** Pending schedules due at `now`, oldest first, every project. */
    async due(db: Db, now: string, limit: number): Promise<StoredSchedule[]> {
      const rows = await tables(db)
        .selectFrom('scheduled_releases')
        .select(COLUMNS)
        .where('status', '=', 'pending')
        .where('run_at', '<=', now)
        .orderBy('run_at')
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map((r) => toSchedule(r as Row));
    },

    /** Moves a pending schedule to its outcome; false when it was no longer pending (another instance decided it). */
    async decide(
      db: Db,
      id: number,
      outcome: {
        status: 'applied' | 'refused' | 'cancelled';
        at: string;
        historyId?: number | null;
        error?: string | null;
      },
    ): Promise<boolean> {
      const result = await tables(db)
        .updateTable('scheduled_releases')
        .set({
          status: outcome.status,
          decided_at: outcome.at,
          history_id: outcome.historyId ?? null,
          error: outcome.error ?? null,
        })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}
