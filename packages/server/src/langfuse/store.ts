/** The SQL of Langfuse ingestion's working rows (`langfuse_pending`). */
import { z } from 'zod';
import { decodeBool, decodeJsonAs, encodeBool, encodeJson, toNumber } from '../db/codecs.ts';
import type { Db } from '../db/database.ts';
import { type LangfusePendingTable, langfuseDb } from './migration.ts';

export type PendingKind = 'trace' | 'observation' | 'score';

export interface PendingRow {
  kind: PendingKind;
  /** The Langfuse id of the trace, observation or score. */
  id: string;
  traceId: string;
  target: string | null;
  body: Record<string, unknown>;
  written: boolean;
  createdAt: string;
  updatedAt: string;
}

const Body = z.record(z.string(), z.unknown());
const CHUNK = 400;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

function toRow(r: LangfusePendingTable): PendingRow & { projectId: number } {
  return {
    projectId: toNumber(r.project_id),
    kind: r.kind as PendingKind,
    id: r.id,
    traceId: r.trace_id,
    target: r.target,
    body: decodeJsonAs(Body, r.body, 'langfuse_pending.body'),
    written: decodeBool(r.written),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function createLangfuseStore() {
  return {
    /** The rows of these ids of one kind. */
    async find(db: Db, projectId: number, kind: PendingKind, ids: readonly string[]): Promise<PendingRow[]> {
      const out: PendingRow[] = [];
      for (const part of chunks([...new Set(ids)])) {
        const rows = await langfuseDb(db)
          .selectFrom('langfuse_pending')
          .selectAll()
          .where('project_id', '=', projectId)
          .where('kind', '=', kind)
          .where('id', 'in', part)
          .execute();
        out.push(...rows.map(toRow));
      }
      return out;
    },

    /** The rows of one kind belonging to these traces. */
    async ofTraces(
      db: Db,
      projectId: number,
      kind: PendingKind,
      traceIds: readonly string[],
    ): Promise<PendingRow[]> {
      const out: PendingRow[] = [];
      for (const part of chunks([...new Set(traceIds)])) {
        const rows = await langfuseDb(db)
          .selectFrom('langfuse_pending')
          .selectAll()
          .where('project_id', '=', projectId)
          .where('kind', '=', kind)
          .where('trace_id', 'in', part)
          .execute();
        out.push(...rows.map(toRow));
      }
      return out;
    },

    /** Inserts or replaces rows (a merged body replaces the stored one). */
    async upsert(db: Db, projectId: number, rows: readonly PendingRow[]): Promise<void> {
      for (const part of chunks(rows)) {
        await langfuseDb(db)
          .insertInto('langfuse_pending')
          .values(
            part.map((r) => ({
              project_id: projectId,
              kind: r.kind,
              id: r.id,
              trace_id: r.traceId,
              target: r.target,
              body: encodeJson(r.body),
              written: encodeBool(r.written),
              created_at: r.createdAt,
              updated_at: r.updatedAt,
            })),
          )
          .onConflict((oc) =>
            oc.columns(['project_id', 'kind', 'id']).doUpdateSet((eb) => ({
              trace_id: eb.ref('excluded.trace_id'),
              target: eb.ref('excluded.target'),
              body: eb.ref('excluded.body'),
              written: eb.ref('excluded.written'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
      }
    },

    /** Observations never ended, last touched before `before` (any project), oldest first. */
    async unfinished(db: Db, before: string, limit: number): Promise<(PendingRow & { projectId: number })[]> {
      const rows = await langfuseDb(db)
        .selectFrom('langfuse_pending')
        .selectAll()
        .where('written', '=', 0)
        .where('updated_at', '<', before)
        .where('kind', '=', 'observation')
        .orderBy('updated_at')
        .limit(limit)
        .execute();
      return rows.map(toRow);
    },

    /** Removes every row last touched before `before` (traces, written rows, scores that never found their span). */
    async prune(db: Db, before: string): Promise<number> {
      const result = await langfuseDb(db)
        .deleteFrom('langfuse_pending')
        .where('updated_at', '<', before)
        .where((eb) => eb.or([eb('written', '=', 1), eb('kind', '!=', 'observation')]))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type LangfuseStore = ReturnType<typeof createLangfuseStore>;
