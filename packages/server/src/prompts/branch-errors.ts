import { AppError } from '@promptline/core';
import type { Db } from '../db/database.ts';
import type { BranchStore, StoredBranch } from './branch-store.ts';

/** 404 for a branch name (also for a deleted branch, which takes nothing new). */
export function branchNotFound(prompt: string, name: string, deleted = false): AppError {
  return new AppError(
    'BRANCH_NOT_FOUND',
    deleted
      ? `Branch "${name}" of "${prompt}" was deleted: it takes no new versions or merges (its versions stay).`
      : `Prompt "${prompt}" has no branch named "${name}".`,
    {
      details: { prompt, branch: name },
      hint: 'List its branches with GET /api/v1/prompts/{name}/branches; create one with POST /api/v1/prompts/{name}/branches.',
    },
  );
}

/** A branch that is open (not deleted). @throws AppError BRANCH_NOT_FOUND */
export async function openBranch(
  branches: BranchStore,
  db: Db,
  prompt: { id: number; name: string },
  name: string,
  lock = false,
): Promise<StoredBranch> {
  const branch = await branches.find(db, prompt.id, name, lock);
  if (!branch || branch.deletedAt !== null) throw branchNotFound(prompt.name, name, branch !== undefined);
  return branch;
}

/** The public shape of a branch. */
export function publicBranch({ id: _id, promptId: _promptId, ...branch }: StoredBranch) {
  return branch;
}

/** 409 for deploying versions saved on a branch where the environment's policy accepts main-line versions only. */
export function branchVersionRefused(
  prompt: string,
  environment: string,
  versions: readonly { number: number; branch?: string | null | undefined }[],
): AppError {
  const list = versions.map((v) => `${v.number} (branch "${v.branch}")`).join(', ');
  return new AppError(
    'BRANCH_VERSION_NOT_ALLOWED',
    `${environment} serves main-line versions only, and version ${list} of "${prompt}" is on a branch.`,
    {
      details: {
        prompt,
        environment,
        versions: versions.map((v) => ({ version: v.number, branch: v.branch ?? null })),
      },
      hint: `Merge the branch into main (POST /api/v1/prompts/{name}/merges) and deploy the merge version, or let ${environment} take branch versions with PATCH /api/v1/environments/${environment} and "policy": { …, "allowBranches": true }.`,
    },
  );
}
