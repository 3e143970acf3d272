/**
 * The eval gate of environment policies (`requireEvalPass`): a version may be deployed when its
 * latest completed run (on the prompt's gate dataset, when one is set) met the prompt's stored
 * thresholds. Built once in app.ts and handed to the deploy service, which runs it inside its
 * transaction — evals itself depends on deployments, so the gate is a separate, store-only piece.
 */
import { AppError, canonicalJson } from '@promptline/core';
import type { Db } from '../db/database.ts';
import type { PromptStore } from '../prompts/store.ts';
import { createEvalStore } from './store.ts';

/** The run that let a version through (lineage shows it). */
export interface GatePass {
  version: number;
  runId: number;
  dataset: string | null;
}

export function createEvalGate({ promptStore }: { promptStore: PromptStore }) {
  const store = createEvalStore();
  return {
    /**
     * Checks every version of a release; answers the runs that passed them.
     *
     * @throws AppError EVAL_GATE_FAILED naming the version, the run and why.
     */
    async check(db: Db, projectId: number, prompt: string, versions: number[]): Promise<GatePass[]> {
      const row = await promptStore.findByName(db, projectId, prompt);
      const stored = row ? ((await store.thresholds(db, row.id))?.thresholds ?? {}) : {};
      const dataset = stored.gateDataset ?? null;
      const passes: GatePass[] = [];
      for (const version of [...new Set(versions)]) {
        const run = await store.latestCompletedRun(db, projectId, prompt, {
          version,
          ...(dataset ? { dataset } : {}),
        });
        const fail = (why: string, runId: number | null) =>
          new AppError(
            'EVAL_GATE_FAILED',
            `Version ${version} of "${prompt}" cannot be deployed here: ${why}.`,
            {
              details: { prompt, version, runId, dataset },
              hint: `Run an eval of version ${version}${dataset ? ` on dataset "${dataset}"` : ''} with POST /api/v1/eval-runs that meets the prompt's thresholds (GET /api/v1/prompts/{name}/thresholds).`,
            },
          );
        if (!run) {
          throw fail(`it has no completed eval run${dataset ? ` on dataset "${dataset}"` : ''}`, null);
        }
        // A run judged against other thresholds (a request's override, or thresholds changed since)
        // says nothing about the stored ones.
        if (canonicalJson(run.spec.thresholds ?? {}) !== canonicalJson(stored)) {
          throw fail(
            `its latest run (${run.id}) was judged against other thresholds than the prompt's current ones; run it again`,
            run.id,
          );
        }
        const verdict = run.summary?.verdicts.find((v) => v.version === version);
        if (!verdict?.thresholdsMet) {
          const reasons = verdict?.reasons.join('; ') ?? 'no verdict for this version';
          throw fail(`its latest run (${run.id}) missed the thresholds (${reasons})`, run.id);
        }
        passes.push({ version, runId: run.id, dataset });
      }
      return passes;
    },

    /** The gating run of a version without refusing (lineage): its latest completed run, passed or not. */
    async latestRun(
      db: Db,
      projectId: number,
      prompt: string,
      version: number,
    ): Promise<{ runId: number; thresholdsMet: boolean; dataset: string | null } | null> {
      const row = await promptStore.findByName(db, projectId, prompt);
      const dataset = row ? ((await store.thresholds(db, row.id))?.thresholds.gateDataset ?? null) : null;
      const run = await store.latestCompletedRun(db, projectId, prompt, {
        version,
        ...(dataset ? { dataset } : {}),
      });
      if (!run) return null;
      const verdict = run.summary?.verdicts.find((v) => v.version === version);
      return { runId: run.id, thresholdsMet: verdict?.thresholdsMet ?? false, dataset: run.dataset };
    },
  };
}

export type EvalGate = ReturnType<typeof createEvalGate>;
