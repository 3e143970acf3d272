import {
  AppError,
  type CreateEvalRunRequest,
  type EvalCaseChange,
  type EvalComparison,
  type EvalResultPage,
  type EvalRun,
  type EvalRunGroup,
  type EvalRunPage,
  type EvalVersionVerdict,
  type PromptThresholds,
  type Version,
} from '@promptline/core';
import {
  type BaselineEntry,
  createBaselineComparator,
  createSummaryAccumulator,
  type EvalResult,
  type EvalSummary,
  evaluateThresholds,
  type GroupSummary,
  type ResultDatasetItem,
  validateAssertion,
} from '@promptline/core/node';
import type { FastifyBaseLogger } from 'fastify';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { DatasetService } from '../datasets/service.ts';
import type { Database, Db } from '../db/database.ts';
import { cursorId, nextCursor } from '../paging.ts';
import type { PromptService } from '../prompts/service.ts';
import { createPromptStore, promptNotFound } from '../prompts/store.ts';
import { defaultProviderResolver, executeRun, expectedAssertions, type ProviderResolver } from './execute.ts';
import {
  createEvalStore,
  FINAL_STATUSES,
  type NewResult,
  type RunSpec,
  type RunSummary,
  type StoredRun,
} from './store.ts';

/** A run whose heartbeat is older than this was orphaned by a server that stopped (PostgreSQL, several instances). */
const STALE_MS = 60_000;
const HEARTBEAT_MS = 10_000;
const MAX_CHANGES = 200;

function runNotFound(id: number): AppError {
  return new AppError('EVAL_RUN_NOT_FOUND', `No eval run ${id}. List runs with GET /api/v1/eval-runs.`);
}

/** The verdict of one group against thresholds, with readable reasons for each missed check. */
function groupVerdict(
  group: GroupSummary,
  thresholds: PromptThresholds | null,
  regressions: number | null,
): { met: boolean; reasons: string[] } {
  const summary: EvalSummary = { ...group, groups: [] };
  const core = evaluateThresholds(
    summary,
    thresholds
      ? {
          ...(thresholds.minPassRate !== undefined ? { passRate: thresholds.minPassRate } : {}),
          ...(thresholds.maxCostPerCaseUsd !== undefined
            ? { maxCostPerCase: thresholds.maxCostPerCaseUsd }
            : {}),
          ...(thresholds.noRegressions && regressions !== null ? { noRegressions: true } : {}),
        }
      : undefined,
    regressions === null
      ? undefined
      : { compared: 0, regressions, fixes: 0, added: 0, meanScoreDelta: 0, regressionSamples: [] },
  );
  const reasons: string[] = [];
  const noneSet = !thresholds || Object.keys(thresholds).length === 0;
  for (const check of core.checks) {
    if (check.met) continue;
    if (noneSet)
      reasons.push(
        `${group.failed} of ${group.total} cases failed (no thresholds set: every case must pass)`,
      );
    else if (check.name === 'passRate')
      reasons.push(`pass rate ${check.actual.toFixed(3)} is below ${check.limit}`);
    else if (check.name === 'maxCostPerCase')
      reasons.push(`cost per case $${check.actual.toFixed(6)} is above $${check.limit}`);
    else if (check.name === 'noRegressions')
      reasons.push(`${check.actual} regression(s) against the baseline`);
    else reasons.push(`${check.name} ${check.actual} misses ${check.limit}`);
  }
  if (thresholds?.maxLatencyP95Ms !== undefined && group.latencyP95Ms > thresholds.maxLatencyP95Ms) {
    reasons.push(
      `latency p95 ${Math.round(group.latencyP95Ms)} ms is above ${thresholds.maxLatencyP95Ms} ms`,
    );
  }
  // noRegressions without a baseline (the first run of a prompt) adds no check: nothing regressed.
  return { met: reasons.length === 0, reasons };
}

function versionOf(promptId: string): number | null {
  const n = Number(promptId.replace(/^v/, ''));
  return Number.isInteger(n) && n > 0 && /^v\d+$/.test(promptId) ? n : null;
}

/** Builds the stored summary of a run from core's group summaries. */
function summarise(
  groups: GroupSummary[],
  thresholds: PromptThresholds | null,
  regressionsOf: (version: number | null, model: string) => number | null,
  versionOfGroup: (promptId: string) => number | null = versionOf,
): RunSummary & { met: boolean } {
  const out: EvalRunGroup[] = groups.map((g) => {
    const version = versionOfGroup(g.promptId);
    const verdict = groupVerdict(g, thresholds, regressionsOf(version, g.providerId));
    return {
      version,
      promptLabel: g.promptLabel,
      model: g.providerId,
      total: g.total,
      passed: g.passed,
      failed: g.failed,
      errors: g.errors,
      passRate: g.passRate,
      meanScore: g.meanScore,
      costUsd: g.costUsd,
      costPerCaseUsd: g.total ? g.costUsd / g.total : 0,
      latencyP50Ms: g.latencyP50Ms,
      latencyP95Ms: g.latencyP95Ms,
      thresholdsMet: verdict.met,
      reasons: verdict.reasons,
    };
  });
  const byVersion = new Map<string, EvalVersionVerdict>();
  for (const g of out) {
    const key = g.version === null ? g.promptLabel : String(g.version);
    const v = byVersion.get(key) ?? { version: g.version, thresholdsMet: true, reasons: [] };
    v.thresholdsMet &&= g.thresholdsMet;
    v.reasons.push(...g.reasons.map((r) => `${g.model}: ${r}`));
    byVersion.set(key, v);
  }
  const verdicts = [...byVersion.values()];
  return { groups: out, verdicts, met: verdicts.every((v) => v.thresholdsMet) };
}

/** Fills the fields of an EvalResult that core's comparator does not read. */
function asResult(key: string, pass: boolean, score: number, reason: string): EvalResult {
  return {
    key,
    promptId: '',
    promptLabel: '',
    providerId: '',
    providerLabel: '',
    caseIndex: 0,
    repeatIndex: 0,
    description: null,
    vars: {},
    prompt: '',
    output: '',
    toolCalls: [],
    error: null,
    pass,
    score,
    reason,
    assertions: [],
    namedScores: {},
    latencyMs: 0,
    usage: null,
    costUsd: null,
    cached: false,
  };
}

/** The stored row of one uploaded result; `version` is its version of the run's prompt, if linked. */
function importedRow(runId: number, r: EvalResult, version: number | null): NewResult {
  const prefix = `${r.promptId}|${r.providerId}|`;
  const caseKey = (r.key.startsWith(prefix) ? r.key.slice(prefix.length) : r.key).replace(/\|\d+$/, '');
  // The case key leaves the version out so that comparisons can pair a case across versions, and
  // names a dataset item by its id so that an edited item stays the same case.
  const what = r.registry ? r.registry.name : r.promptId;
  const which = r.item ? `${r.item.dataset}#${r.item.itemId}` : caseKey;
  return {
    run_id: runId,
    case_index: r.caseIndex,
    item_id: r.item?.itemId ?? null,
    repeat_index: r.repeatIndex,
    version,
    prompt_label: r.promptLabel,
    model: r.providerId,
    case_key: `${what}|${which}|${r.providerId}|${r.repeatIndex}`,
    description: r.description,
    vars: JSON.stringify(r.vars ?? {}),
    output: r.output ?? '',
    error: r.error ?? null,
    pass: r.pass ? 1 : 0,
    score: Number.isFinite(r.score) ? r.score : 0,
    reason: r.reason ?? '',
    latency_ms: r.latencyMs ?? 0,
    input_tokens: r.usage?.inputTokens ?? null,
    output_tokens: r.usage?.outputTokens ?? null,
    cost_usd: r.costUsd ?? null,
    cached: r.cached ? 1 : 0,
    assertions: JSON.stringify(
      (r.assertions ?? []).map((a) => ({ type: a.type, pass: a.pass, score: a.score, reason: a.reason })),
    ),
  };
}

export interface EvalServiceOptions {
  database: Database;
  clock: Clock;
  audit: AuditService;
  prompts: PromptService;
  datasets: DatasetService;
  /** Provider settings for a model of a run; default: `mock` and explicit `baseUrl` only. */
  resolveProvider?: ProviderResolver;
  /** Runs executing at once in this process (default 2); more wait queued. */
  maxConcurrentRuns?: number;
  logger?: FastifyBaseLogger;
}

/**
 * Eval runs on the server: creation (versions, dataset revision and thresholds frozen), background
 * execution with bounded concurrency, results streamed to the database, summaries and threshold
 * verdicts, comparisons, cancellation, uploads of CLI runs, and per-prompt thresholds.
 */
export function createEvalService(options: EvalServiceOptions) {
  const { database, clock, audit, prompts, datasets } = options;
  const store = createEvalStore();
  const promptStore = createPromptStore(database.dialect);
  const resolveProvider = options.resolveProvider ?? defaultProviderResolver;
  const maxConcurrent = options.maxConcurrentRuns ?? 2;
  const queue: { projectId: number; id: number }[] = [];
  const active = new Map<number, AbortController>();
  const finished = new Set<Promise<void>>();
  let closed = false;
  // With several instances on PostgreSQL an instance may die while the others live on: they sweep for its stale runs.
  const sweep =
    database.dialect === 'postgres'
      ? setInterval(() => void service.recoverInterrupted(false).catch(() => undefined), STALE_MS / 2)
      : undefined;
  sweep?.unref();

  async function requireRun(projectId: number, id: number): Promise<StoredRun> {
    const run = await store.findRun(database.db, projectId, id);
    if (!run) throw runNotFound(id);
    return run;
  }

  function publicRun(run: StoredRun): EvalRun {
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

  async function promptThresholds(
    db: Db,
    projectId: number,
    prompt: string,
  ): Promise<PromptThresholds | null> {
    const row = await promptStore.findByName(db, projectId, prompt);
    if (!row) return null;
    return (await store.thresholds(db, row.id))?.thresholds ?? null;
  }

  /**
   * Compares two runs' results case by case (same item, model and repeat; the same version when the
   * baseline ran it, else the baseline's only or newest version), with core's comparator.
   */
  async function compare(projectId: number, runId: number, baselineId: number): Promise<EvalComparison> {
    const [run, baseline] = await Promise.all([
      requireRun(projectId, runId),
      requireRun(projectId, baselineId),
    ]);
    const before = new Map<string, BaselineEntry>();
    const baselineVersions = new Set<number | null>();
    for (let after = 0; ; ) {
      const page = await store.verdicts(database.db, baseline.id, after, 2000);
      for (const r of page) {
        before.set(`${r.version}|${r.caseKey}`, { pass: r.pass, score: r.score });
        baselineVersions.add(r.version);
      }
      const last = page.at(-1);
      if (!last || page.length < 2000) break;
      after = last.id;
    }
    const newest = [...baselineVersions].reduce<number | null>(
      (a, b) => (b !== null && (a === null || b > a) ? b : a),
      null,
    );
    const counterpartOf = (version: number | null) => (baselineVersions.has(version) ? version : newest);

    const overall = createBaselineComparator(before);
    const groups = new Map<
      string,
      { version: number | null; model: string; comparator: ReturnType<typeof createBaselineComparator> }
    >();
    const regressions: EvalCaseChange[] = [];
    const fixes: EvalCaseChange[] = [];
    for (let after = 0; ; ) {
      const page = await store.verdicts(database.db, run.id, after, 2000);
      for (const r of page) {
        const key = `${counterpartOf(r.version)}|${r.caseKey}`;
        const result = asResult(key, r.pass, r.score, r.reason);
        overall.add(result);
        const gkey = `${r.version}|${r.model}`;
        let group = groups.get(gkey);
        if (!group) {
          group = { version: r.version, model: r.model, comparator: createBaselineComparator(before) };
          groups.set(gkey, group);
        }
        group.comparator.add(result);
        const prior = before.get(key);
        if (prior && prior.pass !== r.pass) {
          const change: EvalCaseChange = {
            itemId: r.itemId,
            caseIndex: r.caseIndex,
            version: r.version,
            model: r.model,
            repeat: r.repeat,
            before: { pass: prior.pass, score: prior.score },
            after: { pass: r.pass, score: r.score, reason: r.reason },
          };
          const list = prior.pass ? regressions : fixes;
          if (list.length < MAX_CHANGES) list.push(change);
        }
      }
      const last = page.at(-1);
      if (!last || page.length < 2000) break;
      after = last.id;
    }
    const counts = ({
      regressionSamples: _samples,
      ...rest
    }: ReturnType<ReturnType<typeof createBaselineComparator>['summary']>) => rest;
    return {
      run: run.id,
      baseline: baseline.id,
      overall: counts(overall.summary()),
      groups: [...groups.values()].map((g) => ({
        version: g.version,
        model: g.model,
        ...counts(g.comparator.summary()),
      })),
      regressions,
      fixes,
    };
  }

  async function execute(projectId: number, id: number): Promise<void> {
    const controller = new AbortController();
    active.set(id, controller);
    let heartbeat: NodeJS.Timeout | undefined;
    const counters = { done: 0, passed: 0, failed: 0, errors: 0, costUsd: 0 };
    try {
      const run = await requireRun(projectId, id);
      if (run.status !== 'queued') return;
      await store.markRunning(database.db, id, isoNow(clock));
      heartbeat = setInterval(() => {
        void store.progress(database.db, id, counters, isoNow(clock)).then(
          (cancel) => cancel && controller.abort(),
          () => undefined,
        );
      }, HEARTBEAT_MS);
      heartbeat.unref();
      const prompt = run.prompt ?? '';
      const versions: Version[] = [];
      for (const n of run.spec.versions) versions.push(await prompts.getVersion(projectId, prompt, n));
      const dataset = await datasets.find(database.db, projectId, run.dataset ?? '');
      const outcome = await executeRun({
        prompt,
        spec: run.spec,
        versions,
        loadPartial: async (name) => {
          const latest = await prompts.latestVersion(projectId, name);
          return latest?.type === 'text' ? latest.template : undefined;
        },
        items: datasets.iterateItems(database.db, dataset.id, run.datasetRevision ?? dataset.revision),
        resolveProvider: (provider, baseUrl) => resolveProvider(projectId, provider, baseUrl),
        signal: controller.signal,
        onBatch: async (rows) => {
          for (const row of rows) {
            row.run_id = id;
            counters.done++;
            if (row.pass) counters.passed++;
            else counters.failed++;
            if (row.error !== null) counters.errors++;
            counters.costUsd += row.cost_usd ?? 0;
          }
          // Results and the counters they move land together: a reader never sees one without the other.
          const cancel = await database.db.transaction().execute(async (trx) => {
            await store.insertResults(trx, rows);
            return store.progress(trx, id, counters, isoNow(clock));
          });
          if (cancel) controller.abort();
        },
      });
      await store.progress(database.db, id, counters, isoNow(clock));
      if (closed) throw new Error('interrupted');
      if (outcome.cancelled || controller.signal.aborted) {
        await finishRun(projectId, run, {
          status: 'cancelled',
          summary: null,
          met: null,
          baseline: null,
          error: null,
        });
        return;
      }
      const baselineId = await baselineFor(projectId, run);
      const comparison = baselineId === null ? null : await compare(projectId, id, baselineId);
      const regressionsOf = (version: number | null, model: string) =>
        comparison
          ? (comparison.groups.find((g) => g.version === version && g.model === model)?.regressions ?? 0)
          : null;
      const summary = summarise(outcome.summary.groups, run.spec.thresholds, regressionsOf);
      await finishRun(projectId, run, {
        status: 'completed',
        summary: { groups: summary.groups, verdicts: summary.verdicts },
        met: summary.met,
        baseline: baselineId,
        error: null,
      });
    } catch (error) {
      const message = closed
        ? 'interrupted: the server stopped while this run was in progress. Start it again.'
        : error instanceof Error
          ? error.message
          : String(error);
      if (!(error instanceof AppError)) options.logger?.error({ err: error, run: id }, 'eval run failed');
      const run = await store.findRun(database.db, projectId, id).catch(() => undefined);
      if (run && !FINAL_STATUSES.includes(run.status)) {
        await finishRun(projectId, run, {
          status: 'failed',
          summary: null,
          met: null,
          baseline: null,
          error: message,
        }).catch(() => undefined);
      }
    } finally {
      clearInterval(heartbeat);
      active.delete(id);
    }
  }

  /** The baseline of a finished run: the one asked for, or for a noRegressions gate the previous run. */
  async function baselineFor(projectId: number, run: StoredRun): Promise<number | null> {
    if (run.spec.baseline !== null) return run.spec.baseline;
    if (!run.spec.thresholds?.noRegressions || run.prompt === null) return null;
    const previous = await store.latestCompletedRun(database.db, projectId, run.prompt, {
      dataset: run.dataset,
      before: run.id,
    });
    return previous?.id ?? null;
  }

  async function finishRun(
    projectId: number,
    run: StoredRun,
    end: {
      status: 'completed' | 'failed' | 'cancelled';
      summary: RunSummary | null;
      met: boolean | null;
      baseline: number | null;
      error: string | null;
    },
  ): Promise<void> {
    await database.db.transaction().execute(async (trx) => {
      const at = isoNow(clock);
      await store.finish(trx, run.id, {
        status: end.status,
        summary: end.summary,
        thresholdsMet: end.met,
        baselineRunId: end.baseline ?? run.baselineRunId,
        error: end.error,
        at,
      });
      await audit.append(trx, {
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
    });
  }

  function pump(): void {
    while (!closed && active.size < maxConcurrent && queue.length > 0) {
      const next = queue.shift();
      if (!next) break;
      // execute() registers the run in `active` before its first await, so the loop sees the slot taken.
      const done = execute(next.projectId, next.id).finally(() => {
        finished.delete(done);
        pump();
      });
      finished.add(done);
    }
  }

  const service = {
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
        versions = await store.servedVersions(database.db, projectId, prompt.id, request.env);
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
          {
            errors: [{ path: 'dataset.revision', message: `at most ${dataset.revision}` }],
          },
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
          {
            errors: [{ path: 'dataset', message: 'has no items' }],
          },
        );
      }

      const labels = new Set<string>();
      const models: RunSpec['models'] = [];
      for (const m of request.models) {
        await resolveProvider(projectId, m.provider, m.baseUrl ?? null);
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
      if (typeof request.baseline === 'number') baseline = (await requireRun(projectId, request.baseline)).id;
      else if (typeof request.baseline === 'string') {
        const env = request.baseline.slice('env:'.length);
        const served = await store.servedVersions(database.db, projectId, prompt.id, env);
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
        const thresholds = request.threshold ?? (await promptThresholds(trx, projectId, request.prompt));
        const spec: RunSpec = {
          versions,
          models,
          assertions: assertions as Record<string, unknown>[],
          repeat: request.repeat,
          concurrency: request.concurrency,
          thresholds,
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
      queue.push({ projectId, id: run.id });
      pump();
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
      return publicRun(await requireRun(projectId, id));
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
      await requireRun(projectId, id);
      const items = await store.results(database.db, id, { ...query, after: cursorId(query.cursor) ?? 0 });
      return { items, nextCursor: nextCursor(items, query.limit) };
    },

    /** Results after id `after` (SSE). */
    async resultsAfter(id: number, after: number, limit: number) {
      return store.results(database.db, id, { after, limit });
    },

    /**
     * Cancels a run: a queued one at once, a running one at its next batch (on whichever instance runs it).
     *
     * @throws AppError EVAL_RUN_NOT_FOUND; VALIDATION_FAILED (409) when the run has already finished.
     */
    async cancel(projectId: number, id: number, actor: string): Promise<EvalRun> {
      const run = await requireRun(projectId, id);
      if (FINAL_STATUSES.includes(run.status)) {
        throw new AppError(
          'VALIDATION_FAILED',
          `Eval run ${id} has already ${run.status === 'completed' ? 'completed' : `been ${run.status}`}: there is nothing to cancel.`,
          {
            status: 409,
          },
        );
      }
      await database.db.transaction().execute(async (trx) => {
        await store.requestCancel(trx, id);
        await audit.append(trx, {
          projectId,
          actor,
          action: 'eval_run.cancel_request',
          targetType: 'eval_run',
          target: String(id),
          data: { before: { status: run.status } },
        });
      });
      const queued = queue.findIndex((q) => q.id === id);
      if (queued !== -1) queue.splice(queued, 1);
      active.get(id)?.abort();
      if (run.status === 'queued' && !active.has(id)) {
        await finishRun(projectId, run, {
          status: 'cancelled',
          summary: null,
          met: null,
          baseline: null,
          error: null,
        });
      }
      return publicRun(await requireRun(projectId, id));
    },

    compare,

    /**
     * Stores a finished local run (`promptline eval -o results.json|.jsonl`) as a completed run with
     * source `cli`, in one transaction; its summary and verdict are computed here from the results.
     * Results that name a registry version (`registry`) and a dataset item (`item`) link the run to
     * its prompt (the upload's `prompt`, else the one prompt of this project the results name), the
     * versions it evaluated and the dataset revision it used.
     */
    async importCliRun(
      projectId: number,
      results: Iterable<EvalResult>,
      meta: { prompt?: string | undefined; actor: string },
    ): Promise<EvalRun> {
      if (meta.prompt && !(await promptStore.findByName(database.db, projectId, meta.prompt)))
        throw promptNotFound(meta.prompt);
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
        // Results are streamed into the table, so the prompt is chosen before all are seen: the
        // upload's, else the first registry prompt named; if another turns up, the links are dropped below.
        let linked = meta.prompt ?? null;
        const named = new Set<string>();
        const versions = new Set<number>();
        let dataset: ResultDatasetItem | null = null;
        let oneDataset = true;
        let batch: NewResult[] = [];
        for (const r of results) {
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
        if (counters.done === 0) {
          throw new AppError(
            'VALIDATION_FAILED',
            'The upload holds no results. Send the JSON or JSONL file `promptline eval -o` wrote.',
          );
        }
        let prompt = meta.prompt ?? null;
        if (!prompt && named.size === 1 && linked && (await promptStore.findByName(trx, projectId, linked)))
          prompt = linked;
        if (!prompt && versions.size > 0) {
          // Version numbers of several prompts, or of one this project does not have, identify nothing.
          await store.clearVersions(trx, run.id);
          versions.clear();
        }
        const thresholds = prompt ? await promptThresholds(trx, projectId, prompt) : null;
        const summary = summarise(
          accumulator.summary().groups,
          thresholds,
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
            thresholds,
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

    async getThresholds(projectId: number, prompt: string): Promise<PromptThresholds> {
      const row = await promptStore.findByName(database.db, projectId, prompt);
      if (!row) throw promptNotFound(prompt);
      return (await store.thresholds(database.db, row.id))?.thresholds ?? {};
    },

    async putThresholds(
      projectId: number,
      prompt: string,
      thresholds: PromptThresholds,
      actor: string,
    ): Promise<PromptThresholds> {
      return database.db.transaction().execute(async (trx) => {
        const row = await promptStore.findByName(trx, projectId, prompt, true);
        if (!row) throw promptNotFound(prompt);
        const before = (await store.thresholds(trx, row.id))?.thresholds ?? {};
        await store.putThresholds(trx, projectId, row.id, thresholds, actor, isoNow(clock));
        await audit.append(trx, {
          projectId,
          actor,
          action: 'thresholds.update',
          targetType: 'prompt',
          target: prompt,
          data: { before, after: thresholds },
        });
        return thresholds;
      });
    },

    /**
     * Fails runs a stopped server left queued or running. SQLite is one process, so at start every
     * such run is an orphan; on PostgreSQL other instances may be running theirs, so only runs whose
     * heartbeat went stale are taken.
     */
    async recoverInterrupted(startup: boolean): Promise<number[]> {
      const now = clock.now();
      const staleBefore =
        startup && database.dialect === 'sqlite'
          ? new Date(now.getTime() + 1).toISOString()
          : new Date(now.getTime() - STALE_MS).toISOString();
      const ids = (
        await store.failOrphans(
          database.db,
          staleBefore,
          now.toISOString(),
          'interrupted: the server stopped while this run was in progress. Start it again.',
        )
      ).filter((id) => !active.has(id));
      return ids;
    },

    /** True while a run executes in this process. */
    isActive(id: number): boolean {
      return active.has(id);
    },

    /** Stops every run of this process (they are marked failed as interrupted) and waits for them. */
    async close(): Promise<void> {
      closed = true;
      clearInterval(sweep);
      queue.length = 0;
      for (const controller of active.values()) controller.abort();
      await Promise.allSettled([...finished]);
    },
  };
  return service;
}

export type EvalService = ReturnType<typeof createEvalService>;
