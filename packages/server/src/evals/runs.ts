/**
 * Eval runs started on the server: creation (versions, dataset revision and thresholds frozen, the
 * run's job enqueued in the same transaction), listing, results, cancellation, and how a run ends.
 * Execution is the `eval.run` job (run-job.ts).
 */
import {
  AppError,
  type CreateEvalRunRequest,
  type EvalResultPage,
  type EvalRun,
  type EvalRunPage,
} from '@promptline/core';
import { validateAssertion } from '@promptline/core/node';
import { isoNow } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { cursorId, nextCursor } from '../paging.ts';
import { promptNotFound } from '../prompts/store.ts';
import { type EvalDeps, requireRun, servedVersions } from './deps.ts';
import { expectedAssertions } from './execute.ts';
import { FINAL_STATUSES, type RunSpec, type RunSummary, type StoredRun } from './store.ts';
import type { Thresholds } from './thresholds.ts';

/** The job kind that executes a run, and the key naming a run's job. */
export const EVAL_RUN_JOB = 'eval.run';
export const runJobKey = (id: number) => `${EVAL_RUN_JOB}:${id}`;

export function publicRun(run: StoredRun): EvalRun {
  return {
    id: run.id,
    prompt: run.prompt,
    source: run.source,
    status: run.status,
    versions: run.spec.versions,
    dataset: run.dataset === null ? null : { name: run.dataset, revision: run.datasetRevision ?? 0 },
    models: run.spec.models.map((m) => m.label),
    progress: {
      done: run.done,
      total: run.total,
      passed: run.passed,
      failed: run.failed,
      errors: run.errors,
      costUsd: run.costUsd,
    },
    summary: run.summary?.groups ?? null,
    thresholds: run.spec.thresholds,
    thresholdsMet: run.thresholdsMet,
    verdicts: run.summary?.verdicts ?? [],
    baseline: run.baselineRunId,
    error: run.error,
    createdBy: run.createdBy,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
  };
}

export interface RunEnd {
  status: 'completed' | 'failed' | 'cancelled';
  summary: RunSummary | null;
  met: boolean | null;
  baseline: number | null;
  error: string | null;
}

/** Ends an unfinished run with its audit entry, in `trx`; nothing when it had already ended. */
export async function finishRun(
  deps: EvalDeps,
  trx: Db,
  projectId: number,
  run: StoredRun,
  end: RunEnd,
): Promise<void> {
  const at = isoNow(deps.clock);
  const ended = await deps.store.finish(trx, run.id, {
    status: end.status,
    summary: end.summary,
    thresholdsMet: end.met,
    baselineRunId: end.baseline ?? run.baselineRunId,
    error: end.error,
    at,
  });
  if (!ended) return;
  await deps.audit.append(trx, {
    projectId,
    actor: 'system',
    action: `eval_run.${end.status === 'completed' ? 'complete' : end.status === 'cancelled' ? 'cancel' : 'fail'}`,
    targetType: 'eval_run',
    target: String(run.id),
    data: {
      after: {
        prompt: run.prompt,
        status: end.status,
        thresholdsMet: end.met,
        verdicts: end.summary?.verdicts ?? [],
        ...(end.error ? { error: end.error } : {}),
      },
    },
  });
  await deps.events.publish(trx, {
    type: 'eval.completed',
    projectId,
    data: {
      runId: run.id,
      prompt: run.prompt,
      status: end.status,
      thresholdsMet: end.met,
      verdicts: end.summary?.verdicts ?? [],
      ...(end.error ? { error: end.error } : {}),
    },
  });
}

export const CANCELLED: RunEnd = {
  status: 'cancelled',
  summary: null,
  met: null,
  baseline: null,
  error: null,
};

export function createRuns(deps: EvalDeps, thresholds: Thresholds) {
  const { database, clock, audit, prompts, datasets, store, promptStore, jobs } = deps;
  return {
    /**
     * Queues a run over a dataset revision. Versions, dataset revision, models and thresholds are
     * resolved and frozen now, so the run is reproducible whatever changes later.
     *
     * @throws AppError PROMPT_NOT_FOUND, VERSION_NOT_FOUND, DATASET_NOT_FOUND, EVAL_RUN_NOT_FOUND (baseline),
     *   PROVIDER_NOT_CONFIGURED, VALIDATION_FAILED.
     */
    async create(projectId: number, request: CreateEvalRunRequest, actor: string): Promise<EvalRun> {
      const prompt = await promptStore.findByName(database.db, projectId, request.prompt);
      if (!prompt) throw promptNotFound(request.prompt);
      let versions: number[];
      if (request.versions) versions = [...new Set(request.versions)];
      else if (request.env) {
        versions = await servedVersions(deps, projectId, prompt.id, request.env);
        if (versions.length === 0) {
          throw new AppError(
            'DEPLOYMENT_NOT_FOUND',
            `"${request.prompt}" is not served in ${request.env}. Pass "versions" instead, or deploy it first.`,
          );
        }
      } else if (prompt.latestVersion !== null) versions = [prompt.latestVersion];
      else
        throw new AppError(
          'VERSION_NOT_FOUND',
          `"${request.prompt}" has no versions yet. Save one before evaluating it.`,
        );
      for (const n of versions) await prompts.getVersion(projectId, request.prompt, n);

      const datasetRef = typeof request.dataset === 'string' ? { name: request.dataset } : request.dataset;
      const dataset = await datasets.find(database.db, projectId, datasetRef.name);
      const revision = datasetRef.revision ?? dataset.revision;
      if (revision > dataset.revision) {
        throw new AppError(
          'VALIDATION_FAILED',
          `Dataset "${dataset.name}" is at revision ${dataset.revision}; revision ${revision} does not exist.`,
          { errors: [{ path: 'dataset.revision', message: `at most ${dataset.revision}` }] },
        );
      }
      let items = 0;
      for await (const item of datasets.iterateItems(database.db, dataset.id, revision)) {
        items++;
        // Checked now so a malformed `expected` is a 422 here, not a failed run later.
        if (item.expected !== null && typeof item.expected !== 'string') expectedAssertions(item.expected);
      }
      if (items === 0) {
        throw new AppError(
          'VALIDATION_FAILED',
          `Dataset "${dataset.name}" has no items at revision ${revision}. Add items first.`,
          { errors: [{ path: 'dataset', message: 'has no items' }] },
        );
      }

      const labels = new Set<string>();
      const models: RunSpec['models'] = [];
      for (const m of request.models) {
        await deps.resolveProvider(projectId, m.provider, m.baseUrl ?? null);
        let label = m.label ?? `${m.provider}:${m.model}`;
        for (let i = 2; labels.has(label); i++) label = `${m.label ?? `${m.provider}:${m.model}`}#${i}`;
        labels.add(label);
        models.push({
          provider: m.provider,
          model: m.model,
          label,
          parameters: m.parameters ?? {},
          baseUrl: m.baseUrl ?? null,
        });
      }

      let baseline: number | null = null;
      if (typeof request.baseline === 'number')
        baseline = (await requireRun(deps, projectId, request.baseline)).id;
      else if (typeof request.baseline === 'string') {
        const env = request.baseline.slice('env:'.length);
        const served = await servedVersions(deps, projectId, prompt.id, env);
        const version = served[0];
        const found =
          version === undefined
            ? undefined
            : await store.latestCompletedRun(database.db, projectId, request.prompt, {
                version,
                dataset: dataset.name,
              });
        if (!found) {
          throw new AppError(
            'EVAL_RUN_NOT_FOUND',
            `No completed run of the version ${env} serves for "${request.prompt}" on dataset "${dataset.name}". Run that version first, or pass a run id as baseline.`,
          );
        }
        baseline = found.id;
      }

      const { assertions } = request;
      assertions.forEach((a, i) => {
        try {
          validateAssertion(a, `assertions.${i}`);
        } catch (error) {
          throw new AppError('VALIDATION_FAILED', (error as Error).message, {
            errors: [{ path: `assertions.${i}`, message: (error as Error).message }],
          });
        }
      });

      const run = await database.db.transaction().execute(async (trx) => {
        const applied = request.threshold ?? (await thresholds.ofPrompt(trx, projectId, request.prompt));
        const spec: RunSpec = {
          versions,
          models,
          assertions: assertions as Record<string, unknown>[],
          repeat: request.repeat,
          concurrency: request.concurrency,
          thresholds: applied,
          baseline,
        };
        const stored = await store.insertRun(trx, projectId, {
          prompt: request.prompt,
          source: 'server',
          status: 'queued',
          spec,
          dataset: dataset.name,
          datasetRevision: revision,
          total: items * versions.length * models.length * request.repeat,
          baselineRunId: baseline,
          actor,
          at: isoNow(clock),
        });
        // The job is committed with the run: a run never exists without the work that executes it.
        await jobs.enqueue(trx, {
          kind: EVAL_RUN_JOB,
          key: runJobKey(stored.id),
          projectId,
          payload: { projectId, runId: stored.id },
        });
        await audit.append(trx, {
          projectId,
          actor,
          action: 'eval_run.create',
          targetType: 'eval_run',
          target: String(stored.id),
          data: {
            after: {
              prompt: request.prompt,
              versions,
              dataset: dataset.name,
              revision,
              models: models.map((m) => m.label),
            },
          },
        });
        return stored;
      });
      jobs.wake();
      return publicRun(run);
    },

    async list(
      projectId: number,
      query: {
        prompt?: string | undefined;
        status?: string | undefined;
        limit: number;
        cursor?: string | undefined;
      },
    ): Promise<EvalRunPage> {
      const runs = await store.listRuns(database.db, projectId, {
        prompt: query.prompt,
        status: query.status,
        before: cursorId(query.cursor),
        limit: query.limit,
      });
      return { items: runs.map(publicRun), nextCursor: nextCursor(runs, query.limit) };
    },

    async get(projectId: number, id: number): Promise<EvalRun> {
      return publicRun(await requireRun(deps, projectId, id));
    },

    async results(
      projectId: number,
      id: number,
      query: {
        status?: 'passed' | 'failed' | undefined;
        version?: number | undefined;
        model?: string | undefined;
        limit: number;
        cursor?: string | undefined;
      },
    ): Promise<EvalResultPage> {
      await requireRun(deps, projectId, id);
      const items = await store.results(database.db, id, { ...query, after: cursorId(query.cursor) ?? 0 });
      return { items, nextCursor: nextCursor(items, query.limit) };
    },

    /** Results after id `after` (SSE). */
    async resultsAfter(id: number, after: number, limit: number) {
      return store.results(database.db, id, { after, limit });
    },

    /**
     * Cancels a run: a queued one at once; a running one at its next batch or lease renewal, on
     * whichever instance runs it (at once when it is this one).
     *
     * @throws AppError EVAL_RUN_NOT_FOUND; EVAL_RUN_FINISHED when the run has already finished.
     */
    async cancel(projectId: number, id: number, actor: string): Promise<EvalRun> {
      const run = await requireRun(deps, projectId, id);
      if (FINAL_STATUSES.includes(run.status)) {
        throw new AppError(
          'EVAL_RUN_FINISHED',
          `Eval run ${id} has already ${run.status === 'completed' ? 'completed' : `been ${run.status}`}: there is nothing to cancel.`,
        );
      }
      await jobs.cancelWith(runJobKey(id), async (trx, job) => {
        await store.requestCancel(trx, id);
        await audit.append(trx, {
          projectId,
          actor,
          action: 'eval_run.cancel_request',
          targetType: 'eval_run',
          target: String(id),
          data: { before: { status: run.status } },
        });
        // Not running anywhere (still queued, or a run without a job): it ends here and now.
        if (job !== 'requested') await finishRun(deps, trx, projectId, run, CANCELLED);
      });
      return publicRun(await requireRun(deps, projectId, id));
    },
  };
}
