/**
 * The read side of deployments: what is live, its history and what was live at an instant, and
 * everything an environment serves (snapshots are built from it). None of it locks or writes; the
 * write paths and their locking order stay in service.ts.
 */
import { AppError, type Deployment, type HistoryEntry, type Release, segmentsOf } from '@promptline/core';
import type { Database, Db } from '../db/database.ts';
import { environmentNotFound } from '../environments/errors.ts';
import type { EnvironmentStore, StoredEnvironment } from '../environments/store.ts';
import { promptNotFound } from '../prompts/errors.ts';
import type { PromptStore, StoredVersion } from '../prompts/store.ts';
import { releaseOf, servedVersions, toDeployment, toHistoryEntry, withTargeting } from './shapes.ts';
import type { createDeploymentStore } from './store.ts';

type DeploymentStore = ReturnType<typeof createDeploymentStore>;

/** One prompt as an environment serves it, with the versions its variants name. */
export interface ServedRelease extends Release {
  promptId: number;
  prompt: string;
  versions: StoredVersion[];
}

/** Everything an environment serves: the one answer snapshots are built from. */
export interface ServedEnvironment {
  environment: StoredEnvironment;
  /** By prompt name. */
  releases: ServedRelease[];
}

export function createDeploymentReads({
  database,
  store,
  prompts,
  environments,
}: {
  database: Database;
  store: DeploymentStore;
  prompts: PromptStore;
  environments: EnvironmentStore;
}) {
  /** The prompt and the environment by name, without locking either. */
  async function target(db: Db, projectId: number, name: string, envName: string) {
    const prompt = await prompts.findByName(db, projectId, name);
    if (!prompt) throw promptNotFound(name);
    const env = await environments.findByName(db, projectId, envName);
    if (!env) throw environmentNotFound(envName);
    return { prompt, env };
  }

  return {
    async get(projectId: number, name: string, envName: string): Promise<Deployment> {
      const { prompt, env } = await target(database.db, projectId, name, envName);
      const current = await store.current(database.db, prompt.id, env.id);
      if (!current) {
        throw new AppError('DEPLOYMENT_NOT_FOUND', `"${name}" is not deployed to ${envName}.`, {
          details: { prompt: name, environment: envName },
          hint: `Deploy it with PUT /api/v1/prompts/{name}/deployments/${envName}.`,
        });
      }
      return toDeployment(name, env.name, current);
    },

    /** The live releases whose rules name segment `name`, as `prompt@environment` (a segment in use cannot be deleted). */
    async usingSegment(db: Db, projectId: number, name: string): Promise<string[]> {
      const live = (await store.listForProject(db, projectId)).filter((r) =>
        segmentsOf(r.targeting).includes(name),
      );
      if (live.length === 0) return [];
      const prompts_ = await prompts.namesOf(db, [...new Set(live.map((r) => r.promptId))]);
      const envs = new Map((await environments.list(db, projectId)).map((e) => [e.id, e.name]));
      return live.map(
        (r) => `${prompts_.get(r.promptId) ?? r.promptId}@${envs.get(r.environmentId) ?? r.environmentId}`,
      );
    },

    /** The releases of one prompt, in the environments' order of promotion. */
    async list(projectId: number, name: string): Promise<Deployment[]> {
      const prompt = await prompts.findByName(database.db, projectId, name);
      if (!prompt) throw promptNotFound(name);
      const releases = await store.listForPrompts(database.db, [prompt.id]);
      if (releases.length === 0) return [];
      const byId = new Map(releases.map((r) => [r.environmentId, r]));
      // environments.list is ordered by rank, then name.
      return (await environments.list(database.db, projectId)).flatMap((env) => {
        const release = byId.get(env.id);
        return release ? [toDeployment(name, env.name, release)] : [];
      });
    },

    /** What each environment serves for each of these prompts (row ids), by environment name. */
    async releasesOfPrompts(
      projectId: number,
      promptIds: number[],
      /** The caller's transaction, when it holds one (on SQLite a second connection would wait for it forever). */
      db: Db = database.db,
    ): Promise<Map<number, Record<string, Release>>> {
      const out = new Map<number, Record<string, Release>>();
      const releases = await store.listForPrompts(db, promptIds);
      if (releases.length === 0) return out;
      const names = new Map((await environments.list(db, projectId)).map((e) => [e.id, e.name]));
      for (const release of releases) {
        const env = names.get(release.environmentId);
        if (env === undefined) continue;
        const forPrompt = out.get(release.promptId) ?? {};
        forPrompt[env] = releaseOf(release);
        out.set(release.promptId, forPrompt);
      }
      return out;
    },

    /**
     * Everything an environment serves, with the versions named by each release, sorted by
     * prompt name; undefined when the environment does not exist. Snapshots are built from it.
     */
    async servedIn(projectId: number, envName: string): Promise<ServedEnvironment | undefined> {
      const environment = await environments.findByName(database.db, projectId, envName);
      if (!environment) return undefined;
      const releases = await store.listForEnvironment(database.db, environment.id);
      const names = await prompts.namesOf(
        database.db,
        releases.map((r) => r.promptId),
      );
      const wanted = releases.flatMap((r) => {
        const prompt = names.get(r.promptId);
        return prompt === undefined ? [] : [{ release: r, prompt }];
      });
      const versions = await prompts.findVersions(
        database.db,
        wanted.map(({ release, prompt }) => ({
          promptId: release.promptId,
          name: prompt,
          numbers: servedVersions(release),
        })),
      );
      const byPrompt = new Map<number, StoredVersion[]>();
      for (const version of versions) {
        const list = byPrompt.get(version.promptId);
        if (list) list.push(version);
        else byPrompt.set(version.promptId, [version]);
      }
      const served: ServedRelease[] = wanted.map(({ release, prompt }) => ({
        promptId: release.promptId,
        prompt,
        variants: release.variants,
        enabled: release.enabled,
        ...withTargeting(release.targeting),
        versions: byPrompt.get(release.promptId) ?? [],
      }));
      served.sort((a, b) => (a.prompt < b.prompt ? -1 : a.prompt > b.prompt ? 1 : 0));
      return { environment, releases: served };
    },

    /** All entries, newest first. */
    async history(projectId: number, name: string, envName: string): Promise<HistoryEntry[]> {
      const { prompt, env } = await target(database.db, projectId, name, envName);
      return (await store.listHistory(database.db, prompt.id, env.id)).map((e) =>
        toHistoryEntry(name, env.name, e),
      );
    },

    /**
     * The entry live at an instant.
     *
     * @throws AppError DEPLOYMENT_NOT_FOUND when nothing was deployed yet at that instant.
     */
    /** The history entry of every prompt that had one in `envName` at `at` (what it served then), by prompt name. */
    async releasesAt(projectId: number, envName: string, at: Date): Promise<HistoryEntry[]> {
      const env = await environments.findByName(database.db, projectId, envName);
      if (!env) throw environmentNotFound(envName);
      const entries = await store.historyAtForEnvironment(database.db, env.id, at.toISOString());
      const names = await prompts.namesOf(database.db, [...new Set(entries.map((e) => e.promptId))]);
      return entries
        .flatMap((e) => {
          const name = names.get(e.promptId);
          return name === undefined ? [] : [toHistoryEntry(name, env.name, e)];
        })
        .sort((a, b) => (a.prompt < b.prompt ? -1 : a.prompt > b.prompt ? 1 : 0));
    },

    async historyAt(projectId: number, name: string, envName: string, at: Date): Promise<HistoryEntry> {
      const { prompt, env } = await target(database.db, projectId, name, envName);
      const entry = await store.historyAt(database.db, prompt.id, env.id, at.toISOString());
      if (!entry) {
        throw new AppError(
          'DEPLOYMENT_NOT_FOUND',
          `Nothing of "${name}" was live in ${envName} at ${at.toISOString()}: its first deployment there came later (or never).`,
        );
      }
      return toHistoryEntry(name, env.name, entry);
    },
  };
}
