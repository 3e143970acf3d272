import type { Kysely, Migration } from 'kysely';
import type { Db } from '../db/database.ts';
import { notNull } from '../db/ddl.ts';

/**
 * What Langfuse ingestion keeps between batches (see docs/langfuse.md, "Tracing"): a trace's
 * attributes (its spans are written with them), an observation until it has ended (then written
 * as a span, its row kept as `written` so a later update is answered, not lost silently), and a
 * score whose span is not written yet. Rows are working state, pruned by `langfuse.ingestion`.
 */
export interface LangfusePendingTable {
  project_id: number;
  /** `trace`, `observation` or `score`. */
  kind: string;
  /** The Langfuse id of the trace, observation or score. */
  id: string;
  /** The Langfuse trace id it belongs to (the trace's own id for a trace). */
  trace_id: string;
  /** A score's observation id; null for a trace-level score and for other kinds. */
  target: string | null;
  /** The merged event body (JSON). */
  body: string;
  /** 1 once an observation's span or a score is stored through the traces service. */
  written: number;
  created_at: string;
  updated_at: string;
}

// A type alias, not an interface: withTables() needs the implicit index signature.
export type LangfuseTables = { langfuse_pending: LangfusePendingTable };

export const langfuseDb = (db: Db) => db.withTables<LangfuseTables>();

/** The Langfuse ingestion working table. */
export function langfusePendingMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('langfuse_pending')
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('kind', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('trace_id', 'text', notNull)
        .addColumn('target', 'text')
        .addColumn('body', 'text', notNull)
        .addColumn('written', 'integer', notNull)
        .addColumn('created_at', 'text', notNull)
        .addColumn('updated_at', 'text', notNull)
        .addPrimaryKeyConstraint('langfuse_pending_pk', ['project_id', 'kind', 'id'])
        .execute();
      // Scores and observations of a trace (a trace-level score waits for any span of its trace).
      await db.schema
        .createIndex('langfuse_pending_trace')
        .on('langfuse_pending')
        .columns(['project_id', 'kind', 'trace_id'])
        .execute();
      // The upkeep job's scans: unfinished observations and rows past their keep time.
      await db.schema
        .createIndex('langfuse_pending_updated')
        .on('langfuse_pending')
        .columns(['written', 'updated_at'])
        .execute();
    },
  };
}
