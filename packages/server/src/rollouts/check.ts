/**
 * The rollout check: a recurring job (every 5 s by default, within DESIGN.md's 10 s) that visits
 * every running rollout, compares candidate with control since the rollout started (the metrics
 * service's comparison: same window, same environment), and applies `decideRollout` from core —
 * the code the simulation bench measures. Also the manual `advance`.
 */
import {
  AppError,
  decideRollout,
  evaluateGuardrail,
  type GuardrailState,
  type GuardrailVerdict,
  isAppError,
  type Rollout,
  type RolloutDecision,
} from '@promptline/core';
import { z } from 'zod';
import type { AlertService } from '../alerts/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Db } from '../db/database.ts';
import type { DeploymentService } from '../deployments/service.ts';
import type { JobService } from '../jobs/service.ts';
import type { MetricsService } from '../metrics/service.ts';
import { type RolloutService, rolloutActor, stepRelease, type Transact } from './service.ts';
import type { StoredRollout } from './store.ts';

export const ROLLOUT_CHECK_JOB = { kind: 'rollouts.check', everySeconds: 5 };

export interface RolloutCheckLogger {
  error(obj: object, msg: string): void;
}

export function createRolloutChecks({
  rollouts,
  deployments,
  metrics,
  clock,
  jobs,
  alerts,
  checkEverySeconds,
  logger,
}: {
  rollouts: RolloutService;
  deployments: DeploymentService;
  metrics: MetricsService;
  clock: Clock;
  jobs?: Pick<JobService, 'register' | 'every'> | undefined;
  /** Alert rules firing on the candidate (its prompt and version, in the environment or all) count as a regression. */
  alerts?: Pick<AlertService, 'list'> | undefined;
  checkEverySeconds?: number | undefined;
  logger?: RolloutCheckLogger | undefined;
}) {
  const { store, record } = rollouts;

  async function verdictsOf(r: StoredRollout) {
    const comparison = await metrics.compare(r.projectId, r.prompt, r.environment, r.control, r.candidate, {
      from: r.startedAt,
    });
    const raw: GuardrailVerdict[] = r.guardrails.map((g) => evaluateGuardrail(g, comparison.a, comparison.b));
    const firing = (await alerts?.list(r.projectId))?.filter(
      (rule) =>
        rule.enabled &&
        rule.state === 'firing' &&
        rule.prompt === r.prompt &&
        rule.version === r.candidate &&
        (rule.environment === null || rule.environment === r.environment),
    );
    for (const rule of firing ?? []) {
      raw.push({
        metric: `alert:${rule.name}`,
        verdict: 'regression',
        control: null,
        candidate: rule.lastValue,
        n: { control: comparison.a.count, candidate: comparison.b.count },
        interval: null,
        threshold: null,
        evidence: `alert "${rule.name}" (rule ${rule.id}, ${rule.metric}) firing on v${r.candidate} since ${rule.stateSince}, last value ${rule.lastValue ?? 'n/a'}`,
      });
    }
    const states: GuardrailState[] = raw.map((v, i) => ({
      ...v,
      maxRegression: r.guardrails[i]?.maxRegression ?? 0,
    }));
    return { raw, states, a: comparison.a, b: comparison.b };
  }

  /**
   * Applies a decision to a rollout inside `trx` (its row and its prompt locked by the caller).
   * Answers whether the release changed (publish after the commit).
   */
  async function apply(
    trx: Db,
    r: StoredRollout,
    decision: RolloutDecision,
    actor: string,
  ): Promise<boolean> {
    const now = isoNow(clock);
    const deployAs = { name: rolloutActor(r), ...(r.createdByRole ? { role: r.createdByRole } : {}) };
    if (decision.action === 'hold') return false;
    if (decision.action === 'regression') {
      if (r.onRegression === 'pause') {
        const message = `paused on regression: ${decision.reason}`;
        await store.update(trx, r.id, { status: 'paused', reason: message, updatedAt: now });
        await record(trx, r, { kind: 'regression', actor, message, historyId: null });
        return false;
      }
      const reason = `rollout ${r.id} rolled back to v${r.control}: ${decision.reason}`;
      const restored = await deployments.rollbackInTransaction(
        trx,
        r.projectId,
        r.prompt,
        r.environment,
        { to: r.controlHistoryId, reason },
        rolloutActor(r),
      );
      await store.update(trx, r.id, {
        status: 'rolled_back',
        reason,
        lastHistoryId: restored.historyId,
        updatedAt: now,
      });
      await record(trx, r, { kind: 'rollback', actor, message: reason, historyId: restored.historyId });
      return true;
    }
    const complete = decision.action === 'complete';
    const toStep = complete ? r.steps.length - 1 : decision.toStep;
    const weight = complete ? 10_000 : (r.steps[toStep]?.weight ?? 10_000);
    const reason = `rollout ${r.id}: ${complete ? `completed, v${r.candidate} at 100%` : ''}${
      complete ? ` (${decision.reason})` : decision.reason
    }`;
    const { deployment } = await rollouts.deployStep(trx, r, { ...stepRelease(r, weight), reason }, deployAs);
    await store.update(trx, r.id, {
      status: complete ? 'completed' : 'running',
      step: toStep,
      stepStartedAt: now,
      lastHistoryId: deployment.historyId,
      updatedAt: now,
      ...(complete ? { reason } : {}),
    });
    await record(
      trx,
      { ...r, step: toStep },
      {
        kind: complete ? 'complete' : 'advance',
        actor,
        message: reason,
        historyId: deployment.historyId,
      },
    );
    return true;
  }

  /**
   * Runs `act` on the rollout with its locks; a live release the rollout did not make aborts it
   * instead. A deploy the environment refuses (policy changed, eval gate) pauses it with the reason.
   */
  async function change(
    transact: Transact,
    id: number,
    expectStep: number | null,
    act: (trx: Db, r: StoredRollout) => Promise<boolean>,
  ): Promise<void> {
    let changed = false;
    let where: StoredRollout | undefined;
    try {
      await transact(async (trx) => {
        const found = await store.find(trx, id);
        if (!found) return;
        await deployments.locate(trx, found.projectId, found.prompt, found.environment);
        const r = await store.find(trx, id, true);
        if (r?.status !== 'running' || (expectStep !== null && r.step !== expectStep)) return;
        where = r;
        const { current } = await deployments.locate(trx, r.projectId, r.prompt, r.environment);
        if (current?.historyId !== r.lastHistoryId) {
          await rollouts.abortIn(
            trx,
            r,
            'promptline',
            `the live release changed outside the rollout (history entry ${current?.historyId ?? 'none'} by ${
              current?.updatedBy ?? 'unknown'
            })`,
            false,
          );
          return;
        }
        changed = await act(trx, r);
      });
    } catch (error) {
      if (!isAppError(error) || !where) throw error;
      const r = where;
      await transact(async (trx) => {
        const message = `paused: the environment refused the next step (${error.code}: ${error.message})`;
        await store.update(trx, r.id, { status: 'paused', reason: message, updatedAt: isoNow(clock) });
        await record(trx, r, { kind: 'pause', actor: 'promptline', message, historyId: null });
      });
    }
    if (changed && where) deployments.publish(where.projectId, where.environment, where.prompt);
  }

  /** One check of one running rollout: verdicts, then the decision, applied if it still stands. */
  async function checkOne(id: number, transact: Transact = rollouts.transact): Promise<void> {
    const r = await store.find(rollouts.db(), id);
    if (r?.status !== 'running') return;
    const { raw, states, a, b } = await verdictsOf(r);
    const decision = decideRollout(
      { steps: r.steps, minSamples: r.minSamples },
      { step: r.step, stepStartedMs: Date.parse(r.stepStartedAt) },
      clock.now().getTime(),
      raw,
      { control: a.count, candidate: b.count },
    );
    await change(transact, id, r.step, async (trx, locked) => {
      const at = isoNow(clock);
      await store.update(trx, locked.id, { verdicts: states, lastCheckAt: at, updatedAt: at });
      await rollouts.history.record(trx, locked, states, at);
      return apply(trx, locked, decision, 'promptline');
    });
  }

  /** Every running rollout, one after another; one that fails does not stop the others. */
  async function checkAll(transact: Transact = rollouts.transact): Promise<void> {
    const failures: string[] = [];
    for (const id of await store.runningIds(rollouts.db())) {
      try {
        await checkOne(id, transact);
      } catch (error) {
        logger?.error({ err: error, rollout: id }, 'rollout check failed');
        failures.push(`rollout ${id}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    // The job ends failed (and says why in the jobs list) when any check failed.
    if (failures.length > 0) throw new Error(failures.join('; '));
  }

  if (jobs) {
    jobs.register({
      kind: ROLLOUT_CHECK_JOB.kind,
      payload: z.object({}),
      maxAttempts: 1,
      run: (_payload, ctx) => checkAll((write) => ctx.fenced(write)),
    });
    jobs.every(ROLLOUT_CHECK_JOB.kind, checkEverySeconds ?? ROLLOUT_CHECK_JOB.everySeconds);
  }

  return {
    checkOne,
    checkAll,

    /**
     * Moves a running rollout to its next step now, whatever the step's duration and samples (a
     * regression found by the guardrails still wins). @throws AppError ROLLOUT_NOT_FOUND, ROLLOUT_NOT_ACTIVE
     */
    async advance(projectId: number, id: number, actor: string): Promise<Rollout> {
      const before = await rollouts.get(projectId, id);
      if (before.status !== 'running') {
        throw new AppError(
          'ROLLOUT_NOT_ACTIVE',
          `Rollout ${id} is ${before.status}; advance needs it running.`,
          {
            details: { id, status: before.status },
          },
        );
      }
      await change(rollouts.transact, id, before.step, async (trx, r) => {
        const next = r.step + 1;
        const nextStep = r.steps[next];
        const decision: RolloutDecision =
          !nextStep || nextStep.weight >= 10_000
            ? { action: 'complete', reason: `advanced by ${actor}` }
            : {
                action: 'advance',
                toStep: next,
                reason: `step ${next + 1} (${nextStep.weight / 100}%), advanced by ${actor}`,
              };
        return apply(trx, r, decision, actor);
      });
      return rollouts.get(projectId, id);
    },
  };
}
