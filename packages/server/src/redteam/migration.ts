import type { Generated, Kysely, Migration } from 'kysely';
import type { Db, Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

// A type alias, not an interface: withTables() needs the implicit index signature.
export type RedteamTables = {
  redteam_runs: {
    id: Generated<number>;
    project_id: number;
    prompt: string;
    version: number;
    /** server | upload */
    source: string;
    /** queued | running | completed | failed | cancelled */
    status: string;
    /** JSON RedteamRunSpec (server runs; null for uploads). */
    spec: string | null;
    /** `provider:model` as attacked. */
    provider: string;
    fail_on: string;
    total: number;
    done: number;
    findings: number;
    errors: number;
    /** Findings at or above fail_on. */
    failing: number;
    /** Findings per severity, for the gate at any severity. */
    low: number;
    medium: number;
    high: number;
    critical: number;
    /** 1/0 once completed. */
    passed: number | null;
    /** JSON StoredRedteamSummary once finished. */
    summary: string | null;
    cost_usd: number;
    error: string | null;
    cancel_requested: number;
    created_by: string;
    created_at: string;
    started_at: string | null;
    finished_at: string | null;
  };
  redteam_findings: {
    id: Generated<number>;
    run_id: number;
    /** Order within the run (probe order). */
    seq: number;
    probe: string;
    plugin: string;
    title: string;
    strategy: string;
    severity: string;
    owasp: string;
    owasp_title: string;
    detector: string;
    confidence: string;
    evidence: string;
    attack: string;
    /** JSON string[] */
    turns: string;
    output: string;
    /** JSON [{name, arguments}] */
    tool_calls: string;
    mitigation: string;
  };
};

export const redteamDb = (db: Db) => db.withTables<RedteamTables>();

/** Red-team runs (server runs and uploaded CLI reports) and their findings. */
export function redteamRunsMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // "double precision" is REAL affinity on SQLite and a float8 on PostgreSQL.
      const real = 'double precision';
      const count = (c: Parameters<typeof notNull>[0]) => c.notNull().defaultTo(0);
      await withId(db.schema.createTable('redteam_runs'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('prompt', 'text', notNull)
        .addColumn('version', 'integer', notNull)
        .addColumn('source', 'text', notNull)
        .addColumn('status', 'text', notNull)
        .addColumn('spec', 'text')
        .addColumn('provider', 'text', notNull)
        .addColumn('fail_on', 'text', notNull)
        .addColumn('total', 'integer', count)
        .addColumn('done', 'integer', count)
        .addColumn('findings', 'integer', count)
        .addColumn('errors', 'integer', count)
        .addColumn('failing', 'integer', count)
        .addColumn('low', 'integer', count)
        .addColumn('medium', 'integer', count)
        .addColumn('high', 'integer', count)
        .addColumn('critical', 'integer', count)
        .addColumn('passed', 'integer')
        .addColumn('summary', 'text')
        .addColumn('cost_usd', real, (c) => c.notNull().defaultTo(0))
        .addColumn('error', 'text')
        .addColumn('cancel_requested', 'integer', count)
        .addColumn('created_by', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .execute();
      // The gate asks for a version's newest completed run.
      await db.schema
        .createIndex('redteam_runs_version')
        .on('redteam_runs')
        .columns(['project_id', 'prompt', 'version', 'status', 'id'])
        .execute();
      await withId(db.schema.createTable('redteam_findings'), dialect)
        .addColumn('run_id', 'integer', (c) => c.notNull().references('redteam_runs.id'))
        .addColumn('seq', 'integer', notNull)
        .addColumn('probe', 'text', notNull)
        .addColumn('plugin', 'text', notNull)
        .addColumn('title', 'text', notNull)
        .addColumn('strategy', 'text', notNull)
        .addColumn('severity', 'text', notNull)
        .addColumn('owasp', 'text', notNull)
        .addColumn('owasp_title', 'text', notNull)
        .addColumn('detector', 'text', notNull)
        .addColumn('confidence', 'text', notNull)
        .addColumn('evidence', 'text', notNull)
        .addColumn('attack', 'text', notNull)
        .addColumn('turns', 'text', notNull)
        .addColumn('output', 'text', notNull)
        .addColumn('tool_calls', 'text', notNull)
        .addColumn('mitigation', 'text', notNull)
        .execute();
      await db.schema
        .createIndex('redteam_findings_run')
        .on('redteam_findings')
        .columns(['run_id', 'id'])
        .execute();
    },
  };
}
