/**
 * The `eval.run` job: executes a queued run. Delivery is at least once, so an attempt starts the
 * run from scratch (earlier results deleted) and writes every batch and the final status through
 * the job's fence: a run's results and summary exist exactly once however often it was started.
 */
import type { Version } from '@promptline/core';
import type { RunOutcome } from '@promptline/core/node';
import { z } from 'zod';
import { isoNow } from '../clock.ts';
import type { JobHandler } from '../jobs/runner.ts';
import type { Comparison } from './comparison.ts';
import type { EvalDeps } from './deps.ts';
import { executeRun } from './execute.ts';
import { CANCELLED, EVAL_RUN_JOB, finishRun } from './runs.ts';
import { FINAL_STATUSES } from './store.ts';
import { summarise } from './thresholds.ts';

const Payload = z.object({ projectId: z.number().int().positive(), runId: z.number().int().positive() });

export function createRunJob(deps: EvalDeps, comparison: Comparison): JobHandler<z.infer<typeof Payload>> {
  const { database, clock, prompts, datasets, store } = deps;
  return {
    kind: EVAL_RUN_JOB,
    payload: Payload,
    concurrency: deps.maxConcurrentRuns,
    maxAttempts: 3,

    async run({ projectId, runId }, ctx) {
      const run = await store.findRun(database.db, projectId, runId);
      if (!run || FINAL_STATUSES.includes(run.status)) return;
      if (run.cancelRequested || ctx.stopReason() === 'cancel') {
        await ctx.fenced((trx) => finishRun(deps, trx, projectId, run, CANCELLED));
        return;
      }
      await ctx.fenced((trx) => store.restart(trx, runId, isoNow(clock)));

      // The runner's signal (cancel seen at a lease renewal, shutdown, lease lost) and the run's
      // own cancel flag (seen with every batch) both stop the provider calls in flight.
      const controller = new AbortController();
      let cancelled = false;
      const onStop = () => controller.abort();
      ctx.signal.addEventListener('abort', onStop);
      if (ctx.signal.aborted) controller.abort();
      const counters = { done: 0, passed: 0, failed: 0, errors: 0, costUsd: 0 };
      let outcome: RunOutcome | null = null;
      try {
        const prompt = run.prompt ?? '';
        const versions: Version[] = [];
        for (const n of run.spec.versions) versions.push(await prompts.getVersion(projectId, prompt, n));
        const dataset = await datasets.find(database.db, projectId, run.dataset ?? '');
        outcome = await executeRun({
          prompt,
          spec: run.spec,
          versions,
          loadPartial: async (name) => {
            const latest = await prompts.latestVersion(projectId, name);
            return latest?.type === 'text' ? latest.template : undefined;
          },
          items: datasets.iterateItems(database.db, dataset.id, run.datasetRevision ?? dataset.revision),
          resolveProvider: (provider, baseUrl) => deps.resolveProvider(projectId, provider, baseUrl),
          signal: controller.signal,
          onBatch: async (rows) => {
            for (const row of rows) {
              row.run_id = runId;
              counters.done++;
              if (row.pass) counters.passed++;
              else counters.failed++;
              if (row.error !== null) counters.errors++;
              counters.costUsd += row.cost_usd ?? 0;
            }
            // Results and the counters they move land together: a reader never sees one without the other.
            const cancel = await ctx.fenced(async (trx) => {
              await store.insertResults(trx, rows);
              return store.progress(trx, runId, counters, isoNow(clock));
            });
            if (cancel) {
              cancelled = true;
              controller.abort();
            }
          },
        });
      } catch (error) {
        // Stopped on purpose: what the stop means is decided below (or by the runner).
        if (!cancelled && !ctx.stopReason()) throw error;
      } finally {
        ctx.signal.removeEventListener('abort', onStop);
      }
      const reason = ctx.stopReason();
      // Shutdown: the runner hands the job back and the next attempt starts over. Lease lost:
      // another instance has it now and owns the outcome.
      if (reason === 'shutdown' || reason === 'lease-lost') return;
      if (cancelled || reason === 'cancel' || !outcome || outcome.cancelled) {
        await ctx.fenced((trx) => finishRun(deps, trx, projectId, run, CANCELLED));
        return;
      }
      const baselineId = await comparison.baselineFor(projectId, run);
      const compared = baselineId === null ? null : await comparison.compare(projectId, runId, baselineId);
      const regressionsOf = (version: number | null, model: string) =>
        compared
          ? (compared.groups.find((g) => g.version === version && g.model === model)?.regressions ?? 0)
          : null;
      const summary = summarise(outcome.summary.groups, run.spec.thresholds, regressionsOf);
      await ctx.fenced((trx) =>
        finishRun(deps, trx, projectId, run, {
          status: 'completed',
          summary: { groups: summary.groups, verdicts: summary.verdicts },
          met: summary.met,
          baseline: baselineId,
          error: null,
        }),
      );
    },

    /** The job failed for good (its attempts used up, or an error no retry can fix): so does the run. */
    async onFailed({ projectId, runId }, error, trx) {
      const run = await store.findRun(trx, projectId, runId);
      if (!run) return;
      await finishRun(deps, trx, projectId, run, {
        status: 'failed',
        summary: null,
        met: null,
        baseline: null,
        error,
      });
    },
  };
}
