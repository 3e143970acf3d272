import type { Kysely, Migration } from 'kysely';

/**
 * `deployments.targeting` and `deployment_history.targeting`: the release's pins and rules (JSON,
 * null when it has none). Part of the release: compared, sealed and restored with its variants.
 */
export function releaseTargetingMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('deployments').addColumn('targeting', 'text').execute();
      await db.schema.alterTable('deployment_history').addColumn('targeting', 'text').execute();
    },
  };
}
