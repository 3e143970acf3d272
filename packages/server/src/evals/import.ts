/**
 * Upload of a finished local run (`promptline eval -o results.json|.jsonl`): stored as a completed
 * run with source `cli` in one transaction, its summary and verdict computed here.
 */
import { AppError, type EvalResult, type EvalRun, redactSecrets } from '@promptline/core';
import { createSummaryAccumulator, type ResultDatasetItem } from '@promptline/core/node';
import { isoNow } from '../clock.ts';
import { promptNotFound } from '../prompts/store.ts';
import { type EvalDeps, runNotFound } from './deps.ts';
import { resultRow } from './execute.ts';
import type { NewResult, StoredRun } from './store.ts';
import { summarise, type Thresholds, versionOf } from './thresholds.ts';

/** The stored row of one uploaded result; `version` is its version of the run's prompt, if linked. */
function importedRow(runId: number, r: EvalResult, version: number | null): NewResult {
  const prefix = `${r.promptId}|${r.providerId}|`;
  const caseKey = (r.key.startsWith(prefix) ? r.key.slice(prefix.length) : r.key).replace(/\|\d+$/, '');
  // The case key leaves the version out so that comparisons can pair a case across versions, and
  // names a dataset item by its id so that an edited item stays the same case.
  const what = r.registry ? r.registry.name : r.promptId;
  const which = r.item ? `${r.item.dataset}#${r.item.itemId}` : caseKey;
  return resultRow(r, {
    runId,
    itemId: r.item?.itemId ?? null,
    version,
    caseKey: `${what}|${which}|${r.providerId}|${r.repeatIndex}`,
    vars: r.vars,
  });
}

/**
 * The result with the project's provider secrets taken out of the text a provider may have
 * written into it (the call's error and the grading reasons, where a judge's error lands): a local
 * run may have used the same keys the server stores, and viewers read stored results.
 */
function withoutSecrets(r: EvalResult, secrets: readonly string[]): EvalResult {
  if (secrets.length === 0) return r;
  return {
    ...r,
    error: r.error === null ? null : redactSecrets(r.error, secrets),
    reason: redactSecrets(r.reason, secrets),
    assertions: r.assertions.map((a) => ({ ...a, reason: redactSecrets(a.reason, secrets) })),
  };
}

export function createImport(deps: EvalDeps, thresholds: Thresholds, publicRun: (run: StoredRun) => EvalRun) {
  const { database, clock, audit, store, promptStore } = deps;
  return {
    /**
     * Stores checked results (see upload-format.ts) as a completed run. Results that name a
     * registry version (`registry`) and a dataset item (`item`) link the run to its prompt (the
     * upload's `prompt`, else the one prompt of this project the results name), the versions it
     * evaluated and the dataset revision it used.
     *
     * @throws AppError PROMPT_NOT_FOUND; VALIDATION_FAILED for an upload without results.
     */
    async importCliRun(
      projectId: number,
      results: readonly EvalResult[],
      meta: { prompt?: string | undefined; actor: string },
    ): Promise<EvalRun> {
      if (results.length === 0) {
        throw new AppError(
          'VALIDATION_FAILED',
          'The upload holds no results. Send the JSON or JSONL file `promptline eval -o` wrote.',
        );
      }
      if (meta.prompt && !(await promptStore.findByName(database.db, projectId, meta.prompt)))
        throw promptNotFound(meta.prompt);
      const secrets = (await deps.knownSecrets?.(projectId)) ?? [];
      return database.db.transaction().execute(async (trx) => {
        const at = isoNow(clock);
        const run = await store.insertRun(trx, projectId, {
          prompt: meta.prompt ?? null,
          source: 'cli',
          status: 'running',
          spec: {
            versions: [],
            models: [],
            assertions: [],
            repeat: 1,
            concurrency: 1,
            thresholds: null,
            baseline: null,
          },
          dataset: null,
          datasetRevision: null,
          total: 0,
          baselineRunId: null,
          actor: meta.actor,
          at,
        });
        const accumulator = createSummaryAccumulator();
        const counters = { done: 0, passed: 0, failed: 0, errors: 0, costUsd: 0 };
        const models = new Set<string>();
        // The prompt is the upload's, else the first registry prompt named; if another turns up,
        // the links are dropped below.
        let linked = meta.prompt ?? null;
        const named = new Set<string>();
        const versions = new Set<number>();
        let dataset: ResultDatasetItem | null = null;
        let oneDataset = true;
        let batch: NewResult[] = [];
        for (const uploaded of results) {
          const r = withoutSecrets(uploaded, secrets);
          if (r.registry) {
            named.add(r.registry.name);
            linked ??= r.registry.name;
          }
          const version =
            r.registry?.name === linked
              ? r.registry.version
              : !r.registry && meta.prompt
                ? versionOf(r.promptId) // the `v<N>` prompt ids older CLIs wrote for the uploaded prompt
                : null;
          if (version !== null) versions.add(version);
          if (r.item) {
            dataset ??= r.item;
            oneDataset &&= dataset.dataset === r.item.dataset && dataset.revision === r.item.revision;
          }
          // Core's summary groups by prompt id: one group per version of the linked prompt.
          accumulator.add(version === null ? r : { ...r, promptId: `v${version}` });
          models.add(r.providerId);
          counters.done++;
          if (r.pass) counters.passed++;
          else counters.failed++;
          if (r.error !== null) counters.errors++;
          counters.costUsd += r.costUsd ?? 0;
          batch.push(importedRow(run.id, r, version));
          if (batch.length >= 500) {
            await store.insertResults(trx, batch);
            batch = [];
          }
        }
        await store.insertResults(trx, batch);
        let prompt = meta.prompt ?? null;
        if (!prompt && named.size === 1 && linked && (await promptStore.findByName(trx, projectId, linked)))
          prompt = linked;
        if (!prompt && versions.size > 0) {
          // Version numbers of several prompts, or of one this project does not have, identify nothing.
          await store.clearVersions(trx, run.id);
          versions.clear();
        }
        const applied = prompt ? await thresholds.ofPrompt(trx, projectId, prompt) : null;
        const summary = summarise(
          accumulator.summary().groups,
          applied,
          () => null,
          prompt ? versionOf : () => null,
        );
        const usedDataset = oneDataset ? dataset : null;
        await store.progress(trx, run.id, counters, at);
        await store.setSpec(
          trx,
          run.id,
          counters.done,
          {
            versions: [...versions].sort((a, b) => a - b),
            models: [...models].map((m) => ({
              provider: 'cli',
              model: m,
              label: m,
              parameters: {},
              baseUrl: null,
            })),
            assertions: [],
            repeat: 1,
            concurrency: 1,
            thresholds: applied,
            baseline: null,
          },
          {
            prompt,
            dataset: usedDataset?.dataset ?? null,
            datasetRevision: usedDataset?.revision ?? null,
          },
        );
        await store.finish(trx, run.id, {
          status: 'completed',
          summary: { groups: summary.groups, verdicts: summary.verdicts },
          thresholdsMet: summary.met,
          baselineRunId: null,
          error: null,
          at,
        });
        await audit.append(trx, {
          projectId,
          actor: meta.actor,
          action: 'eval_run.import',
          targetType: 'eval_run',
          target: String(run.id),
          data: {
            after: {
              prompt,
              versions: [...versions].sort((a, b) => a - b),
              dataset: usedDataset ? { name: usedDataset.dataset, revision: usedDataset.revision } : null,
              results: counters.done,
              thresholdsMet: summary.met,
            },
          },
        });
        const stored = await store.findRun(trx, projectId, run.id);
        if (!stored) throw runNotFound(run.id);
        return publicRun(stored);
      });
    },
  };
}
