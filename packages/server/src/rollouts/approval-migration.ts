import type { Kysely, Migration } from 'kysely';

/**
 * Rollouts through approvals: a deployment request may carry a rollout plan (JSON), and a rollout
 * started by an approved request keeps the request and its approvers, so its later steps deploy as
 * approved without asking again.
 */
export function rolloutApprovalsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('deployment_requests').addColumn('rollout', 'text').execute();
      await db.schema.alterTable('rollouts').addColumn('request_id', 'integer').execute();
      await db.schema.alterTable('rollouts').addColumn('approved_by', 'text').execute();
    },
  };
}
