/**
 * Deployment requests (create, list, approve, reject, cancel) and the quorum that deploys them.
 * Slightly over 500 lines because approve is one transaction that re-checks staleness and the
 * policy, counts the quorum and then deploys through the deployments service (which applies the
 * eval and red-team gates); splitting it would spread that one decision over files.
 */
import {
  AppError,
  allowsBranchVersions,
  checkDeployer,
  type DeploymentRequest,
  type DeployRequest,
  decisionRecordHash,
  effectivePolicy,
  normalizeRelease,
  type RedteamGateState,
  type RolloutRequestPlan,
  singleVersion,
} from '@promptline/core';
import type { AuditService, SealedSource } from '../audit/service.ts';
import type { Principal } from '../auth/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import type { DeploymentService } from '../deployments/service.ts';
import { type EventPublisher, noEvents } from '../events/bus.ts';
import { branchVersionRefused } from '../prompts/branch-errors.ts';
import type { RolloutService } from '../rollouts/service.ts';
import { createRequestStore, type StoredDecision, type StoredRequest } from './store.ts';

/** Who decides: the user a key acts as (approvals compare users), or the key when it has none. */
function voterOf(principal: Principal): { voter: string; userId: number | null; name: string } {
  const userId =
    'userId' in principal && typeof principal.userId === 'number' ? (principal.userId as number) : null;
  return {
    voter: userId === null ? `key:${principal.keyId}` : `user:${userId}`,
    userId,
    name: principal.name,
  };
}

function notFound(id: number): AppError {
  return new AppError('DEPLOYMENT_REQUEST_NOT_FOUND', `No deployment request ${id} in this project.`, {
    hint: 'List requests with GET /api/v1/deployment-requests.',
  });
}

function notPending(request: StoredRequest): AppError {
  const why =
    request.status === 'stale'
      ? `went stale (${request.staleReason ?? 'the live release or the head moved'})`
      : `is ${request.status}`;
  return new AppError(
    'REQUEST_NOT_PENDING',
    `Deployment request ${request.id} ${why}; it can no longer be decided.`,
    {
      details: { id: request.id, status: request.status },
      hint: `Open a new request with POST /api/v1/prompts/{name}/deployments/${request.environment}/requests.`,
    },
  );
}

function publicRequest(
  request: StoredRequest,
  decisions: StoredDecision[],
  redteam: RedteamGateState[] = [],
): DeploymentRequest {
  const mine = decisions.filter((d) => d.requestId === request.id);
  return {
    id: request.id,
    prompt: request.prompt,
    environment: request.environment,
    status: request.status,
    variants: request.variants,
    enabled: request.enabled,
    reason: request.reason,
    author: request.author,
    authorId: request.authorId,
    requiredApprovals: request.requiredApprovals,
    approvals: mine.filter((d) => d.decision === 'approve').length,
    decisions: mine.map(({ user, userId, decision, comment, at }) => ({
      user,
      userId,
      decision,
      comment,
      at,
    })),
    baseHistoryId: request.baseHistoryId,
    headVersion: request.headVersion,
    historyId: request.historyId,
    staleReason: request.staleReason,
    rollout: request.rollout,
    gates: { redteam },
    createdAt: request.createdAt,
    updatedAt: request.updatedAt,
  };
}

type Outcome =
  | { kind: 'ok'; request: StoredRequest; published?: { env: string; prompt: string } }
  | { kind: 'stale'; request: StoredRequest };

/**
 * Deployment requests: the way through an environment policy that needs approvals. A request
 * freezes the release asked for and what was live and the head at that moment; it goes stale when
 * either moves. The approval that meets the quorum deploys, in its own transaction, recording
 * every approver in the history entry.
 */
export function createRequestService({
  database,
  clock,
  audit,
  deployments,
  events = noEvents,
  rollouts,
}: {
  database: Database;
  clock: Clock;
  audit: AuditService;
  deployments: Pick<DeploymentService, 'locate' | 'deployApproved' | 'publish' | 'redteamGateStates'>;
  /** Told `deployment.requested` and `deployment.approved` in the deciding transaction. */
  events?: EventPublisher;
  /** Starts the rollout a request carries when its quorum is met. */
  rollouts?: Pick<RolloutService, 'startIn' | 'checkPlan'>;
}) {
  const store = createRequestStore(database.dialect);

  async function withDecisions(db: Db, requests: StoredRequest[]): Promise<DeploymentRequest[]> {
    const decisions = await store.decisions(
      db,
      requests.map((r) => r.id),
    );
    const shown: DeploymentRequest[] = [];
    for (const r of requests) {
      // Only a pending request can still be let through or held by the gate.
      const gates =
        r.status === 'pending'
          ? await deployments.redteamGateStates(
              db,
              r.projectId,
              r.prompt,
              r.environment,
              r.variants.map((v) => v.version),
            )
          : [];
      shown.push(publicRequest(r, decisions, gates));
    }
    return shown;
  }

  /** Why a pending request can no longer deploy what it asked for, or null. */
  async function staleness(trx: Db, projectId: number, request: StoredRequest): Promise<string | null> {
    let located: Awaited<ReturnType<typeof deployments.locate>>;
    try {
      located = await deployments.locate(trx, projectId, request.prompt, request.environment);
    } catch (error) {
      if (error instanceof AppError && error.status === 404) return `${error.message}`;
      throw error;
    }
    const live = located.current?.historyId ?? null;
    if (live !== request.baseHistoryId) {
      return `the release live in ${request.environment} changed since the request (history entry ${live ?? 'none'})`;
    }
    if (located.prompt.latestVersion !== request.headVersion) {
      return `"${request.prompt}" has a newer version (v${located.prompt.latestVersion}) than when the request was made`;
    }
    return null;
  }

  /** Runs `decide` on a pending, fresh request under its row lock; marks it stale instead when it is. */
  async function decideOn(
    projectId: number,
    id: number,
    decide: (trx: Db, request: StoredRequest) => Promise<Outcome>,
  ): Promise<DeploymentRequest> {
    const outcome = await database.db.transaction().execute(async (trx): Promise<Outcome> => {
      const request = await store.find(trx, projectId, id, true);
      if (!request) throw notFound(id);
      if (request.status !== 'pending') throw notPending(request);
      const stale = await staleness(trx, projectId, request);
      if (stale !== null) {
        await store.setStatus(trx, id, { status: 'stale', at: isoNow(clock), staleReason: stale });
        return { kind: 'stale', request: { ...request, status: 'stale', staleReason: stale } };
      }
      return decide(trx, request);
    });
    if (outcome.kind === 'stale') throw notPending(outcome.request);
    if (outcome.published) deployments.publish(projectId, outcome.published.env, outcome.published.prompt);
    return (await withDecisions(database.db, [outcome.request]))[0] as DeploymentRequest;
  }

  async function record(
    trx: Db,
    projectId: number,
    request: StoredRequest,
    principal: Principal,
    decision: 'approve' | 'reject',
    comment: string | undefined,
  ): Promise<StoredDecision | undefined> {
    const who = voterOf(principal);
    const stored = await store.insertDecision(trx, projectId, {
      requestId: request.id,
      voter: who.voter,
      userId: who.userId,
      user: who.name,
      decision,
      comment: comment ?? null,
      at: isoNow(clock),
    });
    if (!stored) return undefined;
    await audit.append(trx, {
      projectId,
      actor: who.name,
      action: `deployment_request.${decision}`,
      targetType: 'deployment_request',
      target: `${request.prompt}@${request.environment}#${request.id}`,
      data: {
        requestId: request.id,
        comment: comment ?? null,
        sealed: [{ table: 'deployment_request_decisions', id: stored.id, hash: decisionRecordHash(stored) }],
      },
    });
    return stored;
  }

  return {
    /** Decisions as the audit chain seals them: an approval edited in the database is found by `audit verify`. */
    sealedSource: {
      table: 'deployment_request_decisions',
      async rows(projectId: number, db: Db) {
        return (await store.allDecisions(db, projectId)).map((d) => ({
          id: d.id,
          target: `${d.decision} of request ${d.requestId} by ${d.user}`,
          hash: decisionRecordHash(d),
        }));
      },
    } satisfies SealedSource,

    /**
     * Opens a request to deploy `body` to an environment.
     *
     * @throws AppError FORBIDDEN (role not in deployRoles), PROMPT_NOT_FOUND, ENVIRONMENT_NOT_FOUND, VERSION_NOT_FOUND
     */
    async create(
      projectId: number,
      name: string,
      envName: string,
      body: DeployRequest & { rollout?: RolloutRequestPlan | undefined },
      principal: Principal,
    ): Promise<DeploymentRequest> {
      if (body.targeting !== undefined) {
        // Not dropped silently: a request deploys variants only, and keeps the live targeting.
        throw new AppError(
          'VALIDATION_FAILED',
          'A deployment request cannot carry targeting yet; it deploys variants and keeps the live targeting.',
          {
            errors: [
              { path: 'targeting', message: 'remove it, or deploy the targeting where the policy allows' },
            ],
          },
        );
      }
      const release = normalizeRelease(body);
      if (body.rollout) {
        if (singleVersion(release.variants) === null || !release.enabled) {
          throw new AppError(
            'VALIDATION_FAILED',
            'A request that carries a rollout names the one candidate version: {"version": N, "rollout": {…}}.',
            { errors: [{ path: 'variants', message: 'use "version" with a rollout' }] },
          );
        }
        rollouts?.checkPlan(body.rollout);
      }
      const request = await database.db.transaction().execute(async (trx) => {
        const { prompt, env, current, versions } = await deployments.locate(
          trx,
          projectId,
          name,
          envName,
          release.variants.map((v) => v.version),
        );
        // Refused when opened, not only when approved: a reviewer should never see a request that cannot deploy.
        const onBranches = versions.filter((v) => v.branch != null);
        if (onBranches.length > 0 && release.enabled && !allowsBranchVersions(env.policy)) {
          throw branchVersionRefused(name, env.name, onBranches);
        }
        const policy = effectivePolicy(env.policy);
        checkDeployer(policy, env.name, principal.role, clock.now());
        const who = voterOf(principal);
        const at = isoNow(clock);
        const created = await store.insert(trx, {
          projectId,
          promptId: prompt.id,
          environmentId: env.id,
          prompt: prompt.name,
          environment: env.name,
          status: 'pending',
          variants: release.variants,
          enabled: release.enabled,
          force: body.force === true,
          reason: body.reason ?? '',
          author: who.name,
          authorVoter: who.voter,
          authorId: who.userId,
          // A request always needs someone's approval, even where the policy asks for none.
          requiredApprovals: Math.max(1, policy.requiredApprovals),
          baseHistoryId: current?.historyId ?? null,
          headVersion: prompt.latestVersion,
          rollout: body.rollout ?? null,
          createdAt: at,
          updatedAt: at,
        });
        await audit.append(trx, {
          projectId,
          actor: who.name,
          action: 'deployment_request.create',
          targetType: 'deployment_request',
          target: `${prompt.name}@${env.name}#${created.id}`,
          data: {
            requestId: created.id,
            release: { variants: release.variants, enabled: release.enabled },
            reason: created.reason,
            requiredApprovals: created.requiredApprovals,
          },
        });
        await events.publish(trx, {
          type: 'deployment.requested',
          projectId,
          data: {
            requestId: created.id,
            prompt: prompt.name,
            environment: env.name,
            variants: release.variants,
            enabled: release.enabled,
            author: who.name,
            reason: created.reason,
            requiredApprovals: created.requiredApprovals,
          },
        });
        return created;
      });
      return (await withDecisions(database.db, [request]))[0] as DeploymentRequest;
    },

    async list(
      projectId: number,
      filter: {
        status?: string | undefined;
        prompt?: string | undefined;
        environment?: string | undefined;
        limit: number;
      },
    ): Promise<DeploymentRequest[]> {
      return withDecisions(database.db, await store.list(database.db, projectId, filter));
    },

    /** @throws AppError DEPLOYMENT_REQUEST_NOT_FOUND */
    async get(projectId: number, id: number): Promise<DeploymentRequest> {
      const request = await store.find(database.db, projectId, id);
      if (!request) throw notFound(id);
      return (await withDecisions(database.db, [request]))[0] as DeploymentRequest;
    },

    /**
     * Approves; the approval that meets the quorum deploys (eval gate and partial check apply).
     * A second approval by the same user counts once.
     *
     * @throws AppError SELF_APPROVAL, NOT_A_REVIEWER, REQUEST_NOT_PENDING (decided or stale), EVAL_GATE_FAILED, …
     */
    async approve(
      projectId: number,
      id: number,
      principal: Principal,
      comment?: string,
    ): Promise<DeploymentRequest> {
      return decideOn(projectId, id, async (trx, request) => {
        const { env, prompt } = await deployments.locate(trx, projectId, request.prompt, request.environment);
        const policy = effectivePolicy(env.policy);
        if (principal.role === 'viewer') {
          throw new AppError('NOT_A_REVIEWER', `Viewers cannot approve deployments to ${env.name}.`, {
            hint: 'Ask a member with the reviewer, editor or admin role.',
          });
        }
        if (policy.reviewers === 'prompt' && !prompt.reviewers.includes(principal.userEmail.toLowerCase())) {
          throw new AppError(
            'NOT_A_REVIEWER',
            `The policy of ${env.name} lets only the reviewers of "${request.prompt}" approve its deploys, and ${principal.userEmail} is not one of them.`,
            {
              details: { prompt: request.prompt, reviewers: prompt.reviewers },
              hint:
                prompt.reviewers.length === 0
                  ? `"${request.prompt}" has no reviewers yet: an editor sets them with PATCH /api/v1/prompts/{name} {"reviewers": ["ada@example.com"]}.`
                  : `Ask one of: ${prompt.reviewers.join(', ')}.`,
            },
          );
        }
        const who = voterOf(principal);
        if (policy.noSelfApproval && who.voter === request.authorVoter) {
          throw new AppError(
            'SELF_APPROVAL',
            `You opened deployment request ${request.id}; the policy of ${env.name} needs someone else to approve it.`,
            { details: { id: request.id, author: request.author } },
          );
        }
        const recorded = await record(trx, projectId, request, principal, 'approve', comment);
        const decisions = await store.decisions(trx, [request.id]);
        const approvers = decisions.filter((d) => d.decision === 'approve');
        if (recorded) {
          await events.publish(trx, {
            type: 'deployment.approved',
            projectId,
            data: {
              requestId: request.id,
              prompt: request.prompt,
              environment: request.environment,
              approver: recorded.user,
              comment: recorded.comment,
              approvals: approvers.length,
              requiredApprovals: request.requiredApprovals,
              // The approval that meets the quorum deploys: a `deployment.changed` follows in the same transaction.
              complete: approvers.length >= request.requiredApprovals,
            },
          });
        }
        if (approvers.length < request.requiredApprovals) return { kind: 'ok', request };
        const approval = { requestId: request.id, approvedBy: approvers.map((d) => d.user) };
        const version = singleVersion(request.variants);
        if (request.rollout && rollouts && version !== null) {
          // The quorum starts the rollout; its later steps deploy under this same approval.
          const started = await rollouts.startIn(
            trx,
            projectId,
            request.prompt,
            { ...request.rollout, env: request.environment, version, reason: request.reason },
            { name: request.author, role: null, userId: request.authorId },
            approval,
          );
          const at = isoNow(clock);
          await store.setStatus(trx, request.id, {
            status: 'deployed',
            at,
            historyId: started.lastHistoryId,
          });
          return {
            kind: 'ok',
            request: { ...request, status: 'deployed', historyId: started.lastHistoryId, updatedAt: at },
            published: { env: request.environment, prompt: request.prompt },
          };
        }
        const { deployment } = await deployments.deployApproved(
          trx,
          projectId,
          request.prompt,
          request.environment,
          {
            variants: request.variants,
            enabled: request.enabled,
            reason: request.reason,
            ...(request.force ? { force: true } : {}),
          },
          { name: request.author },
          approval,
        );
        const at = isoNow(clock);
        await store.setStatus(trx, request.id, { status: 'deployed', at, historyId: deployment.historyId });
        return {
          kind: 'ok',
          request: { ...request, status: 'deployed', historyId: deployment.historyId, updatedAt: at },
          published: { env: request.environment, prompt: request.prompt },
        };
      });
    },

    /** @throws AppError NOT_A_REVIEWER, REQUEST_NOT_PENDING */
    async reject(
      projectId: number,
      id: number,
      principal: Principal,
      comment?: string,
    ): Promise<DeploymentRequest> {
      return decideOn(projectId, id, async (trx, request) => {
        if (principal.role === 'viewer') {
          throw new AppError('NOT_A_REVIEWER', 'Viewers cannot reject deployment requests.');
        }
        await record(trx, projectId, request, principal, 'reject', comment);
        const at = isoNow(clock);
        await store.setStatus(trx, request.id, { status: 'rejected', at });
        return { kind: 'ok', request: { ...request, status: 'rejected', updatedAt: at } };
      });
    },

    /** The author or an admin withdraws a pending request. @throws AppError FORBIDDEN, REQUEST_NOT_PENDING */
    async cancel(
      projectId: number,
      id: number,
      principal: Principal,
      comment?: string,
    ): Promise<DeploymentRequest> {
      const outcome = await database.db.transaction().execute(async (trx) => {
        const request = await store.find(trx, projectId, id, true);
        if (!request) throw notFound(id);
        if (request.status !== 'pending') throw notPending(request);
        if (voterOf(principal).voter !== request.authorVoter && principal.role !== 'admin') {
          throw new AppError('FORBIDDEN', `Only the author of request ${id} or an admin can cancel it.`);
        }
        const at = isoNow(clock);
        await store.setStatus(trx, id, { status: 'cancelled', at });
        await audit.append(trx, {
          projectId,
          actor: principal.name,
          action: 'deployment_request.cancel',
          targetType: 'deployment_request',
          target: `${request.prompt}@${request.environment}#${request.id}`,
          data: { requestId: id, comment: comment ?? null },
        });
        return { ...request, status: 'cancelled' as const, updatedAt: at };
      });
      return (await withDecisions(database.db, [outcome]))[0] as DeploymentRequest;
    },
  };
}

export type RequestService = ReturnType<typeof createRequestService>;
