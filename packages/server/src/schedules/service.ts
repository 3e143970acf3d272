import { AppError, type DeployRequest, isAppError, normalizeRelease } from '@promptline/core';
import { z } from 'zod';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database } from '../db/database.ts';
import type { DeploymentService } from '../deployments/service.ts';
import type { JobService } from '../jobs/service.ts';
import { createScheduleStore, type StoredSchedule } from './store.ts';

/** The recurring job that applies due scheduled releases. */
export const SCHEDULE_APPLY_JOB = { kind: 'schedules.apply', everySeconds: 5 };

/** A scheduled release as the API answers it. */
export function toScheduleView(s: StoredSchedule) {
  return {
    id: s.id,
    prompt: s.prompt,
    environment: s.environment,
    release: s.request,
    at: s.runAt,
    status: s.status,
    createdBy: s.createdBy,
    createdAt: s.createdAt,
    decidedAt: s.decidedAt,
    historyId: s.historyId,
    error: s.error,
  };
}

/**
 * Scheduled releases: a deploy that goes live at a given time, applied by a recurring job through
 * the deployments service (so every check of a deploy runs then: policy, eval gate, partials,
 * segments). One that fails them is refused and recorded, never retried silently.
 */
export function createScheduleService({
  database,
  clock,
  audit,
  deployments,
  jobs,
  everySeconds = SCHEDULE_APPLY_JOB.everySeconds,
}: {
  database: Database;
  clock: Clock;
  audit: AuditService;
  deployments: Pick<DeploymentService, 'locate' | 'deployInTransaction' | 'publish' | 'policyOf'>;
  jobs: Pick<JobService, 'register' | 'every'>;
  everySeconds?: number;
}) {
  const store = createScheduleStore();

  async function applyOne(s: StoredSchedule): Promise<void> {
    const actor = `${s.createdBy} (schedule #${s.id})`;
    const reason = `scheduled release #${s.id}${s.request.reason ? `: ${s.request.reason}` : ''}`;
    try {
      const outcome = await database.db.transaction().execute(async (trx) => {
        const at = isoNow(clock);
        const { deployment, changed } = await deployments.deployInTransaction(
          trx,
          s.projectId,
          s.prompt,
          s.environment,
          { ...s.request, reason },
          actor,
        );
        if (!(await store.decide(trx, s.id, { status: 'applied', at, historyId: deployment.historyId })))
          return undefined;
        return { changed };
      });
      if (outcome?.changed) deployments.publish(s.projectId, s.environment, s.prompt);
    } catch (error) {
      if (!isAppError(error)) throw error;
      await database.db.transaction().execute(async (trx) => {
        const at = isoNow(clock);
        const text = `${error.code}: ${error.message}`;
        if (!(await store.decide(trx, s.id, { status: 'refused', at, error: text }))) return;
        await audit.append(trx, {
          projectId: s.projectId,
          actor,
          action: 'deployment.schedule.refused',
          targetType: 'deployment',
          target: `${s.prompt}@${s.environment}`,
          data: { scheduleId: s.id, code: error.code, message: error.message },
        });
      });
    }
  }

  jobs.register({
    kind: SCHEDULE_APPLY_JOB.kind,
    payload: z.object({}),
    async run() {
      for (const s of await store.due(database.db, isoNow(clock), 50)) await applyOne(s);
    },
  });
  jobs.every(SCHEDULE_APPLY_JOB.kind, everySeconds);

  return {
    /**
     * Schedules `body` (a deploy request) to go live at `at`. Checked now as far as it can be
     * (prompt, environment, versions, weights); refused when the environment needs approvals.
     *
     * @throws AppError PROMPT_NOT_FOUND, ENVIRONMENT_NOT_FOUND, VERSION_NOT_FOUND, INVALID_WEIGHTS, APPROVAL_REQUIRED
     */
    async create(
      projectId: number,
      name: string,
      envName: string,
      body: DeployRequest,
      at: string,
      actor: string,
    ) {
      const release = normalizeRelease(body);
      const { effective } = await deployments.policyOf(projectId, envName);
      if (effective.requiredApprovals > 0) {
        throw new AppError(
          'APPROVAL_REQUIRED',
          `${envName} needs ${effective.requiredApprovals} approval(s): a scheduled release cannot wait for them.`,
          {
            hint: `Open a deployment request with POST /api/v1/prompts/{name}/deployments/${envName}/requests.`,
          },
        );
      }
      const created = await database.db.transaction().execute(async (trx) => {
        await deployments.locate(
          trx,
          projectId,
          name,
          envName,
          release.variants.map((v) => v.version),
        );
        const s = await store.insert(trx, {
          projectId,
          prompt: name,
          environment: envName,
          request: body,
          runAt: new Date(at).toISOString(),
          actor,
          at: isoNow(clock),
        });
        await audit.append(trx, {
          projectId,
          actor,
          action: 'deployment.schedule',
          targetType: 'deployment',
          target: `${name}@${envName}`,
          data: { scheduleId: s.id, at: s.runAt, release: body },
        });
        return s;
      });
      return toScheduleView(created);
    },

    async list(projectId: number, status?: string) {
      return (await store.list(database.db, projectId, status)).map(toScheduleView);
    },

    /** @throws AppError SCHEDULE_NOT_FOUND, SCHEDULE_NOT_PENDING */
    async cancel(projectId: number, id: number, actor: string) {
      return database.db.transaction().execute(async (trx) => {
        const s = await store.find(trx, projectId, id);
        if (!s)
          throw new AppError('SCHEDULE_NOT_FOUND', `No scheduled release #${id}.`, {
            hint: 'List them with GET /api/v1/scheduled-releases.',
          });
        if (!(await store.decide(trx, id, { status: 'cancelled', at: isoNow(clock) }))) {
          throw new AppError(
            'SCHEDULE_NOT_PENDING',
            `Scheduled release #${id} is ${s.status}; only a pending one can be cancelled.`,
          );
        }
        await audit.append(trx, {
          projectId,
          actor,
          action: 'deployment.schedule.cancel',
          targetType: 'deployment',
          target: `${s.prompt}@${s.environment}`,
          data: { scheduleId: id },
        });
        return toScheduleView({ ...s, status: 'cancelled', decidedAt: isoNow(clock) });
      });
    },
  };
}

export type ScheduleService = ReturnType<typeof createScheduleService>;
