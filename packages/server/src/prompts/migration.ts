import type { Kysely, Migration } from 'kysely';

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
