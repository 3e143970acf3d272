/**
 * Experiments: an A/B(/n) split of versions deployed in an environment (through the deployments
 * service, so its policy applies) and measured per unit from the spans (the traces service), with
 * the statistics of core. Stopping can ship the winner in the same action, through the same gates.
 */
import {
  AppError,
  type CreateExperimentRequest,
  type Experiment,
  type ExperimentQuery,
  type ExperimentResultsResponse,
  experimentResults,
  experimentWinner,
  type StopExperimentRequest,
  singleVersion,
} from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import type { Principal } from '../auth/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database } from '../db/database.ts';
import type { DeploymentService } from '../deployments/service.ts';
import type { TraceService } from '../traces/service.ts';
import { createExperimentStore, type StoredExperiment } from './store.ts';

function publicExperiment(e: StoredExperiment): Experiment {
  const { projectId: _p, promptId: _pr, environmentId: _e, historyId: _h, shippedHistoryId: _s, ...rest } = e;
  return rest;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function createExperimentService({
  database,
  clock,
  audit,
  deployments,
  traces,
}: {
  database: Database;
  clock: Clock;
  audit: AuditService;
  deployments: DeploymentService;
  traces: Pick<TraceService, 'unitMoments'>;
}) {
  const store = createExperimentStore(database.dialect);

  function notFound(id: number): AppError {
    return new AppError(
      'EXPERIMENT_NOT_FOUND',
      `No experiment ${id}. List them with GET /api/v1/experiments.`,
    );
  }

  async function find(projectId: number, id: number): Promise<StoredExperiment> {
    const e = await store.find(database.db, id);
    if (!e || e.projectId !== projectId) throw notFound(id);
    return e;
  }

  async function measure(e: StoredExperiment, metric: string) {
    const toMs = e.stoppedAt === null ? clock.now().getTime() + 1 : Date.parse(e.stoppedAt);
    const moments = await traces.unitMoments({
      projectId: e.projectId,
      prompt: e.prompt,
      environment: e.environment,
      versions: e.variants.map((v) => v.version),
      fromMs: Date.parse(e.startedAt),
      toMs,
      metric,
    });
    const data = e.variants.map((v) => {
      const m = moments.find((x) => x.version === v.version);
      return {
        version: v.version,
        weight: v.weight,
        units: m?.units ?? 0,
        n: m?.n ?? 0,
        sum: m?.sum ?? 0,
        sumSq: m?.sumSq ?? 0,
      };
    });
    return {
      results: experimentResults(data, e.control, metric, { alpha: 0.05, tuneAt: e.expectedUnitsPerArm }),
      toMs,
    };
  }

  async function results(e: StoredExperiment): Promise<ExperimentResultsResponse> {
    const primary = await measure(e, e.metric);
    const secondary = [];
    for (const metric of e.secondary) {
      secondary.push({ metric, variants: (await measure(e, metric)).results.variants });
    }
    return {
      id: e.id,
      status: e.status,
      metric: e.metric,
      control: e.control,
      from: e.startedAt,
      to: new Date(primary.toMs).toISOString(),
      variants: primary.results.variants,
      srm: primary.results.srm,
      secondary,
      winner: experimentWinner(primary.results, e.metric),
    };
  }

  return {
    /**
     * Deploys the split and starts measuring.
     *
     * @throws AppError INVALID_EXPERIMENT, EXPERIMENT_RUNNING, INVALID_WEIGHTS, VERSION_NOT_FOUND, and
     *   the environment policy's refusals (APPROVAL_REQUIRED, EVAL_GATE_FAILED…)
     */
    async create(
      projectId: number,
      name: string,
      body: CreateExperimentRequest,
      actor: Principal,
    ): Promise<Experiment> {
      const versions = body.variants.map((v) => v.version);
      const created = await database.db.transaction().execute(async (trx) => {
        const { prompt, env, current } = await deployments.locate(trx, projectId, name, body.env, versions);
        const running = await store.findRunning(trx, prompt.id, env.id);
        if (running) {
          throw new AppError(
            'EXPERIMENT_RUNNING',
            `Experiment ${running.id} of "${name}" is running in ${env.name}; stop it first (POST /api/v1/experiments/${running.id}/stop).`,
            { details: { id: running.id } },
          );
        }
        const live = current ? singleVersion(current.variants) : null;
        const control = body.control ?? (live !== null && versions.includes(live) ? live : versions[0]);
        if (control === undefined || !versions.includes(control)) {
          throw new AppError(
            'INVALID_EXPERIMENT',
            `Invalid experiment: control ${control} is not one of the variants.`,
            {
              errors: [{ path: 'control', message: `must be one of ${versions.join(', ')}` }],
            },
          );
        }
        const now = isoNow(clock);
        const e = await store.insert(trx, {
          projectId,
          promptId: prompt.id,
          environmentId: env.id,
          prompt: name,
          environment: env.name,
          variants: body.variants,
          control,
          metric: body.metric,
          secondary: body.secondary,
          expectedUnitsPerArm: body.expectedUnitsPerArm,
          status: 'running',
          shipped: null,
          historyId: 0,
          shippedHistoryId: null,
          createdBy: actor.name,
          reason: body.reason ?? null,
          startedAt: now,
          stoppedAt: null,
        });
        const split = body.variants.map((v) => `v${v.version} ${v.weight / 100}%`).join(', ');
        const { deployment } = await deployments.deployInTransaction(
          trx,
          projectId,
          name,
          env.name,
          {
            variants: body.variants,
            reason: `experiment ${e.id} started by ${actor.name}: ${split} on ${body.metric}${body.reason ? ` (${body.reason})` : ''}`,
          },
          actor,
        );
        await store.setHistory(trx, e.id, deployment.historyId);
        await audit.append(trx, {
          projectId,
          actor: actor.name,
          action: 'experiment.start',
          targetType: 'experiment',
          target: `${name}@${env.name}#${e.id}`,
          data: {
            experiment: e.id,
            variants: body.variants,
            metric: body.metric,
            historyId: deployment.historyId,
          },
        });
        return e;
      });
      deployments.publish(projectId, created.environment, name);
      return publicExperiment(created);
    },

    async get(projectId: number, id: number): Promise<Experiment> {
      return publicExperiment(await find(projectId, id));
    },

    async list(projectId: number, query: ExperimentQuery): Promise<Experiment[]> {
      return (await store.list(database.db, projectId, query)).map(publicExperiment);
    },

    /** Results per variant for the primary metric (and the secondary ones), read from the spans now. */
    async results(projectId: number, id: number): Promise<ExperimentResultsResponse> {
      return results(await find(projectId, id));
    },

    /**
     * Stops measuring; with `ship` deploys that version alone (or the current winner) through the
     * environment's gates, in the same transaction.
     *
     * @throws AppError EXPERIMENT_STOPPED, INVALID_EXPERIMENT, and the policy's refusals of the ship
     */
    async stop(
      projectId: number,
      id: number,
      body: StopExperimentRequest,
      actor: Principal,
    ): Promise<Experiment> {
      const e = await find(projectId, id);
      let ship: number | null = null;
      let evidence = '';
      if (body.ship !== undefined) {
        const r = await results(e);
        ship = body.ship === 'winner' ? r.winner : body.ship;
        const shipped = r.variants.find((v) => v.version === ship);
        if (!shipped) {
          throw new AppError('INVALID_EXPERIMENT', `Version ${ship} is not a variant of experiment ${id}.`, {
            errors: [
              {
                path: 'ship',
                message: `must be one of ${e.variants.map((v) => v.version).join(', ')} or "winner"`,
              },
            ],
          });
        }
        evidence =
          shipped.lift && shipped.chanceToBeatControl !== null
            ? `${e.metric} ${shipped.mean?.toPrecision(4)} vs ${r.variants.find((v) => v.version === e.control)?.mean?.toPrecision(4)}, lift ${shipped.lift.absolute.toPrecision(3)} [${shipped.lift.ci.map((x) => x.toPrecision(3)).join(', ')}], chance to beat control ${pct(shipped.chanceToBeatControl)}, units ${r.variants.map((v) => v.units).join('/')}`
            : `control kept (units ${r.variants.map((v) => v.units).join('/')})`;
      }
      await database.db.transaction().execute(async (trx) => {
        await deployments.locate(trx, projectId, e.prompt, e.environment);
        const locked = await store.find(trx, id, true);
        if (locked?.status !== 'running') {
          throw new AppError('EXPERIMENT_STOPPED', `Experiment ${id} is already stopped.`);
        }
        let shippedHistoryId: number | null = null;
        if (ship !== null) {
          const { deployment } = await deployments.deployInTransaction(
            trx,
            projectId,
            e.prompt,
            e.environment,
            {
              version: ship,
              reason: `experiment ${id} stopped by ${actor.name}: shipped v${ship}${evidence ? ` (${evidence})` : ''}${body.reason ? `; ${body.reason}` : ''}`,
            },
            actor,
          );
          shippedHistoryId = deployment.historyId;
        }
        await store.stop(trx, id, { stoppedAt: isoNow(clock), shipped: ship, shippedHistoryId });
        await audit.append(trx, {
          projectId,
          actor: actor.name,
          action: 'experiment.stop',
          targetType: 'experiment',
          target: `${e.prompt}@${e.environment}#${id}`,
          data: { experiment: id, shipped: ship, historyId: shippedHistoryId, evidence },
        });
      });
      if (ship !== null) deployments.publish(projectId, e.environment, e.prompt);
      return publicExperiment(await find(projectId, id));
    },
  };
}

export type ExperimentService = ReturnType<typeof createExperimentService>;
