import {
  AppError,
  ancestorsOf,
  type MergeConflictDetails,
  type MergeRequest,
  type MergeResult,
  type MergeSide,
  mergeBase,
  mergedVersion,
  mergeVersions,
  parentMap,
} from '@promptline/core';
import type { Database, Db } from '../db/database.ts';
import { openBranch } from './branch-errors.ts';
import type { BranchStore, StoredBranch } from './branch-store.ts';
import { versionNotFound } from './errors.ts';
import type { PromptStore, StoredPrompt, StoredVersion } from './store.ts';
import type { VersionWriter } from './version-writer.ts';

const sideOf = (v: StoredVersion): MergeSide => ({
  content:
    v.type === 'text' ? { type: 'text', template: v.template } : { type: 'chat', messages: v.messages },
  config: v.config,
});

/** Where a merge stands: both lines, their heads and their merge base, read in one transaction. */
interface MergeState {
  prompt: StoredPrompt;
  source: StoredBranch;
  target: StoredBranch | null;
  into: string;
  ours: StoredVersion;
  theirs: StoredVersion;
  base: StoredVersion | null;
}

/** Three-way merges of a branch into the main line or another branch (core's mergeVersions). */
export function createMerger({
  database,
  store,
  branches,
  writer,
  requirePrompt,
}: {
  database: Database;
  store: PromptStore;
  branches: BranchStore;
  writer: VersionWriter;
  requirePrompt: (db: Db, projectId: number, name: string, lock?: boolean) => Promise<StoredPrompt>;
}) {
  async function stateOf(
    db: Db,
    projectId: number,
    name: string,
    request: { branch: string; into?: string | undefined },
    lock: boolean,
  ): Promise<MergeState> {
    const prompt = await requirePrompt(db, projectId, name, lock);
    const into = request.into ?? 'main';
    if (into === request.branch) {
      throw new AppError('VALIDATION_FAILED', `A branch cannot be merged into itself ("${into}").`, {
        errors: [{ path: 'into', message: 'name another branch, or main' }],
      });
    }
    const source = await openBranch(branches, db, prompt, request.branch, lock);
    const target = into === 'main' ? null : await openBranch(branches, db, prompt, into, lock);
    const oursNumber = target ? target.head : prompt.latestVersion;
    if (oursNumber === null) throw versionNotFound(name, source.base);
    const versions = await store.listVersions(db, prompt);
    const byNumber = new Map(versions.map((v) => [v.number, v]));
    const graph = parentMap(versions.map((v) => ({ number: v.number, parents: v.parents ?? [] })));
    const ours = byNumber.get(oursNumber);
    const theirs = byNumber.get(source.head);
    if (!ours) throw versionNotFound(name, oursNumber);
    if (!theirs) throw versionNotFound(name, source.head);
    if (ancestorsOf(graph, ours.number).has(theirs.number)) {
      throw new AppError(
        'NOTHING_TO_MERGE',
        `Branch "${source.name}" has nothing ${into === 'main' ? 'the main line' : `branch "${into}"`} lacks: its head (version ${theirs.number}) is already part of it.`,
        {
          details: { prompt: name, branch: source.name, into, ours: ours.number, theirs: theirs.number },
          hint: 'Save a version on the branch (POST /api/v1/prompts/{name}/versions with "branch") before merging it.',
        },
      );
    }
    const baseNumber = mergeBase(graph, ours.number, theirs.number);
    const base = baseNumber === null ? null : (byNumber.get(baseNumber) ?? null);
    return { prompt, source, target, into, ours, theirs, base };
  }

  function detailsOf(state: MergeState): MergeConflictDetails {
    const outcome = mergeVersions(
      state.base ? sideOf(state.base) : null,
      sideOf(state.ours),
      sideOf(state.theirs),
    );
    return {
      ...outcome,
      prompt: state.prompt.name,
      branch: state.source.name,
      into: state.into,
      base: state.base?.number ?? null,
      ours: state.ours.number,
      theirs: state.theirs.number,
    };
  }

  return {
    /** What merging would do now: the merge base, both heads and the outcome with its conflicts. */
    async preview(projectId: number, name: string, query: { branch: string; into?: string | undefined }) {
      return detailsOf(await stateOf(database.db, projectId, name, query, false));
    },

    /**
     * Merges a branch: a clean three-way merge (or the submitted resolution) is saved as a merge
     * version with two parents on the target line, its semver bumped against the target's head.
     *
     * @throws AppError MERGE_CONFLICT (details: {@link MergeConflictDetails}) when sides disagree.
     * @throws AppError VERSION_CONFLICT when `parents` no longer are the two heads.
     * @throws AppError NOTHING_TO_MERGE, BRANCH_NOT_FOUND
     */
    async merge(projectId: number, name: string, request: MergeRequest, actor: string): Promise<MergeResult> {
      return database.db.transaction().execute(async (trx) => {
        const state = await stateOf(trx, projectId, name, request, true);
        const { ours, theirs } = state;
        if (request.resolved && !request.parents) {
          throw new AppError(
            'VALIDATION_FAILED',
            'A resolved merge names the heads it was resolved against.',
            {
              errors: [
                {
                  path: 'parents',
                  message: 'required with "resolved": { "ours": <target head>, "theirs": <branch head> }',
                },
              ],
            },
          );
        }
        if (
          request.parents &&
          (request.parents.ours !== ours.number || request.parents.theirs !== theirs.number)
        ) {
          throw new AppError(
            'VERSION_CONFLICT',
            `The heads have moved since this merge was prepared: ${state.into} is at version ${ours.number} and "${state.source.name}" at ${theirs.number}.`,
            {
              details: { ours: ours.number, theirs: theirs.number, parents: request.parents },
              hint: 'Preview the merge again (GET /api/v1/prompts/{name}/merges/preview) and resolve against the new heads.',
            },
          );
        }
        let merged: MergeSide | null;
        if (request.resolved) {
          const { config, ...content } = request.resolved;
          merged = { content, config: config ?? {} };
        } else {
          const details = detailsOf(state);
          merged = mergedVersion(details);
          if (!merged) {
            throw new AppError(
              'MERGE_CONFLICT',
              `Merging "${state.source.name}" into ${state.into} of "${name}" has ${details.conflicts} conflict${details.conflicts === 1 ? '' : 's'}: both sides changed the same ${conflictWords(details)}.`,
              {
                details,
                hint: 'Resolve them and send the merged content as "resolved" with "parents": { "ours", "theirs" } from this answer.',
              },
            );
          }
        }
        const { version } = await writer.save(
          trx,
          projectId,
          state.prompt,
          {
            content: merged.content,
            config: merged.config,
            message: request.message ?? `Merge ${state.source.name} into ${state.into}`,
            bump: request.bump,
            parent: ours.number,
            branch: state.target,
            mergeParent: theirs.number,
          },
          actor,
        );
        return { version, base: state.base?.number ?? null, ours: ours.number, theirs: theirs.number };
      });
    },
  };
}

function conflictWords(details: MergeConflictDetails): string {
  const kinds: string[] = [];
  if (details.template?.some((p) => p.op === 'conflict')) kinds.push('lines');
  if (details.messages?.some((p) => p.op !== 'clean')) kinds.push('messages');
  if (details.content) kinds.push('content (text vs chat)');
  if (details.configConflicts.length > 0) kinds.push('config keys');
  return kinds.join(', ');
}
