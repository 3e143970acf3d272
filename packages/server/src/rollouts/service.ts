/**
 * Guarded rollouts: a candidate version goes from a small share to 100 % in steps, while a
 * recurring job (check.ts) compares it with control on the same window and advances, completes,
 * pauses or rolls back. Every release change goes through the deployments service inside this
 * feature's transaction (policies, eval gate and partial checks apply), so a step and the
 * rollout's own state commit together.
 */
import {
  AppError,
  type CreateRolloutRequest,
  DEFAULT_MIN_SAMPLES,
  DEFAULT_ROLLOUT_STEPS,
  type DeployRequest,
  type GuardrailState,
  isAppError,
  isGuardrailMetric,
  type Rollout,
  type RolloutChecks,
  type RolloutEvent,
  type RolloutQuery,
  type RolloutStep,
  singleVersion,
} from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import type { Principal } from '../auth/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import type { DeployActor, DeploymentService } from '../deployments/service.ts';
import { createGuardrailHistory } from './history.ts';
import { createRolloutStore, type StoredRollout } from './store.ts';

export type Transact = <T>(write: (trx: Db) => Promise<T>) => Promise<T>;

/** The release of a step: the candidate first (it owns the low buckets, so its units stay), control after. */
export function stepRelease(r: Pick<StoredRollout, 'candidate' | 'control'>, weight: number) {
  return weight >= 10_000
    ? { version: r.candidate }
    : {
        variants: [
          { version: r.candidate, weight },
          { version: r.control, weight: 10_000 - weight },
        ],
      };
}

export const rolloutActor = (r: Pick<StoredRollout, 'id'>) => `rollout ${r.id}`;

function pendingVerdicts(guardrails: StoredRollout['guardrails']): GuardrailState[] {
  return guardrails.map((g) => ({
    ...g,
    verdict: 'pending',
    control: null,
    candidate: null,
    n: { control: 0, candidate: 0 },
    interval: null,
    threshold: null,
    evidence: 'not checked yet',
  }));
}

function invalid(path: string, message: string): AppError {
  return new AppError('INVALID_ROLLOUT', `Invalid rollout: ${path}: ${message}.`, {
    errors: [{ path, message }],
  });
}

function checkPlan(steps: readonly RolloutStep[], guardrails: CreateRolloutRequest['guardrails']): void {
  steps.forEach((step, i) => {
    const before = steps[i - 1];
    if (before && step.weight <= before.weight) {
      throw invalid(`steps.${i}.weight`, `steps must grow (${step.weight} after ${before.weight})`);
    }
    if (step.weight >= 10_000 && i !== steps.length - 1) {
      throw invalid(`steps.${i}.weight`, 'only the last step may reach 10000 (100%)');
    }
  });
  guardrails.forEach((g, i) => {
    if (!isGuardrailMetric(g.metric)) {
      throw invalid(
        `guardrails.${i}.metric`,
        `"${g.metric}" is not a guardrail metric: use errorRate, contractViolationRate, latencyP95, costPerCall or score:<name>`,
      );
    }
  });
}

export function createRolloutService({
  database,
  clock,
  audit,
  deployments,
}: {
  database: Database;
  clock: Clock;
  audit: AuditService;
  deployments: DeploymentService;
}) {
  const store = createRolloutStore(database.dialect);
  const history = createGuardrailHistory();
  const transact: Transact = (write) => database.db.transaction().execute(write);

  async function present(db: Db, r: StoredRollout): Promise<Rollout> {
    const step = r.steps[r.step] ?? r.steps.at(-1) ?? { weight: 10_000, durationSeconds: 0 };
    return {
      id: r.id,
      prompt: r.prompt,
      environment: r.environment,
      candidate: r.candidate,
      control: r.control,
      status: r.status,
      step: r.step,
      currentStep: { ...step, index: r.step, startedAt: r.stepStartedAt },
      steps: r.steps,
      guardrails: r.verdicts,
      minSamples: r.minSamples,
      onRegression: r.onRegression,
      createdBy: r.createdBy,
      startedAt: r.startedAt,
      updatedAt: r.updatedAt,
      lastCheckAt: r.lastCheckAt,
      reason: r.reason,
      requestId: r.approval?.requestId ?? null,
      events: await store.events(db, r.id),
    };
  }

  async function record(
    trx: Db,
    r: StoredRollout,
    event: Omit<RolloutEvent, 'at' | 'step'> & { step?: number },
  ): Promise<void> {
    const at = isoNow(clock);
    await store.addEvent(trx, r.projectId, r.id, { at, step: r.step, ...event });
    await audit.append(trx, {
      projectId: r.projectId,
      actor: event.actor,
      action: `rollout.${event.kind}`,
      targetType: 'rollout',
      target: `${r.prompt}@${r.environment}#${r.id}`,
      data: { rollout: r.id, message: event.message, historyId: event.historyId },
    });
  }

  /** Reads a rollout for a change, locked; refuses one of another project. */
  async function forChange(trx: Db, projectId: number, id: number): Promise<StoredRollout> {
    const found = await store.find(trx, id);
    if (!found || found.projectId !== projectId) throw notFound(id);
    // Prompt row first, then the rollout: the order deploys and the check job take locks in.
    await deployments.locate(trx, projectId, found.prompt, found.environment);
    const r = await store.find(trx, id, true);
    if (!r) throw notFound(id);
    return r;
  }

  function notFound(id: number): AppError {
    return new AppError('ROLLOUT_NOT_FOUND', `No rollout ${id}. List rollouts with GET /api/v1/rollouts.`);
  }

  function notActive(r: StoredRollout, action: string, allowed: string): AppError {
    return new AppError(
      'ROLLOUT_NOT_ACTIVE',
      `Rollout ${r.id} is ${r.status}; ${action} needs it ${allowed}.`,
      { details: { id: r.id, status: r.status } },
    );
  }

  /** Whether the live release is the one this rollout made last (else someone else changed it). */
  async function liveIsOurs(trx: Db, r: StoredRollout): Promise<{ ours: boolean; historyId: number | null }> {
    const { current } = await deployments.locate(trx, r.projectId, r.prompt, r.environment);
    return { ours: current?.historyId === r.lastHistoryId, historyId: current?.historyId ?? null };
  }

  const service = {
    store,
    history,
    transact,
    /** The database handle reads outside a transaction use. */
    db: (): Db => database.db,
    record,
    present,

    /**
     * Starts a rollout: deploys the first step (candidate at its weight, control the rest).
     *
     * @throws AppError INVALID_ROLLOUT, ROLLOUT_NO_CONTROL, ROLLOUT_ACTIVE, VERSION_NOT_FOUND, and
     *   whatever the environment's policy answers the first step (APPROVAL_REQUIRED, EVAL_GATE_FAILED…)
     */
    async create(
      projectId: number,
      name: string,
      body: CreateRolloutRequest,
      actor: Principal,
    ): Promise<Rollout> {
      const created = await transact((trx) =>
        service.startIn(
          trx,
          projectId,
          name,
          body,
          { name: actor.name, role: actor.role, userId: actor.userId },
          null,
        ),
      ).catch((error: unknown) => {
        if (!isAppError(error) || error.code !== 'APPROVAL_REQUIRED') throw error;
        throw new AppError('APPROVAL_REQUIRED', error.message, {
          details: { ...(error.details ?? {}) },
          hint: `Open a deployment request that carries the rollout: POST /api/v1/prompts/{name}/deployments/${body.env}/requests {"version": ${body.version}, "reason": "…", "rollout": {"steps": […], "guardrails": […], "onRegression": "${body.onRegression}"}}; the approval that completes the quorum starts it.`,
        });
      });
      deployments.publish(projectId, created.environment, name);
      return present(database.db, created);
    },

    /**
     * Starts a rollout inside the caller's transaction. With `approval` (a deployment request whose
     * quorum was just met) the first step and every later one deploy as approved by those people:
     * no new approvals, while freezes, the eval gate and the partial check still apply. Call
     * `deployments.publish` after the commit.
     */
    async startIn(
      trx: Db,
      projectId: number,
      name: string,
      body: CreateRolloutRequest,
      actor: { name: string; role: string | null; userId?: number | null | undefined },
      approval: StoredRollout['approval'],
    ): Promise<StoredRollout> {
      const steps = body.steps ?? [...DEFAULT_ROLLOUT_STEPS];
      checkPlan(steps, body.guardrails);
      const first = steps[0] as RolloutStep;
      const { prompt, env, current } = await deployments.locate(trx, projectId, name, body.env, [
        body.version,
      ]);
      const active = await store.findActive(trx, prompt.id, env.id);
      if (active) {
        throw new AppError(
          'ROLLOUT_ACTIVE',
          `Rollout ${active.id} of "${name}" in ${env.name} is ${active.status}; abort it first (POST /api/v1/rollouts/${active.id}/abort).`,
          { details: { id: active.id } },
        );
      }
      const control = current ? singleVersion(current.variants) : null;
      if (!current?.enabled || control === null) {
        throw new AppError(
          'ROLLOUT_NO_CONTROL',
          `A rollout needs one version live and enabled in ${env.name} as control; "${name}" ${
            !current
              ? 'is not deployed there'
              : !current.enabled
                ? 'is switched off there'
                : 'serves several variants there'
          }.`,
          {
            hint: `Deploy the control version first: PUT /api/v1/prompts/{name}/deployments/${env.name} {"version": N}.`,
          },
        );
      }
      if (control === body.version) {
        throw new AppError(
          'ROLLOUT_NO_CONTROL',
          `Version ${control} is already live in ${env.name}: roll out another one.`,
        );
      }
      const now = isoNow(clock);
      const r = await store.insert(trx, {
        projectId,
        promptId: prompt.id,
        environmentId: env.id,
        prompt: name,
        environment: env.name,
        candidate: body.version,
        control,
        controlHistoryId: current.historyId,
        lastHistoryId: current.historyId,
        status: 'running',
        steps,
        guardrails: body.guardrails,
        minSamples: body.minSamples ?? DEFAULT_MIN_SAMPLES,
        onRegression: body.onRegression,
        step: 0,
        stepStartedAt: now,
        verdicts: pendingVerdicts(body.guardrails),
        createdBy: actor.name,
        createdByRole: actor.role,
        approval,
        reason: body.reason ?? null,
        startedAt: now,
        updatedAt: now,
        lastCheckAt: null,
      });
      const message = `rollout ${r.id} started by ${actor.name}: v${body.version} at ${first.weight / 100}% against v${control}${
        body.reason ? ` (${body.reason})` : ''
      }`;
      const { deployment } = await service.deployStep(
        trx,
        r,
        { ...stepRelease(r, first.weight), reason: message },
        { name: rolloutActor(r), ...(actor.role ? { role: actor.role } : {}), userId: actor.userId ?? null },
      );
      await store.update(trx, r.id, { lastHistoryId: deployment.historyId, updatedAt: now });
      await record(trx, r, { kind: 'start', actor: actor.name, message, historyId: deployment.historyId });
      return { ...r, lastHistoryId: deployment.historyId };
    },

    /** Deploys a step of `r`: as approved when an approved request started it, else under the policy. */
    deployStep(trx: Db, r: StoredRollout, release: DeployRequest, actor: DeployActor) {
      return r.approval
        ? deployments.deployApproved(trx, r.projectId, r.prompt, r.environment, release, actor, r.approval)
        : deployments.deployInTransaction(trx, r.projectId, r.prompt, r.environment, release, actor);
    },

    /** Refuses a plan a rollout could not run (what a deployment request checks before it is opened). @throws AppError INVALID_ROLLOUT */
    checkPlan(plan: Pick<CreateRolloutRequest, 'steps' | 'guardrails'>): void {
      checkPlan(plan.steps ?? [...DEFAULT_ROLLOUT_STEPS], plan.guardrails);
    },

    /** The running or paused rollout of a prompt (row id) in an environment (row id), if any. */
    async activeIn(
      db: Db,
      promptId: number,
      environmentId: number,
    ): Promise<{ id: number; status: string } | undefined> {
      const r = await store.findActive(db, promptId, environmentId);
      return r ? { id: r.id, status: r.status } : undefined;
    },

    async get(projectId: number, id: number): Promise<Rollout> {
      const r = await store.find(database.db, id);
      if (!r || r.projectId !== projectId) throw notFound(id);
      return present(database.db, r);
    },

    /** Each guardrail's recorded checks, oldest first. @throws AppError ROLLOUT_NOT_FOUND */
    async checks(projectId: number, id: number): Promise<RolloutChecks> {
      const r = await store.find(database.db, id);
      if (!r || r.projectId !== projectId) throw notFound(id);
      return history.read(database.db, r);
    },

    async list(projectId: number, query: RolloutQuery): Promise<Rollout[]> {
      const rows = await store.list(database.db, projectId, query);
      return Promise.all(rows.map((r) => present(database.db, r)));
    },

    /** Stops advancing; the current split stays live. @throws AppError ROLLOUT_NOT_ACTIVE */
    async pause(projectId: number, id: number, actor: string, reason?: string): Promise<Rollout> {
      const r = await transact(async (trx) => {
        const r = await forChange(trx, projectId, id);
        if (r.status !== 'running') throw notActive(r, 'pause', 'running');
        const message = `paused by ${actor}${reason ? `: ${reason}` : ''}`;
        await store.update(trx, r.id, { status: 'paused', reason: message, updatedAt: isoNow(clock) });
        await record(trx, r, { kind: 'pause', actor, message, historyId: null });
        return r;
      });
      return service.get(projectId, r.id);
    },

    /**
     * Goes on from the current step, whose duration starts again. Aborts instead when the live
     * release was changed while it was paused. @throws AppError ROLLOUT_NOT_ACTIVE
     */
    async resume(projectId: number, id: number, actor: string, reason?: string): Promise<Rollout> {
      await transact(async (trx) => {
        const r = await forChange(trx, projectId, id);
        if (r.status !== 'paused') throw notActive(r, 'resume', 'paused');
        const live = await liveIsOurs(trx, r);
        if (!live.ours) {
          await service.abortIn(
            trx,
            r,
            actor,
            `the live release changed while paused (history entry ${live.historyId})`,
            false,
          );
          return;
        }
        const now = isoNow(clock);
        await store.update(trx, r.id, {
          status: 'running',
          reason: null,
          stepStartedAt: now,
          updatedAt: now,
        });
        await record(trx, r, {
          kind: 'resume',
          actor,
          message: `resumed by ${actor}${reason ? `: ${reason}` : ''}`,
          historyId: null,
        });
      });
      return service.get(projectId, id);
    },

    /**
     * Ends the rollout (`aborted`). With `restore` (an abort asked through the API) control is
     * live again, as a rollback entry; a deploy by someone else (found by the check) is left live.
     */
    async abortIn(
      trx: Db,
      r: StoredRollout,
      actor: string,
      why: string,
      restore: boolean,
    ): Promise<number | null> {
      let historyId: number | null = null;
      if (restore && (await liveIsOurs(trx, r)).ours && r.lastHistoryId !== r.controlHistoryId) {
        const restored = await deployments.rollbackInTransaction(
          trx,
          r.projectId,
          r.prompt,
          r.environment,
          {
            to: r.controlHistoryId,
            reason: `rollout ${r.id} aborted by ${actor}: back to v${r.control}${why ? ` (${why})` : ''}`,
          },
          rolloutActor(r),
        );
        historyId = restored.historyId;
      }
      const message = `aborted by ${actor}${why ? `: ${why}` : ''}`;
      await store.update(trx, r.id, {
        status: 'aborted',
        reason: message,
        updatedAt: isoNow(clock),
        ...(historyId === null ? {} : { lastHistoryId: historyId }),
      });
      await record(trx, r, { kind: 'abort', actor, message, historyId });
      return historyId;
    },

    /** Aborts and puts control back live. @throws AppError ROLLOUT_NOT_ACTIVE */
    async abort(projectId: number, id: number, actor: string, reason?: string): Promise<Rollout> {
      const r = await transact(async (trx) => {
        const r = await forChange(trx, projectId, id);
        if (r.status !== 'running' && r.status !== 'paused') throw notActive(r, 'abort', 'running or paused');
        await service.abortIn(trx, r, actor, reason ?? '', true);
        return r;
      });
      deployments.publish(projectId, r.environment, r.prompt);
      return service.get(projectId, id);
    },
  };
  return service;
}

export type RolloutService = ReturnType<typeof createRolloutService>;
