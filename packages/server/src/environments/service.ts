import {
  type CreateEnvironmentRequest,
  type Environment,
  POLICY_PRESETS,
  type UpdateEnvironmentRequest,
} from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import type { ChangeFeed } from '../live/change-feed.ts';
import { environmentNotFound } from './errors.ts';
import { DEFAULT_ENVIRONMENTS } from './seed.ts';
import type { EnvironmentStore, StoredEnvironment } from './store.ts';

function publicEnvironment({ id: _id, ...env }: StoredEnvironment): Environment {
  return env;
}

/** Environments: list, create, rename, re-rank, protect and archive. */
export function createEnvironmentService({
  database,
  clock,
  audit,
  changeFeed,
  store,
}: {
  database: Database;
  clock: Clock;
  audit: AuditService;
  changeFeed: ChangeFeed;
  /** The environment store, built once in app.ts (deployments reads environments with the same one). */
  store: EnvironmentStore;
}) {
  return {
    async list(projectId: number): Promise<Environment[]> {
      return (await store.list(database.db, projectId)).map(publicEnvironment);
    },

    /** Every environment of every project (the change feed's resync after a lost connection). */
    async everywhere(): Promise<{ projectId: string; environment: string }[]> {
      return (await store.everywhere(database.db)).map((e) => ({
        projectId: String(e.projectId),
        environment: e.name,
      }));
    },

    /** Creates the default environments of a new project, inside the caller's transaction. */
    async seedDefaults(trx: Db, projectId: number, at: string): Promise<void> {
      for (const env of DEFAULT_ENVIRONMENTS) {
        await store.insert(trx, projectId, { ...env, createdAt: at });
      }
    },

    async get(projectId: number, name: string): Promise<Environment> {
      const env = await store.findByName(database.db, projectId, name);
      if (!env) throw environmentNotFound(name);
      return publicEnvironment(env);
    },

    async create(projectId: number, input: CreateEnvironmentRequest, actor: string): Promise<Environment> {
      return database.db.transaction().execute(async (trx) => {
        // A new environment goes last in the promotion order unless told otherwise.
        const rank = input.rank ?? (await store.maxRank(trx, projectId)) + 10;
        const env = await store.insert(trx, projectId, {
          name: input.name,
          description: input.description ?? '',
          rank,
          protected: input.protected ?? false,
          createdAt: isoNow(clock),
        });
        await audit.append(trx, {
          projectId,
          actor,
          action: 'environment.create',
          targetType: 'environment',
          target: env.name,
          data: { after: publicEnvironment(env) },
        });
        return publicEnvironment(env);
      });
    },

    async update(
      projectId: number,
      name: string,
      patch: UpdateEnvironmentRequest,
      actor: string,
    ): Promise<Environment> {
      const updated = await database.db.transaction().execute(async (trx) => {
        const env = await store.findByName(trx, projectId, name);
        if (!env) throw environmentNotFound(name);
        // A preset sets the policy and the badge together; an explicit policy or flag beside it wins.
        const preset = patch.policyPreset === undefined ? undefined : POLICY_PRESETS[patch.policyPreset];
        const next = await store.update(trx, env.id, {
          name: patch.name ?? env.name,
          description: patch.description ?? env.description,
          rank: patch.rank ?? env.rank,
          protected:
            patch.protected ??
            (patch.policyPreset === undefined ? env.protected : patch.policyPreset === 'protected'),
          archived: patch.archived ?? env.archived,
          policy: patch.policy ?? preset ?? env.policy,
        });
        await audit.append(trx, {
          projectId,
          actor,
          action: 'environment.update',
          targetType: 'environment',
          target: next.name,
          data: { before: publicEnvironment(env), after: publicEnvironment(next) },
        });
        return next;
      });
      // Snapshots are keyed by environment name: both the old and the new name changed.
      changeFeed.publish({ projectId: String(projectId), environment: name, prompt: '*' });
      if (updated.name !== name) {
        changeFeed.publish({ projectId: String(projectId), environment: updated.name, prompt: '*' });
      }
      return publicEnvironment(updated);
    },
  };
}

export type EnvironmentService = ReturnType<typeof createEnvironmentService>;
