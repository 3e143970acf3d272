import type { Generated, Kysely, Migration } from 'kysely';
import type { Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

/**
 * `prompts.archived_at`: when the prompt was archived (null while it is in use). An archived prompt
 * keeps its versions, history and audit trail; it leaves the registry's lists and takes no new
 * versions until it is restored.
 */
export function promptArchiveMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('prompts').addColumn('archived_at', 'text').execute();
    },
  };
}

/**
 * `prompts.reviewers` and `prompts.stakeholders` (JSON arrays): who may approve its deploys under a
 * `reviewers: "prompt"` policy (emails), and who is told of its production changes.
 */
export function promptPeopleMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('prompts')
        .addColumn('reviewers', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute();
      await db.schema
        .alterTable('prompts')
        .addColumn('stakeholders', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute();
    },
  };
}

// A type alias, not an interface: withTables() needs the implicit index signature.
export type BranchTables = {
  prompt_branches: {
    id: Generated<number>;
    project_id: number;
    prompt_id: number;
    name: string;
    /** Number of the version it was branched from. */
    base: number;
    /** Number of its newest version (`base` until one is saved on it). */
    head: number;
    created_at: string;
    created_by: string;
    /** Deleted branches keep their row (and name): their versions still say they were on it. */
    deleted_at: string | null;
  };
};

/**
 * Branches: `versions.branch` (null on the main line) and `versions.merge_parent` (a merge's second
 * parent), and `prompt_branches`, one row per named line with its head. The main line's head stays
 * `prompts.latest_version`, so everything that reads "latest" keeps meaning the main line.
 */
export function branchesMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('versions').addColumn('branch', 'text').execute();
      await db.schema.alterTable('versions').addColumn('merge_parent', 'integer').execute();
      await withId(db.schema.createTable('prompt_branches'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('prompt_id', 'integer', (c) => c.notNull().references('prompts.id'))
        .addColumn('name', 'text', notNull)
        .addColumn('base', 'integer', notNull)
        .addColumn('head', 'integer', notNull)
        .addColumn('created_at', 'text', notNull)
        .addColumn('created_by', 'text', notNull)
        .addColumn('deleted_at', 'text')
        .addUniqueConstraint('prompt_branches_prompt_name_unique', ['prompt_id', 'name'])
        .execute();
    },
  };
}
