/** The SQL of scores: written one at a time, read per trace, removed with their spans. */
import type { Insertable, Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import { type ScoresTable, traceDb } from './migration.ts';

export type StoredScore = Selectable<ScoresTable>;
export type NewScoreRow = Insertable<ScoresTable>;

export function createScoreStore() {
  return {
    async insert(db: Db, row: NewScoreRow): Promise<StoredScore> {
      return traceDb(db).insertInto('scores').values(row).returningAll().executeTakeFirstOrThrow();
    },

    /** Every score of a trace, oldest first. */
    async ofTrace(db: Db, projectId: number, traceId: string): Promise<StoredScore[]> {
      return traceDb(db)
        .selectFrom('scores')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('trace_id', '=', traceId)
        .orderBy('id')
        .execute();
    },

    /** Removes at most `batch` scores of spans that started before `beforeMs`. */
    async deleteBefore(db: Db, projectId: number, beforeMs: number, batch: number): Promise<number> {
      const result = await traceDb(db)
        .deleteFrom('scores')
        .where(
          'id',
          'in',
          traceDb(db)
            .selectFrom('scores')
            .select('id')
            .where('project_id', '=', projectId)
            .where('span_start_ms', '<', beforeMs)
            .limit(batch),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    /** Deletes every score of these traces; answers how many. */
    async deleteOfTraces(db: Db, projectId: number, traceIds: readonly string[]): Promise<number> {
      let removed = 0;
      for (let i = 0; i < traceIds.length; i += 500) {
        const result = await traceDb(db)
          .deleteFrom('scores')
          .where('project_id', '=', projectId)
          .where('trace_id', 'in', traceIds.slice(i, i + 500))
          .executeTakeFirst();
        removed += Number(result.numDeletedRows);
      }
      return removed;
    },
  };
}
