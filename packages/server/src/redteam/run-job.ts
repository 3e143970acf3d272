/**
 * The `redteam.run` job: attacks a version with core's engine. Delivery is at least once, so an
 * attempt starts the run from scratch (earlier findings deleted); progress, and at the end the
 * findings with the verdict, are written through the job's fence in one transaction each.
 */
import {
  collectPartials,
  createProvider,
  type RedteamRun as EngineRun,
  providerSend,
  runRedteam,
} from '@promptline/core';
import { z } from 'zod';
import { isoNow } from '../clock.ts';
import type { JobHandler } from '../jobs/runner.ts';
import { REDTEAM_RUN_JOB, type RedteamDeps } from './deps.ts';
import { finishRun, redteamPromptOf, stoppedEnd } from './runs.ts';
import { FINAL_STATUSES } from './store.ts';
import { tally } from './views.ts';

const Payload = z.object({ projectId: z.number().int().positive(), runId: z.number().int().positive() });

/** Progress is written at most this often (and whenever the run ends). */
const PROGRESS_MS = 250;

export function createRedteamRunJob(deps: RedteamDeps): JobHandler<z.infer<typeof Payload>> {
  const { database, clock, prompts, store } = deps;
  return {
    kind: REDTEAM_RUN_JOB,
    payload: Payload,
    concurrency: deps.maxConcurrentRuns,
    maxAttempts: 3,

    async run({ projectId, runId }, ctx) {
      const run = await store.find(database.db, projectId, runId);
      if (!run || FINAL_STATUSES.includes(run.status)) return;
      if (run.cancelRequested || ctx.stopReason() === 'cancel' || !run.spec) {
        await ctx.fenced((trx) =>
          finishRun(deps, trx, run, stoppedEnd(run, 'cancelled', isoNow(clock), null)),
        );
        return;
      }
      const spec = run.spec;
      await ctx.fenced((trx) => store.start(trx, runId, isoNow(clock)));

      const controller = new AbortController();
      const onStop = () => controller.abort();
      ctx.signal.addEventListener('abort', onStop);
      if (ctx.signal.aborted) controller.abort();
      let costUsd = 0;
      let cancelled = false;
      let lastWrite = 0;
      let graded = 0;
      let writeError: unknown;
      let writing: Promise<void> = Promise.resolve();
      let outcome: EngineRun | null = null;
      try {
        const version = await prompts.getVersion(projectId, run.prompt, run.version);
        const content =
          version.type === 'text'
            ? { type: 'text' as const, template: version.template }
            : { type: 'chat' as const, messages: version.messages };
        const partials = await collectPartials(content, async (name) => {
          const latest = await prompts.latestVersion(projectId, name);
          return latest?.type === 'text' ? latest.template : undefined;
        });
        // Provider errors come back with the project's stored secrets redacted (core's per-call context).
        const target = createProvider(await deps.resolveProvider(projectId, spec.provider));
        const send = providerSend(target, {
          model: spec.model,
          ...(version.config.parameters ? { parameters: version.config.parameters } : {}),
          onResult: (r) => {
            costUsd += r.cost?.totalUsd ?? 0;
          },
        });
        const judgeSpec = spec.judge;
        const judgeClient = judgeSpec
          ? createProvider(await deps.resolveProvider(projectId, judgeSpec.provider))
          : null;
        outcome = await runRedteam({
          prompt: redteamPromptOf(run.prompt, version, partials, spec.injectVar),
          send,
          probes: { plugins: spec.plugins ?? undefined, strategies: spec.strategies ?? undefined },
          concurrency: spec.concurrency,
          signal: controller.signal,
          ...(judgeSpec && judgeClient
            ? {
                judge: async (messages, signal) => {
                  const r = await judgeClient.complete({
                    model: judgeSpec.model,
                    messages,
                    parameters: { temperature: 0 },
                    ...(signal ? { signal } : {}),
                  });
                  costUsd += r.cost?.totalUsd ?? 0;
                  return r.text;
                },
              }
            : {}),
          onProgress: (p) => {
            graded = p.done;
            const now = Date.now();
            if (now - lastWrite < PROGRESS_MS) return;
            lastWrite = now;
            // Writes go one after another; a cancel seen by one stops the probes in flight.
            writing = writing
              .then(async () => {
                const cancel = await ctx.fenced((trx) => store.progress(trx, runId, { ...p, costUsd }));
                if (cancel) {
                  cancelled = true;
                  controller.abort();
                }
              })
              .catch((error: unknown) => {
                // A failed write (lease lost, database gone) stops the run; it is rethrown below.
                writeError ??= error;
                controller.abort();
              });
          },
        });
        await writing;
        if (writeError !== undefined) throw writeError;
      } catch (error) {
        if (!cancelled && !ctx.stopReason()) throw error;
      } finally {
        ctx.signal.removeEventListener('abort', onStop);
      }
      const reason = ctx.stopReason();
      // Shutdown: the next attempt starts over. Lease lost: another instance owns the outcome.
      if (reason === 'shutdown' || reason === 'lease-lost') return;
      const stopped = cancelled || reason === 'cancel' || !outcome || outcome.cancelled;
      if (!outcome) {
        await ctx.fenced((trx) =>
          finishRun(deps, trx, run, stoppedEnd(run, 'cancelled', isoNow(clock), null)),
        );
        return;
      }
      const ended = outcome;
      const counted = tally({ ...ended, cancelled: stopped }, run.failOn);
      await ctx.fenced(async (trx) => {
        const done = await finishRun(deps, trx, run, {
          status: stopped ? 'cancelled' : 'completed',
          done: stopped ? graded : ended.probes,
          findings: ended.findings.length,
          errors: ended.errors.length,
          failing: counted.failing,
          bySeverity: counted.bySeverity,
          passed: stopped ? null : counted.passed,
          summary: counted.summary,
          costUsd,
          error: null,
          at: isoNow(clock),
        });
        // The findings land with the verdict: a reader never sees one without the other.
        if (done) await store.insertFindings(trx, runId, ended.findings);
      });
    },

    /** The job failed for good (its attempts used up, or an error no retry can fix): so does the run. */
    async onFailed({ projectId, runId }, error, trx) {
      const run = await store.find(trx, projectId, runId);
      if (!run) return;
      await finishRun(deps, trx, run, stoppedEnd(run, 'failed', isoNow(clock), error));
    },
  };
}
