import type { Generated, Kysely, Migration } from 'kysely';
import type { Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

// A type alias, not an interface: withTables() needs the implicit index signature.
export type ScheduleTables = {
  scheduled_releases: {
    id: Generated<number>;
    project_id: number;
    prompt: string;
    environment: string;
    /** JSON DeployRequest: the release to make live. */
    request: string;
    run_at: string;
    /** pending | applied | refused | cancelled */
    status: string;
    created_by: string;
    created_at: string;
    decided_at: string | null;
    /** The history entry it made (applied). */
    history_id: number | null;
    /** Why it was refused at apply time (code: message). */
    error: string | null;
  };
};

/** Releases that go live at a given time, applied by the `schedules.apply` job. */
export function scheduledReleasesMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('scheduled_releases'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('prompt', 'text', notNull)
        .addColumn('environment', 'text', notNull)
        .addColumn('request', 'text', notNull)
        .addColumn('run_at', 'text', notNull)
        .addColumn('status', 'text', notNull)
        .addColumn('created_by', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addColumn('decided_at', 'text')
        .addColumn('history_id', 'integer')
        .addColumn('error', 'text')
        .execute();
      await db.schema
        .createIndex('scheduled_releases_due')
        .on('scheduled_releases')
        .columns(['status', 'run_at'])
        .execute();
    },
  };
}
