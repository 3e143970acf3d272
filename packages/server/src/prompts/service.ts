import {
  type CreatePromptRequest,
  type CreateVersionRequest,
  diffVersions,
  type Prompt,
  type UpdatePromptRequest,
  type Version,
  type VersionContent,
  type VersionDiff,
  versionRecordHash,
} from '@promptline/core';
import type { AuditService, SealedSource } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import type { DeploymentService } from '../deployments/service.ts';
import { type EventPublisher, noEvents } from '../events/bus.ts';
import { openBranch } from './branch-errors.ts';
import type { BranchStore } from './branch-store.ts';
import { promptNotFound, promptServed, versionNotFound } from './errors.ts';
import type { PromptStore, StoredPrompt, VersionStamp } from './store.ts';
import { createVersionWriter, publicVersion, type SaveVersionResult } from './version-writer.ts';

function publicPrompt(prompt: StoredPrompt): Prompt {
  return {
    name: prompt.name,
    description: prompt.description,
    owner: prompt.owner,
    tags: prompt.tags,
    createdAt: prompt.createdAt,
    updatedAt: prompt.updatedAt,
    latestVersion: prompt.latestVersion,
    archivedAt: prompt.archivedAt,
    reviewers: prompt.reviewers,
    stakeholders: prompt.stakeholders,
  };
}

function contentOf(request: CreateVersionRequest): VersionContent {
  return request.type === 'text'
    ? { type: 'text', template: request.template }
    : { type: 'chat', messages: request.messages };
}

export type { SaveVersionResult } from './version-writer.ts';
export { publicVersion };

/**
 * Prompts and their immutable versions: registration, saving (with conflict detection), diff.
 * What each environment serves of a prompt comes from the deployments feature.
 */
export function createPromptService({
  database,
  clock,
  audit,
  store,
  deployments,
  events = noEvents,
  branches,
}: {
  database: Database;
  clock: Clock;
  audit: AuditService;
  /** The prompt store, built once in app.ts (deployments locks prompt rows with the same one). */
  store: PromptStore;
  branches: BranchStore;
  deployments: Pick<DeploymentService, 'releasesOfPrompts'>;
  /** Told `version.created` inside the saving transaction (webhooks subscribe). */
  events?: EventPublisher;
}) {
  const writer = createVersionWriter({ clock, audit, store, branches, events });
  const requireOpenBranch = (db: Db, prompt: StoredPrompt, name: string, lock = false) =>
    openBranch(branches, db, prompt, name, lock);

  async function requirePrompt(db: Db, projectId: number, name: string, lock = false): Promise<StoredPrompt> {
    const prompt = await store.findByName(db, projectId, name, lock);
    if (!prompt) throw promptNotFound(name);
    return prompt;
  }

  /**
   * Archives or restores a prompt, audited as `prompt.archive` / `prompt.restore`.
   *
   * @throws AppError PROMPT_SERVED when archiving a prompt an environment serves (its release enabled).
   */
  async function setArchived(
    trx: Db,
    projectId: number,
    prompt: StoredPrompt,
    archived: boolean,
    actor: string,
  ): Promise<StoredPrompt> {
    if (archived) {
      const releases =
        (await deployments.releasesOfPrompts(projectId, [prompt.id], trx)).get(prompt.id) ?? {};
      const serving = Object.entries(releases)
        .filter(([, release]) => release.enabled)
        .map(([environment]) => environment)
        .sort();
      if (serving.length > 0) throw promptServed(prompt.name, serving);
    }
    const at = isoNow(clock);
    const next = await store.setArchived(trx, prompt.id, archived ? at : null, at);
    await audit.append(trx, {
      projectId,
      actor,
      action: archived ? 'prompt.archive' : 'prompt.restore',
      targetType: 'prompt',
      target: prompt.name,
      data: {},
    });
    return next;
  }

  /** Saves a version of a request on the main line or on the branch it names. */
  async function saveVersion(
    trx: Db,
    projectId: number,
    prompt: StoredPrompt,
    request: CreateVersionRequest,
    actor: string,
  ): Promise<SaveVersionResult> {
    const branch =
      request.branch === undefined ? null : await requireOpenBranch(trx, prompt, request.branch, true);
    return writer.save(
      trx,
      projectId,
      prompt,
      {
        content: contentOf(request),
        config: request.config ?? {},
        message: request.message,
        bump: request.bump,
        parent: request.parent,
        branch,
      },
      actor,
    );
  }

  return {
    /** Versions as the audit chain seals them: `audit verify` recomputes each row's record hash. */
    sealedSource: {
      table: 'versions',
      async rows(projectId: number, db: Db) {
        return (await store.sealableVersions(db, projectId)).map(({ prompt, row }) => ({
          id: row.id,
          target: `${prompt} v${row.number}`,
          hash: versionRecordHash(row),
        }));
      },
    } satisfies SealedSource,

    async create(
      projectId: number,
      request: CreatePromptRequest,
      actor: string,
    ): Promise<{ prompt: Prompt; version: Version | null }> {
      return database.db.transaction().execute(async (trx) => {
        const at = isoNow(clock);
        let prompt = await store.insert(trx, projectId, {
          name: request.name,
          description: request.description ?? '',
          owner: request.owner ?? '',
          tags: request.tags ?? [],
          reviewers: request.reviewers ?? [],
          stakeholders: request.stakeholders ?? [],
          at,
        });
        await audit.append(trx, {
          projectId,
          actor,
          action: 'prompt.create',
          targetType: 'prompt',
          target: prompt.name,
          data: { after: publicPrompt(prompt) },
        });
        let version: Version | null = null;
        if (request.version) {
          version = (await saveVersion(trx, projectId, prompt, request.version, actor)).version;
          prompt = { ...prompt, latestVersion: version.number };
        }
        return { prompt: publicPrompt(prompt), version };
      });
    },

    async list(
      projectId: number,
      filter: {
        tag?: string | undefined;
        q?: string | undefined;
        owner?: string | undefined;
        archived?: 'exclude' | 'include' | 'only' | undefined;
      },
    ): Promise<Prompt[]> {
      const prompts = await store.list(database.db, projectId, filter);
      const releases = await deployments.releasesOfPrompts(
        projectId,
        prompts.map((p) => p.id),
      );
      return prompts.map((p) => ({ ...publicPrompt(p), deployments: releases.get(p.id) ?? {} }));
    },

    async get(projectId: number, name: string): Promise<Prompt> {
      const prompt = await requirePrompt(database.db, projectId, name);
      const releases = await deployments.releasesOfPrompts(projectId, [prompt.id]);
      return { ...publicPrompt(prompt), deployments: releases.get(prompt.id) ?? {} };
    },

    /** Whether a prompt of that name exists (without its releases). */
    async exists(projectId: number, name: string): Promise<boolean> {
      return (await store.findByName(database.db, projectId, name)) !== undefined;
    },

    async update(
      projectId: number,
      name: string,
      patch: UpdatePromptRequest,
      actor: string,
    ): Promise<Prompt> {
      return database.db.transaction().execute(async (trx) => {
        let prompt = await requirePrompt(trx, projectId, name, true);
        if (patch.archived !== undefined && patch.archived !== (prompt.archivedAt !== null)) {
          prompt = await setArchived(trx, projectId, prompt, patch.archived, actor);
          const { archived: _archived, ...rest } = patch;
          if (Object.keys(rest).length === 0) return publicPrompt(prompt);
        }
        const next = await store.update(trx, prompt.id, {
          description: patch.description ?? prompt.description,
          owner: patch.owner ?? prompt.owner,
          tags: patch.tags ?? prompt.tags,
          reviewers: patch.reviewers ?? prompt.reviewers,
          stakeholders: patch.stakeholders ?? prompt.stakeholders,
          at: isoNow(clock),
        });
        await audit.append(trx, {
          projectId,
          actor,
          action: 'prompt.update',
          targetType: 'prompt',
          target: name,
          data: {
            before: {
              description: prompt.description,
              owner: prompt.owner,
              tags: prompt.tags,
              reviewers: prompt.reviewers,
              stakeholders: prompt.stakeholders,
            },
            after: {
              description: next.description,
              owner: next.owner,
              tags: next.tags,
              reviewers: next.reviewers,
              stakeholders: next.stakeholders,
            },
          },
        });
        return publicPrompt(next);
      });
    },

    /**
     * Saves a new version, or returns the head when the content is identical to it.
     *
     * @throws AppError VERSION_CONFLICT when `parent` is given and is no longer the head.
     */
    async createVersion(
      projectId: number,
      name: string,
      request: CreateVersionRequest,
      actor: string,
    ): Promise<SaveVersionResult> {
      return database.db.transaction().execute(async (trx) => {
        const prompt = await requirePrompt(trx, projectId, name, true);
        return saveVersion(trx, projectId, prompt, request, actor);
      });
    },

    /** Every version of every prompt of the project, without content, by prompt name, newest first. */
    async versionStamps(projectId: number): Promise<Map<string, VersionStamp[]>> {
      const byPrompt = new Map<string, VersionStamp[]>();
      for (const stamp of await store.versionStamps(database.db, projectId)) {
        const list = byPrompt.get(stamp.prompt);
        if (list) list.push(stamp);
        else byPrompt.set(stamp.prompt, [stamp]);
      }
      return byPrompt;
    },

    async listVersions(projectId: number, name: string): Promise<Version[]> {
      const prompt = await requirePrompt(database.db, projectId, name);
      return (await store.listVersions(database.db, prompt)).map(publicVersion);
    },

    async getVersion(projectId: number, name: string, number: number): Promise<Version> {
      const prompt = await requirePrompt(database.db, projectId, name);
      const version = await store.findVersion(database.db, prompt, number);
      if (!version) throw versionNotFound(name, number);
      return publicVersion(version);
    },

    /**
     * The output contract a version declares (null: none), or undefined when the prompt or the
     * version does not exist. Trace ingestion checks spans' outputs with it.
     */
    async outputContract(
      projectId: number,
      name: string,
      number: number,
    ): Promise<Version['config']['output'] | null | undefined> {
      const prompt = await store.findByName(database.db, projectId, name);
      if (!prompt) return undefined;
      const version = await store.findVersion(database.db, prompt, number);
      if (!version) return undefined;
      return publicVersion(version).config.output ?? null;
    },

    /** The newest version of a prompt, or undefined when it has none (or does not exist). */
    async latestVersion(projectId: number, name: string): Promise<Version | undefined> {
      const prompt = await store.findByName(database.db, projectId, name);
      if (!prompt || prompt.latestVersion === null) return undefined;
      const version = await store.findVersion(database.db, prompt, prompt.latestVersion);
      return version ? publicVersion(version) : undefined;
    },

    async diff(projectId: number, name: string, from: number, to: number): Promise<VersionDiff> {
      const prompt = await requirePrompt(database.db, projectId, name);
      const [a, b] = await Promise.all([
        store.findVersion(database.db, prompt, from),
        store.findVersion(database.db, prompt, to),
      ]);
      if (!a) throw versionNotFound(name, from);
      if (!b) throw versionNotFound(name, to);
      return diffVersions(publicVersion(a), publicVersion(b));
    },
  };
}

export type PromptService = ReturnType<typeof createPromptService>;
