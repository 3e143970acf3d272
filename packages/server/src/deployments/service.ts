/**
 * The deployments feature's service: its write paths here, its read side from `reads.ts`. Over
 * 500 lines because every write path (deploy, approved deploy, rollback, their in-transaction
 * forms for rollouts and experiments) shares one locking order, one policy check and one
 * `makeLive` that seals and publishes each change; keeping them together keeps that order visible.
 */
import {
  AppError,
  allowsBranchVersions,
  canonicalJson,
  checkDeployer,
  type Deployment,
  type DeployRequest,
  effectivePolicy,
  historyRecordHash,
  normalizeRelease,
  normalizeTargeting,
  type Release,
  type RollbackRequest,
  segmentsOf,
  type Targeting,
} from '@promptline/core';
import type { AuditService, SealedSource } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import { environmentNotFound } from '../environments/errors.ts';
import type { EnvironmentStore, StoredEnvironment } from '../environments/store.ts';
import type { EvalGate, GatePass } from '../evals/gate.ts';
import { type EventPublisher, noEvents } from '../events/bus.ts';
import type { ChangeFeed } from '../live/change-feed.ts';
import { branchVersionRefused } from '../prompts/branch-errors.ts';
import { promptNotFound } from '../prompts/errors.ts';
import type { PromptStore, StoredPrompt, StoredVersion } from '../prompts/store.ts';
import type { RedteamGate, RedteamGatePass, RedteamGateState } from '../redteam/gate.ts';
import { type PartialBreakage, partialBreakage, partialBreakageError } from './partial-check.ts';
import { createDeploymentReads } from './reads.ts';
import { releaseOf, servedVersions, toDeployment, withTargeting } from './shapes.ts';
import { createDeploymentStore, type StoredHistoryEntry } from './store.ts';

/** Who deploys: a name (internal callers), or the caller with its role and user. */
export type DeployActor = string | { name: string; role?: string; userId?: number | null };

function sameTargeting(a: Release, b: Release): boolean {
  return canonicalJson(a.targeting ?? null) === canonicalJson(b.targeting ?? null);
}

function sameRelease(a: Release, b: Release): boolean {
  return (
    a.enabled === b.enabled && canonicalJson(a.variants) === canonicalJson(b.variants) && sameTargeting(a, b)
  );
}

/** Tells which of these segment names the project lacks (the segments feature answers). */
export interface SegmentLookup {
  missing(db: Db, projectId: number, names: string[]): Promise<string[]>;
}

/** The runs that let a release through its environment's eval and red-team gates. */
interface PolicyPasses {
  gate: GatePass[];
  redteam: RedteamGatePass[];
}
const NO_PASSES: PolicyPasses = { gate: [], redteam: [] };

/**
 * Deployments: what each environment serves for each prompt, changed by deploy and rollback, with
 * an append-only history. Publishes every change on the feed after its transaction commits. The
 * only feature that reads the deployment tables: others ask it (`servedIn`, `releasesOfPrompts`).
 * The prompt and environment stores are the ones app.ts built for their features, passed in so
 * a deploy locks the prompt row inside its own transaction.
 */
export function createDeploymentService({
  database,
  clock,
  audit,
  changeFeed,
  prompts,
  environments,
  evalGate,
  redteamGate,
  events = noEvents,
  segments,
}: {
  database: Database;
  clock: Clock;
  audit: AuditService;
  changeFeed: ChangeFeed;
  prompts: PromptStore;
  environments: EnvironmentStore;
  /** Checks `requireEvalPass` policies; without it (tests of other features) the gate is not checked. */
  evalGate?: Pick<EvalGate, 'check'>;
  /** Checks `requireRedteamPass` policies; without it (tests of other features) the gate is not checked. */
  redteamGate?: Pick<RedteamGate, 'check' | 'state'>;
  /** Told `deployment.changed` inside the transaction of every change (webhooks subscribe). */
  events?: EventPublisher;
  /** Refuses targeting that names segments the project lacks; without it (tests of other features) unchecked. */
  segments?: SegmentLookup;
}) {
  const store = createDeploymentStore(database.dialect);

  /**
   * For a write, locks the prompt row, then the environment: deploys and rollbacks of one prompt
   * run one at a time, and so do all changes of one environment (its partial graph is checked
   * against the other prompts' releases). Always in this order, prompt → environment → audit
   * chain (makeLive), so two writers cannot deadlock.
   */
  async function target(trx: Db, projectId: number, name: string, envName: string, forWrite: boolean) {
    const prompt = await prompts.findByName(trx, projectId, name, forWrite);
    if (!prompt) throw promptNotFound(name);
    const env = await environments.findByName(trx, projectId, envName);
    if (!env) throw environmentNotFound(envName);
    if (forWrite) await store.lockEnvironment(trx, env.id);
    if (forWrite && env.archived) {
      throw new AppError(
        'ENVIRONMENT_ARCHIVED',
        `Environment "${envName}" is archived; nothing can be deployed to it.`,
        {
          details: { environment: envName },
          hint: `Unarchive it with PATCH /api/v1/environments/${envName} {"archived": false}, or deploy elsewhere.`,
        },
      );
    }
    return { prompt, env };
  }

  async function makeLive(
    trx: Db,
    projectId: number,
    prompt: StoredPrompt,
    env: StoredEnvironment,
    entry: Omit<StoredHistoryEntry, 'id' | 'promptId' | 'environmentId' | 'forced'>,
    overridden: PartialBreakage | undefined,
    /** Branch versions a forced rollback restored against the environment's `allowBranches` policy. */
    branchesForced: readonly { version: number; branch: string | null }[],
    /** The eval and red-team runs that let the release through its environment's gates (recorded for lineage). */
    gates: PolicyPasses = NO_PASSES,
  ): Promise<StoredHistoryEntry> {
    const { gate, redteam } = gates;
    const stored = await store.insertHistory(trx, projectId, {
      ...entry,
      forced: overridden !== undefined || branchesForced.length > 0,
      promptId: prompt.id,
      environmentId: env.id,
    });
    await store.setCurrent(trx, projectId, stored);
    await audit.append(trx, {
      projectId,
      actor: entry.actor,
      action: `deployment.${entry.action}`,
      targetType: 'deployment',
      target: `${prompt.name}@${env.name}`,
      data: {
        before: entry.previous,
        after: releaseOf(entry),
        reason: entry.reason,
        historyId: stored.id,
        ...(entry.requestId === null ? {} : { requestId: entry.requestId, approvedBy: entry.approvedBy }),
        // The chain covers the history row itself: editing it in the database is found by `audit verify`.
        sealed: [{ table: 'deployment_history', id: stored.id, hash: historyRecordHash(stored) }],
        ...(entry.restoredFrom === null ? {} : { restoredFrom: entry.restoredFrom }),
        ...(gate.length === 0 ? {} : { gate }),
        ...(redteam.length === 0 ? {} : { redteamGate: redteam }),
        ...(overridden === undefined
          ? {}
          : { forced: true, overridden: { code: overridden.code, ...overridden.details } }),
        ...(branchesForced.length === 0
          ? {}
          : {
              forced: true,
              overriddenBranchPolicy: { code: 'BRANCH_VERSION_NOT_ALLOWED', versions: branchesForced },
            }),
      },
    });
    await events.publish(trx, {
      type: 'deployment.changed',
      projectId,
      data: {
        prompt: prompt.name,
        environment: env.name,
        action: entry.action,
        variants: entry.variants,
        enabled: entry.enabled,
        ...withTargeting(entry.targeting),
        previous: entry.previous,
        actor: entry.actor,
        reason: entry.reason,
        historyId: stored.id,
        ...(entry.requestId === null ? {} : { requestId: entry.requestId, approvedBy: entry.approvedBy }),
        // Who owns the prompt and who asked to be told of its changes (a webhook routes on them).
        owner: prompt.owner,
        stakeholders: prompt.stakeholders,
      },
    });
    return stored;
  }

  /**
   * Refuses a change that would break the environment's partial graph, unless `force`; returns
   * what a forced change overrides, for the history and the audit log.
   */
  async function checkPartials(
    trx: Db,
    prompt: StoredPrompt,
    env: StoredEnvironment,
    next: Release,
    options: { force: boolean; onlyOthers: boolean },
  ): Promise<PartialBreakage | undefined> {
    const releases = await store.listForEnvironment(trx, env.id);
    const names = await prompts.namesOf(
      trx,
      releases.map((r) => r.promptId),
    );
    const breakage = await partialBreakage(trx, prompts, {
      environment: env.name,
      promptId: prompt.id,
      prompt: prompt.name,
      current: releases.flatMap((release) => {
        const name = names.get(release.promptId);
        return name === undefined ? [] : [{ promptId: release.promptId, prompt: name, release }];
      }),
      next,
      onlyOthers: options.onlyOthers,
    });
    if (breakage && !options.force) throw partialBreakageError(breakage);
    return breakage;
  }

  /** Refuses targeting that names a segment the project does not have (any more). */
  async function checkSegments(trx: Db, projectId: number, targeting: Targeting | undefined): Promise<void> {
    const named = segmentsOf(targeting);
    const absent = named.length > 0 && segments ? await segments.missing(trx, projectId, named) : [];
    if (absent.length > 0) {
      throw new AppError(
        'SEGMENT_NOT_FOUND',
        `The targeting names segment(s) ${absent.join(', ')} that do not exist.`,
        {
          details: { missing: absent },
          hint: 'Create them first with PUT /api/v1/segments/{name} or `promptline segments set <name>`.',
        },
      );
    }
  }

  function published<T>(projectId: number, envName: string, name: string, value: T): T {
    changeFeed.publish({ projectId: String(projectId), environment: envName, prompt: name });
    return value;
  }

  /**
   * Refuses what the environment's policy does not allow. A kill switch (the live variants, only
   * `enabled` changed) stays instant for the roles that may deploy: an emergency must not wait for
   * a quorum or an eval.
   */
  async function checkPolicy(
    trx: Db,
    projectId: number,
    prompt: StoredPrompt,
    env: StoredEnvironment,
    release: Release,
    current: Release | undefined,
    actor: DeployActor,
    approval: { requestId: number } | undefined,
  ): Promise<PolicyPasses> {
    const policy = effectivePolicy(env.policy);
    const role = typeof actor === 'string' ? undefined : actor.role;
    const killSwitch =
      current !== undefined &&
      canonicalJson(current.variants) === canonicalJson(release.variants) &&
      sameTargeting(current, release);
    // The route already limits deploys to editors and admins, who keep the switch whatever deployRoles says.
    if (killSwitch) return NO_PASSES;
    // An approved request was checked for its author's role when it was opened; freezes still hold.
    checkDeployer(policy, env.name, approval === undefined ? role : undefined, clock.now());
    if (approval === undefined) {
      if (policy.requiredApprovals > 0) {
        throw new AppError(
          'APPROVAL_REQUIRED',
          `Deploying to ${env.name} needs ${policy.requiredApprovals} approval(s) under its policy.`,
          {
            details: { environment: env.name, requiredApprovals: policy.requiredApprovals },
            hint: `Open a deployment request with POST /api/v1/prompts/{name}/deployments/${env.name}/requests (same body plus "reason"); it deploys once approved.`,
          },
        );
      }
    }
    const versions = servedVersions(release);
    const gate =
      policy.requireEvalPass && evalGate ? await evalGate.check(trx, projectId, prompt.name, versions) : [];
    const redteam =
      policy.requireRedteamPass && redteamGate
        ? await redteamGate.check(trx, projectId, prompt.name, versions, policy.requireRedteamPass)
        : [];
    return { gate, redteam };
  }

  async function deployIn(
    trx: Db,
    projectId: number,
    name: string,
    envName: string,
    request: DeployRequest,
    actor: DeployActor,
    approval: { requestId: number; approvedBy: string[] } | undefined,
  ): Promise<{ deployment: Deployment; changed: boolean }> {
    const normalized = normalizeRelease(request);
    const actorName = typeof actor === 'string' ? actor : actor.name;
    const { prompt, env } = await target(trx, projectId, name, envName, true);
    const current = await store.current(trx, prompt.id, env.id);
    // A deploy that does not mention targeting keeps the live one (a rollout step, a promotion);
    // `"targeting": {}` removes it.
    const targeting =
      request.targeting === undefined ? current?.targeting : normalizeTargeting(request.targeting);
    const release: Release = { ...normalized, ...withTargeting(targeting) };
    await checkSegments(trx, projectId, targeting);
    const numbers = servedVersions(release);
    const stored = await prompts.findVersions(trx, [{ promptId: prompt.id, name, numbers }]);
    const found = new Set(stored.map((v) => v.number));
    const missing = numbers.filter((n) => !found.has(n));
    if (missing.length > 0) {
      throw new AppError('VERSION_NOT_FOUND', `Prompt "${name}" has no version ${missing.join(', ')}.`, {
        details: { missing, prompt: name },
        hint: 'Save it first, or list versions with GET /api/v1/prompts/{name}/versions.',
      });
    }
    if (current && sameRelease(current, release)) {
      return { deployment: toDeployment(name, env.name, current), changed: false };
    }
    const onBranches = stored.filter((v) => v.branch != null);
    if (onBranches.length > 0 && release.enabled && !allowsBranchVersions(env.policy)) {
      throw branchVersionRefused(name, env.name, onBranches);
    }
    const gate = await checkPolicy(trx, projectId, prompt, env, release, current, actor, approval);
    const overridden = await checkPartials(trx, prompt, env, release, {
      force: request.force === true,
      onlyOthers: !release.enabled,
    });
    const entry = await makeLive(
      trx,
      projectId,
      prompt,
      env,
      {
        action: 'deploy',
        variants: release.variants,
        enabled: release.enabled,
        ...withTargeting(release.targeting),
        previous: current ? releaseOf(current) : null,
        restoredFrom: null,
        // Rolling back from this entry restores whatever it replaced.
        rollbackTarget: current?.historyId ?? null,
        actor: actorName,
        reason: request.reason ?? null,
        at: isoNow(clock),
        requestId: approval?.requestId ?? null,
        approvedBy: approval?.approvedBy ?? null,
      },
      overridden,
      [],
      gate,
    );
    return {
      deployment: toDeployment(name, env.name, {
        ...release,
        historyId: entry.id,
        updatedAt: entry.at,
        updatedBy: actorName,
      }),
      changed: true,
    };
  }

  /**
   * A rollback must not make an environment serve a branch version its policy refuses (the same
   * rule and code as a deploy): refused unless `force: true`, like a rollback's partial check.
   * Answers the branch versions a forced rollback restores anyway (for the history and audit).
   */
  async function checkRestoredBranches(
    trx: Db,
    prompt: StoredPrompt,
    env: StoredEnvironment,
    restored: Release,
    request: RollbackRequest,
  ): Promise<{ version: number; branch: string | null }[]> {
    if (!restored.enabled || allowsBranchVersions(env.policy)) return [];
    const numbers = servedVersions(restored);
    const stored = await prompts.findVersions(trx, [{ promptId: prompt.id, name: prompt.name, numbers }]);
    const onBranches = stored.filter((v) => v.branch != null);
    if (onBranches.length === 0) return [];
    if (request.force !== true) throw branchVersionRefused(prompt.name, env.name, onBranches);
    return onBranches.map((v) => ({ version: v.number, branch: v.branch ?? null }));
  }

  async function rollbackIn(
    trx: Db,
    projectId: number,
    name: string,
    envName: string,
    request: RollbackRequest,
    actor: string,
  ): Promise<Deployment> {
    const { prompt, env } = await target(trx, projectId, name, envName, true);
    const current = await store.current(trx, prompt.id, env.id);
    if (!current) {
      throw new AppError(
        'NOTHING_TO_ROLL_BACK',
        `"${name}" has never been deployed to ${envName}, so there is nothing to roll back. Deploy a version first.`,
      );
    }
    let restored: StoredHistoryEntry | undefined;
    if (request.to !== undefined) {
      restored = await store.findHistory(trx, request.to);
      if (!restored || restored.promptId !== prompt.id || restored.environmentId !== env.id) {
        throw new AppError(
          'HISTORY_ENTRY_NOT_FOUND',
          `No history entry ${request.to} for "${name}" in ${envName}.`,
          {
            details: { prompt: name, environment: envName },
            hint: `List entries with GET /api/v1/prompts/{name}/deployments/${envName}/history.`,
          },
        );
      }
      if (restored.id === current.historyId) {
        throw new AppError(
          'NOTHING_TO_ROLL_BACK',
          `History entry ${request.to} is already live for "${name}" in ${envName}; there is nothing to restore.`,
        );
      }
    } else {
      // The chain of rollback targets walks back through releases in the order they were live,
      // skipping ones already undone, so rollback, rollback goes C → B → A.
      const live = await store.findHistory(trx, current.historyId);
      const targetId = live?.rollbackTarget ?? null;
      restored = targetId === null ? undefined : await store.findHistory(trx, targetId);
      if (!restored) {
        throw new AppError(
          'NOTHING_TO_ROLL_BACK',
          `There is no earlier release of "${name}" in ${envName} to roll back to.`,
          {
            details: { prompt: name, environment: envName },
            hint: 'Deploy a version explicitly, or pick an entry with {"to": <history id>}.',
          },
        );
      }
    }
    await checkSegments(trx, projectId, restored.targeting);
    const branchesForced = await checkRestoredBranches(trx, prompt, env, releaseOf(restored), request);
    const overridden = await checkPartials(trx, prompt, env, releaseOf(restored), {
      force: request.force === true,
      onlyOthers: true,
    });
    const entry = await makeLive(
      trx,
      projectId,
      prompt,
      env,
      {
        action: 'rollback',
        variants: restored.variants,
        enabled: restored.enabled,
        ...withTargeting(restored.targeting),
        previous: releaseOf(current),
        restoredFrom: restored.id,
        rollbackTarget: restored.rollbackTarget,
        actor,
        reason: request.reason ?? null,
        at: isoNow(clock),
        requestId: null,
        approvedBy: null,
      },
      overridden,
      branchesForced,
    );
    return toDeployment(name, env.name, {
      variants: entry.variants,
      enabled: entry.enabled,
      ...withTargeting(entry.targeting),
      historyId: entry.id,
      updatedAt: entry.at,
      updatedBy: actor,
    });
  }

  return {
    /**
     * History entries as the audit chain seals them; `check` also compares each live release (the
     * `deployments` row resolution reads) with the history entry it claims to come from, so a
     * release edited in place is found too.
     */
    sealedSource: {
      table: 'deployment_history',
      async rows(projectId: number, db: Db) {
        const entries = await store.allHistory(db, projectId);
        const names = await prompts.namesOf(db, [...new Set(entries.map((e) => e.promptId))]);
        return entries.map((entry) => ({
          id: entry.id,
          target: `${names.get(entry.promptId) ?? `prompt ${entry.promptId}`} ${entry.action} entry ${entry.id}`,
          hash: historyRecordHash(entry),
        }));
      },
      async check(projectId: number, db: Db) {
        const live = await store.listForProject(db, projectId);
        const names = await prompts.namesOf(db, [...new Set(live.map((r) => r.promptId))]);
        const problems = [];
        for (const release of live) {
          const entry = await store.findHistory(db, release.historyId);
          const target = `${names.get(release.promptId) ?? `prompt ${release.promptId}`} in environment ${release.environmentId}`;
          if (
            !entry ||
            entry.promptId !== release.promptId ||
            entry.environmentId !== release.environmentId ||
            !sameRelease(entry, release)
          ) {
            problems.push({
              table: 'deployments',
              id: release.historyId,
              target,
              reason: `the live release of ${target} does not match its history entry ${release.historyId}: the deployments row was altered`,
            });
          }
        }
        return problems;
      },
    } satisfies SealedSource,

    /**
     * Makes a release live. Deploying the release already live changes nothing (no history entry).
     * Refused when the environment's partial graph would break (see partial-check.ts); a kill
     * switch (`enabled: false`) only when another served prompt includes this one. `force: true`
     * overrides, recorded in the history entry and the audit event.
     *
     * @throws AppError INVALID_WEIGHTS, VERSION_NOT_FOUND, ENVIRONMENT_ARCHIVED, PROMPT_NOT_FOUND,
     *   ENVIRONMENT_NOT_FOUND, DEPLOY_PARTIAL_MISSING, DEPLOY_PARTIAL_CYCLE, DEPLOY_PARTIAL_TOO_DEEP
     */
    async deploy(
      projectId: number,
      name: string,
      envName: string,
      request: DeployRequest,
      actor: DeployActor,
    ): Promise<Deployment> {
      const { deployment, changed } = await database.db
        .transaction()
        .execute((trx) => deployIn(trx, projectId, name, envName, request, actor, undefined));
      return changed ? published(projectId, envName, name, deployment) : deployment;
    },

    /**
     * The deploy of an approved request, inside the request's transaction (so the approval that
     * completes it and the change commit together). The policy's approvals are met by the caller;
     * the eval gate and the partial check still apply. Call `publish` after the commit.
     */
    async deployApproved(
      trx: Db,
      projectId: number,
      name: string,
      envName: string,
      request: DeployRequest,
      actor: DeployActor,
      approval: { requestId: number; approvedBy: string[] },
    ): Promise<{ deployment: Deployment; changed: boolean }> {
      return deployIn(trx, projectId, name, envName, request, actor, approval);
    },

    /**
     * Inside the caller's transaction: the prompt (row locked for a write), the environment and
     * what it serves now — what a deployment request is made against and checked for staleness.
     * With `versions`, also refuses numbers the prompt does not have.
     *
     * @throws AppError PROMPT_NOT_FOUND, ENVIRONMENT_NOT_FOUND, VERSION_NOT_FOUND
     */
    /**
     * Where each version stands with the environment's red-team gate (empty when its policy sets
     * none): what a deployment request shows before anyone approves it.
     */
    async redteamGateStates(
      db: Db,
      projectId: number,
      prompt: string,
      envName: string,
      versions: number[],
    ): Promise<RedteamGateState[]> {
      const env = await environments.findByName(db, projectId, envName);
      const gate = env ? effectivePolicy(env.policy).requireRedteamPass : null;
      if (!gate || !redteamGate) return [];
      const states: RedteamGateState[] = [];
      for (const version of [...new Set(versions)]) {
        states.push(await redteamGate.state(db, projectId, prompt, version, gate));
      }
      return states;
    },

    async locate(trx: Db, projectId: number, name: string, envName: string, versions: number[] = []) {
      const prompt = await prompts.findByName(trx, projectId, name, true);
      if (!prompt) throw promptNotFound(name);
      const env = await environments.findByName(trx, projectId, envName);
      if (!env) throw environmentNotFound(envName);
      let stored: StoredVersion[] = [];
      if (versions.length > 0) {
        stored = await prompts.findVersions(trx, [{ promptId: prompt.id, name, numbers: versions }]);
        const found = new Set(stored.map((v) => v.number));
        const missing = versions.filter((n) => !found.has(n));
        if (missing.length > 0) {
          throw new AppError('VERSION_NOT_FOUND', `Prompt "${name}" has no version ${missing.join(', ')}.`, {
            details: { missing, prompt: name },
            hint: 'Save it first, or list versions with GET /api/v1/prompts/{name}/versions.',
          });
        }
      }
      const current = await store.current(trx, prompt.id, env.id);
      return { prompt, env, current, versions: stored };
    },

    /** Tells the feed a change committed elsewhere (deployApproved) is live. */
    publish(projectId: number, envName: string, name: string): void {
      published(projectId, envName, name, undefined);
    },

    /**
     * The policy of an environment and whether a release needs a request there (what the deploy
     * form and `promptline deploy` explain before trying).
     */
    async policyOf(projectId: number, envName: string) {
      const env = await environments.findByName(database.db, projectId, envName);
      if (!env) throw environmentNotFound(envName);
      return { environment: env.name, policy: env.policy, effective: effectivePolicy(env.policy) };
    },

    /**
     * Restores the release live before the current one (each further rollback steps one more back),
     * or the release of history entry `to`. Every rollback is itself a history entry. Refused when
     * it would break another served prompt's partials, or serve a branch version where the
     * environment's policy takes main-line versions only — unless `force: true` (recorded as forced).
     *
     * @throws AppError NOTHING_TO_ROLL_BACK, HISTORY_ENTRY_NOT_FOUND, ENVIRONMENT_ARCHIVED,
     *   DEPLOY_PARTIAL_MISSING, DEPLOY_PARTIAL_CYCLE, DEPLOY_PARTIAL_TOO_DEEP, BRANCH_VERSION_NOT_ALLOWED
     */
    async rollback(
      projectId: number,
      name: string,
      envName: string,
      request: RollbackRequest,
      actor: string,
    ): Promise<Deployment> {
      const deployment = await database.db
        .transaction()
        .execute((trx) => rollbackIn(trx, projectId, name, envName, request, actor));
      return published(projectId, envName, name, deployment);
    },

    /**
     * A deploy inside the caller's transaction, with every check of `deploy` (policy, eval gate,
     * partials): what a guarded rollout's steps use, so they commit with its own state. Call
     * `publish` after the commit when `changed`.
     */
    deployInTransaction(
      trx: Db,
      projectId: number,
      name: string,
      envName: string,
      request: DeployRequest,
      actor: DeployActor,
    ): Promise<{ deployment: Deployment; changed: boolean }> {
      return deployIn(trx, projectId, name, envName, request, actor, undefined);
    },

    /** A rollback inside the caller's transaction (a rollout's automatic one); `publish` after the commit. */
    rollbackInTransaction: rollbackIn,

    ...createDeploymentReads({ database, store, prompts, environments }),
  };
}

export type DeploymentService = ReturnType<typeof createDeploymentService>;
