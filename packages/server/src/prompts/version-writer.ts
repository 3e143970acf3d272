import {
  AppError,
  contentHash,
  extractVariables,
  FIRST_SEMVER,
  type ModelConfig,
  nextSemver,
  requiredBump,
  type SemverBump,
  type Version,
  type VersionContent,
  versionRecordHash,
} from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Db } from '../db/database.ts';
import type { EventPublisher } from '../events/bus.ts';
import type { BranchStore, StoredBranch } from './branch-store.ts';
import { promptArchived } from './errors.ts';
import type { PromptStore, StoredPrompt, StoredVersion } from './store.ts';

/** Strips the row id: what the API serves. */
export function publicVersion({ promptId: _promptId, ...version }: StoredVersion): Version {
  return version;
}

/** The result of saving a version: `created` is false when the content equalled the head's. */
export interface SaveVersionResult {
  version: Version;
  created: boolean;
}

/** What to save, and on which line. */
export interface VersionDraft {
  content: VersionContent;
  config: ModelConfig;
  message?: string | undefined;
  bump?: SemverBump | undefined;
  /** The head the writer saw: 409 VERSION_CONFLICT when the line's head is another. */
  parent?: number | undefined;
  /** The branch to save on; the main line when null. */
  branch: StoredBranch | null;
  /** For a merge: the merged branch's head, recorded as the second parent. */
  mergeParent?: number | undefined;
}

const lineName = (branch: StoredBranch | null): string =>
  branch ? `branch "${branch.name}"` : 'the main line';

/**
 * Writes versions on the main line or on a branch, inside the caller's transaction: the one
 * place numbers, semver, parents, the line's head, the audit seal and `version.created` are
 * decided, for plain saves and merges alike.
 */
export function createVersionWriter({
  clock,
  audit,
  store,
  branches,
  events,
}: {
  clock: Clock;
  audit: AuditService;
  store: PromptStore;
  branches: BranchStore;
  events: EventPublisher;
}) {
  /** The head of a line: the branch's, or the main line's newest version. */
  async function headOf(
    trx: Db,
    prompt: StoredPrompt,
    branch: StoredBranch | null,
  ): Promise<StoredVersion | undefined> {
    const number = branch ? branch.head : prompt.latestVersion;
    return number === null ? undefined : store.findVersion(trx, prompt, number);
  }

  /**
   * Saves a version, or returns the line's head when the content is identical to it (not for a
   * merge, which always records its two parents).
   *
   * @throws AppError VERSION_CONFLICT when `parent` is given and is not the line's head.
   * @throws AppError PROMPT_ARCHIVED for an archived prompt.
   */
  async function save(
    trx: Db,
    projectId: number,
    prompt: StoredPrompt,
    draft: VersionDraft,
    actor: string,
  ): Promise<SaveVersionResult> {
    if (prompt.archivedAt !== null) throw promptArchived(prompt.name);
    const { content, config, branch } = draft;
    const hash = contentHash(content, config);
    const head = await headOf(trx, prompt, branch);

    // Identical content first: a client retrying a save that did land gets its version back, not a conflict.
    if (head && head.hash === hash && draft.mergeParent === undefined) {
      return { version: publicVersion(head), created: false };
    }

    if (draft.parent !== undefined && head?.number !== draft.parent) {
      throw new AppError(
        'VERSION_CONFLICT',
        head
          ? `"${prompt.name}" has moved on: the head of ${lineName(branch)} is version ${head.number}, not ${draft.parent}. Fetch version ${head.number}, re-apply your change on top of it and save with "parent": ${head.number}.`
          : `"${prompt.name}" has no versions yet, so "parent": ${draft.parent} cannot be its head. Save without "parent".`,
        { details: { head: head?.number ?? null, parent: draft.parent, branch: branch?.name ?? null } },
      );
    }

    const variables = extractVariables(content);
    let semver = FIRST_SEMVER;
    if (head) {
      const required = requiredBump({ content: head, config: head.config }, { content, config }) ?? 'patch';
      semver = nextSemver(head.semver, required, draft.bump);
    }
    // Numbers are unique per prompt across every line, so the next one is past the highest.
    const number = (await store.maxNumber(trx, prompt.id)) + 1;
    const at = isoNow(clock);
    const base = {
      number,
      semver,
      config,
      variables,
      message: draft.message ?? '',
      author: actor,
      createdAt: at,
      parent: head?.number ?? null,
      branch: branch?.name ?? null,
      hash,
    };
    const mergeParent = draft.mergeParent ?? null;
    const { version: stored, sealable } = await store.insertVersion(
      trx,
      projectId,
      prompt,
      content.type === 'text' ? { ...base, ...content, mergeParent } : { ...base, ...content, mergeParent },
    );
    if (branch) await branches.setHead(trx, branch.id, number);
    // Only the main line moves `latest_version`: "latest" everywhere means the newest main-line version.
    else await store.setLatest(trx, prompt.id, number, at);
    const parents = stored.parents ?? [];
    await audit.append(trx, {
      projectId,
      actor,
      action: mergeParent === null ? 'version.create' : 'version.merge',
      targetType: 'prompt',
      target: prompt.name,
      data: {
        after: {
          number,
          semver,
          hash,
          parent: base.parent,
          message: base.message,
          ...(branch ? { branch: branch.name } : {}),
          ...(mergeParent === null ? {} : { parents }),
        },
        // The chain covers the row itself (parents and branch included): editing it is found by `audit verify`.
        sealed: [{ table: 'versions', id: sealable.row.id, hash: versionRecordHash(sealable.row) }],
      },
    });
    await events.publish(trx, {
      type: 'version.created',
      projectId,
      data: {
        prompt: prompt.name,
        version: number,
        semver,
        hash,
        author: actor,
        message: base.message,
        parent: base.parent,
        ...(branch ? { branch: branch.name } : {}),
        ...(mergeParent === null ? {} : { parents }),
      },
    });
    return { version: publicVersion(stored), created: true };
  }

  return { save, headOf };
}

export type VersionWriter = ReturnType<typeof createVersionWriter>;
