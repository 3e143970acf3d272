import {
  AppError,
  ancestorsOf,
  type Branch,
  type BranchComparison,
  type CreateBranchRequest,
  diffVersions,
  mergeBase,
  parentMap,
  type VersionGraph,
} from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import { type EventPublisher, noEvents } from '../events/bus.ts';
import { branchNotFound, openBranch, publicBranch } from './branch-errors.ts';
import type { BranchStore } from './branch-store.ts';
import { promptArchived, promptNotFound, versionNotFound } from './errors.ts';
import { createMerger } from './merge-service.ts';
import type { PromptStore, StoredPrompt } from './store.ts';
import { createVersionWriter, publicVersion } from './version-writer.ts';

/**
 * Branches of prompts: named lines of versions with their own heads, created from any version,
 * compared with the main line, merged (merge-service.ts) and deleted (their versions stay).
 */
export function createBranchService({
  database,
  clock,
  audit,
  store,
  branches,
  events = noEvents,
}: {
  database: Database;
  clock: Clock;
  audit: AuditService;
  store: PromptStore;
  branches: BranchStore;
  events?: EventPublisher;
}) {
  const writer = createVersionWriter({ clock, audit, store, branches, events });

  async function requirePrompt(db: Db, projectId: number, name: string, lock = false): Promise<StoredPrompt> {
    const prompt = await store.findByName(db, projectId, name, lock);
    if (!prompt) throw promptNotFound(name);
    return prompt;
  }

  const merger = createMerger({ database, store, branches, writer, requirePrompt });

  return {
    /**
     * Creates a branch at `from` (default: the main line's head), audited as `branch.create`.
     *
     * @throws AppError BRANCH_EXISTS, VERSION_NOT_FOUND, PROMPT_ARCHIVED
     */
    async create(
      projectId: number,
      name: string,
      request: CreateBranchRequest,
      actor: string,
    ): Promise<Branch> {
      return database.db.transaction().execute(async (trx) => {
        const prompt = await requirePrompt(trx, projectId, name, true);
        if (prompt.archivedAt !== null) throw promptArchived(prompt.name);
        const from = request.from ?? prompt.latestVersion;
        if (from === null) {
          throw new AppError(
            'VERSION_NOT_FOUND',
            `Prompt "${name}" has no versions yet: there is nothing to branch from.`,
            {
              details: { prompt: name },
              hint: 'Save a first version with POST /api/v1/prompts/{name}/versions, then branch from it.',
            },
          );
        }
        if (!(await store.findVersion(trx, prompt, from))) throw versionNotFound(name, from);
        const branch = await branches.insert(trx, {
          projectId,
          promptId: prompt.id,
          prompt: prompt.name,
          name: request.name,
          base: from,
          by: actor,
          at: isoNow(clock),
        });
        await audit.append(trx, {
          projectId,
          actor,
          action: 'branch.create',
          targetType: 'prompt',
          target: prompt.name,
          data: { after: { branch: branch.name, from } },
        });
        return publicBranch(branch);
      });
    },

    async list(projectId: number, name: string, includeDeleted = false): Promise<Branch[]> {
      const prompt = await requirePrompt(database.db, projectId, name);
      return (await branches.list(database.db, prompt.id, includeDeleted)).map(publicBranch);
    },

    async get(projectId: number, name: string, branchName: string): Promise<Branch> {
      const prompt = await requirePrompt(database.db, projectId, name);
      const branch = await branches.find(database.db, prompt.id, branchName);
      if (!branch) throw branchNotFound(name, branchName);
      return publicBranch(branch);
    },

    /** Deletes (closes) a branch: its versions stay, it takes nothing new. Audited as `branch.delete`. */
    async delete(projectId: number, name: string, branchName: string, actor: string): Promise<Branch> {
      return database.db.transaction().execute(async (trx) => {
        const prompt = await requirePrompt(trx, projectId, name, true);
        const branch = await openBranch(branches, trx, prompt, branchName, true);
        const deleted = await branches.markDeleted(trx, branch.id, isoNow(clock));
        await audit.append(trx, {
          projectId,
          actor,
          action: 'branch.delete',
          targetType: 'prompt',
          target: prompt.name,
          data: { before: { branch: branch.name, head: branch.head, base: branch.base } },
        });
        return publicBranch(deleted);
      });
    },

    /** The branch against the main line: heads, merge base, versions ahead and behind, and the diff. */
    async compare(projectId: number, name: string, branchName: string): Promise<BranchComparison> {
      const prompt = await requirePrompt(database.db, projectId, name);
      const branch = await branches.find(database.db, prompt.id, branchName);
      if (!branch) throw branchNotFound(name, branchName);
      const main = prompt.latestVersion ?? branch.base;
      const versions = await store.listVersions(database.db, prompt);
      const graph = parentMap(versions.map((v) => ({ number: v.number, parents: v.parents ?? [] })));
      const base = mergeBase(graph, main, branch.head);
      const fromMain = ancestorsOf(graph, main);
      const fromBranch = ancestorsOf(graph, branch.head);
      const byNumber = new Map(versions.map((v) => [v.number, v]));
      const mainVersion = byNumber.get(main);
      const headVersion = byNumber.get(branch.head);
      if (!mainVersion) throw versionNotFound(name, main);
      if (!headVersion) throw versionNotFound(name, branch.head);
      return {
        branch: publicBranch(branch),
        main,
        head: branch.head,
        base,
        ahead: [...fromBranch].filter((n) => !fromMain.has(n)).length,
        behind: [...fromMain].filter((n) => !fromBranch.has(n)).length,
        diff: diffVersions(publicVersion(mainVersion), publicVersion(headVersion)),
      };
    },

    /** Every version with its parents and line, and the branches: what the web draws as a graph. */
    async graph(projectId: number, name: string): Promise<VersionGraph> {
      const prompt = await requirePrompt(database.db, projectId, name);
      const [versions, all] = await Promise.all([
        store.listVersions(database.db, prompt),
        branches.list(database.db, prompt.id, true),
      ]);
      return {
        main: prompt.latestVersion,
        versions: versions
          .map((v) => ({
            number: v.number,
            semver: v.semver,
            parents: v.parents ?? [],
            branch: v.branch ?? null,
            message: v.message,
            author: v.author,
            createdAt: v.createdAt,
          }))
          .sort((a, b) => a.number - b.number),
        branches: all.map(publicBranch),
      };
    },

    merge: merger.merge,
    preview: merger.preview,
  };
}

export type BranchService = ReturnType<typeof createBranchService>;
