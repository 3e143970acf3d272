import {
  type EvalRunResult,
  EvalRunSpec,
  type EvalRunStatus,
  EvalRunSummary,
  JsonObject,
  PromptThresholds,
  StoredAssertionOutcomes,
} from '@promptline/core';
import { decodeBool, decodeJsonAs, encodeBool, encodeJson, toNumber } from '../db/codecs.ts';
import type { Db } from '../db/database.ts';
import { type EvalResultsTable, type EvalRunsTable, evalDb } from './schema.ts';

/** What a run was asked to do, frozen at creation (core's EvalRunSpec). */
export type RunSpec = EvalRunSpec;

/** A run's stored summary: groups and per-version verdicts. */
export type RunSummary = EvalRunSummary;

export interface StoredRun {
  id: number;
  prompt: string | null;
  source: 'server' | 'cli';
  status: EvalRunStatus;
  spec: RunSpec;
  dataset: string | null;
  datasetRevision: number | null;
  total: number;
  done: number;
  passed: number;
  failed: number;
  errors: number;
  costUsd: number;
  summary: RunSummary | null;
  thresholdsMet: boolean | null;
  baselineRunId: number | null;
  error: string | null;
  cancelRequested: boolean;
  createdBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** A result row to write. */
export type NewResult = Omit<EvalResultsTable, 'id'>;

type RunRow = Omit<EvalRunsTable, 'id'> & { id: number };
type ResultRow = Omit<EvalResultsTable, 'id'> & { id: number };

function toRun(row: RunRow): StoredRun {
  return {
    id: row.id,
    prompt: row.prompt,
    source: row.source === 'cli' ? 'cli' : 'server',
    status: row.status as EvalRunStatus,
    spec: decodeJsonAs(EvalRunSpec, row.spec, 'eval_runs.spec'),
    dataset: row.dataset,
    datasetRevision: row.dataset_revision === null ? null : toNumber(row.dataset_revision),
    total: toNumber(row.total),
    done: toNumber(row.done),
    passed: toNumber(row.passed),
    failed: toNumber(row.failed),
    errors: toNumber(row.errors),
    costUsd: toNumber(row.cost_usd),
    summary: decodeJsonAs(EvalRunSummary.nullable(), row.summary, 'eval_runs.summary'),
    thresholdsMet: row.thresholds_met === null ? null : decodeBool(row.thresholds_met),
    baselineRunId: row.baseline_run_id,
    error: row.error,
    cancelRequested: decodeBool(row.cancel_requested),
    createdBy: row.created_by,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/** Decodes a result row into the public shape. */
export function toResult(row: ResultRow): EvalRunResult {
  return {
    id: row.id,
    caseIndex: toNumber(row.case_index),
    itemId: row.item_id,
    repeat: toNumber(row.repeat_index),
    version: row.version,
    model: row.model,
    description: row.description,
    variables: decodeJsonAs(JsonObject, row.vars, 'eval_results.vars'),
    output: row.output,
    error: row.error,
    pass: decodeBool(row.pass),
    score: toNumber(row.score),
    reason: row.reason,
    latencyMs: toNumber(row.latency_ms),
    tokens: { input: row.input_tokens, output: row.output_tokens },
    costUsd: row.cost_usd === null ? null : toNumber(row.cost_usd),
    cached: decodeBool(row.cached),
    assertions: decodeJsonAs(StoredAssertionOutcomes, row.assertions, 'eval_results.assertions'),
  };
}

/** Rows per multi-row insert (22 parameters each: far below both drivers' limits). */
const INSERT_CHUNK = 200;

/** Statuses a run never leaves. */
export const FINAL_STATUSES: readonly EvalRunStatus[] = ['completed', 'failed', 'cancelled'];

/** SQL of eval runs, their results and prompt thresholds. */
export function createEvalStore() {
  return {
    async insertRun(
      db: Db,
      projectId: number,
      run: {
        prompt: string | null;
        source: 'server' | 'cli';
        status: EvalRunStatus;
        spec: RunSpec;
        dataset: string | null;
        datasetRevision: number | null;
        total: number;
        baselineRunId: number | null;
        actor: string;
        at: string;
      },
    ): Promise<StoredRun> {
      const row = await evalDb(db)
        .insertInto('eval_runs')
        .values({
          project_id: projectId,
          prompt: run.prompt,
          source: run.source,
          status: run.status,
          spec: encodeJson(run.spec),
          dataset: run.dataset,
          dataset_revision: run.datasetRevision,
          total: run.total,
          done: 0,
          passed: 0,
          failed: 0,
          errors: 0,
          cost_usd: 0,
          summary: null,
          thresholds: encodeJson(run.spec.thresholds),
          thresholds_met: null,
          baseline_run_id: run.baselineRunId,
          comparison: null,
          error: null,
          cancel_requested: 0,
          created_by: run.actor,
          created_at: run.at,
          started_at: null,
          finished_at: null,
          heartbeat_at: run.at,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRun(row);
    },

    async findRun(db: Db, projectId: number, id: number): Promise<StoredRun | undefined> {
      const row = await evalDb(db)
        .selectFrom('eval_runs')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toRun(row) : undefined;
    },

    async listRuns(
      db: Db,
      projectId: number,
      query: {
        prompt?: string | undefined;
        status?: string | undefined;
        before?: number | undefined;
        limit: number;
      },
    ): Promise<StoredRun[]> {
      let q = evalDb(db).selectFrom('eval_runs').selectAll().where('project_id', '=', projectId);
      if (query.prompt) q = q.where('prompt', '=', query.prompt);
      if (query.status) q = q.where('status', '=', query.status);
      if (query.before !== undefined) q = q.where('id', '<', query.before);
      const rows = await q.orderBy('id', 'desc').limit(query.limit).execute();
      return rows.map(toRun);
    },

    /** The newest completed run of a prompt that evaluated `version` (on `dataset` when given), before `before`. */
    async latestCompletedRun(
      db: Db,
      projectId: number,
      prompt: string,
      filter: { version?: number; dataset?: string | null; before?: number },
    ): Promise<StoredRun | undefined> {
      let q = evalDb(db)
        .selectFrom('eval_runs')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('prompt', '=', prompt)
        .where('status', '=', 'completed');
      if (filter.dataset) q = q.where('dataset', '=', filter.dataset);
      if (filter.before !== undefined) q = q.where('id', '<', filter.before);
      // Versions live in the spec JSON: scan newest first, a page is plenty in practice.
      const rows = await q.orderBy('id', 'desc').limit(200).execute();
      return rows
        .map(toRun)
        .find((r) => filter.version === undefined || r.spec.versions.includes(filter.version));
    },

    /**
     * Starts (or restarts, after an interrupted attempt) a run from scratch: the results of any
     * earlier attempt are deleted and the counters zeroed, so a re-run replaces, never duplicates.
     */
    async restart(db: Db, id: number, at: string): Promise<boolean> {
      await evalDb(db).deleteFrom('eval_results').where('run_id', '=', id).execute();
      const rows = await evalDb(db)
        .updateTable('eval_runs')
        .set({
          status: 'running',
          started_at: at,
          heartbeat_at: at,
          done: 0,
          passed: 0,
          failed: 0,
          errors: 0,
          cost_usd: 0,
        })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'running'])
        .returning('id')
        .execute();
      return rows.length > 0;
    },

    /** Writes the counters and the heartbeat; answers whether a cancel was requested meanwhile. */
    async progress(
      db: Db,
      id: number,
      p: { done: number; passed: number; failed: number; errors: number; costUsd: number },
      at: string,
    ): Promise<boolean> {
      const row = await evalDb(db)
        .updateTable('eval_runs')
        .set({
          done: p.done,
          passed: p.passed,
          failed: p.failed,
          errors: p.errors,
          cost_usd: p.costUsd,
          heartbeat_at: at,
        })
        .where('id', '=', id)
        .returning('cancel_requested')
        .executeTakeFirst();
      return row ? decodeBool(row.cancel_requested) : true;
    },

    /** Ends an unfinished run; false when it had already ended (a final status is written once). */
    async finish(
      db: Db,
      id: number,
      end: {
        status: EvalRunStatus;
        summary: RunSummary | null;
        thresholdsMet: boolean | null;
        baselineRunId: number | null;
        error: string | null;
        at: string;
      },
    ): Promise<boolean> {
      const rows = await evalDb(db)
        .updateTable('eval_runs')
        .set({
          status: end.status,
          summary: end.summary === null ? null : encodeJson(end.summary),
          thresholds_met: end.thresholdsMet === null ? null : encodeBool(end.thresholdsMet),
          baseline_run_id: end.baselineRunId,
          error: end.error,
          finished_at: end.at,
          heartbeat_at: end.at,
        })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'running'])
        .returning('id')
        .execute();
      return rows.length > 0;
    },

    /**
     * Sets what an uploaded run evaluated once its results are known: the total, the spec, and the
     * prompt and dataset revision its results link to.
     */
    async setSpec(
      db: Db,
      id: number,
      total: number,
      spec: RunSpec,
      origin: { prompt: string | null; dataset: string | null; datasetRevision: number | null },
    ): Promise<void> {
      await evalDb(db)
        .updateTable('eval_runs')
        .set({
          total,
          spec: encodeJson(spec),
          thresholds: encodeJson(spec.thresholds),
          prompt: origin.prompt,
          dataset: origin.dataset,
          dataset_revision: origin.datasetRevision,
        })
        .where('id', '=', id)
        .execute();
    },

    /** Drops the version links of a run's results (an upload whose results name no single prompt of the project). */
    async clearVersions(db: Db, runId: number): Promise<void> {
      await evalDb(db)
        .updateTable('eval_results')
        .set({ version: null })
        .where('run_id', '=', runId)
        .execute();
    },

    async requestCancel(db: Db, id: number): Promise<void> {
      await evalDb(db).updateTable('eval_runs').set({ cancel_requested: 1 }).where('id', '=', id).execute();
    },

    async insertResults(db: Db, rows: NewResult[]): Promise<void> {
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await evalDb(db)
          .insertInto('eval_results')
          .values(rows.slice(i, i + INSERT_CHUNK))
          .execute();
      }
    },

    async results(
      db: Db,
      runId: number,
      query: {
        status?: 'passed' | 'failed' | undefined;
        version?: number | undefined;
        model?: string | undefined;
        after: number;
        limit: number;
      },
    ): Promise<EvalRunResult[]> {
      let q = evalDb(db)
        .selectFrom('eval_results')
        .selectAll()
        .where('run_id', '=', runId)
        .where('id', '>', query.after);
      if (query.status) q = q.where('pass', '=', query.status === 'passed' ? 1 : 0);
      if (query.version !== undefined) q = q.where('version', '=', query.version);
      if (query.model !== undefined) q = q.where('model', '=', query.model);
      const rows = await q.orderBy('id', 'asc').limit(query.limit).execute();
      return rows.map(toResult);
    },

    /** Just what a comparison needs of each result, a page at a time. */
    async verdicts(
      db: Db,
      runId: number,
      after: number,
      limit: number,
    ): Promise<
      {
        id: number;
        caseKey: string;
        caseIndex: number;
        itemId: number | null;
        repeat: number;
        version: number | null;
        model: string;
        pass: boolean;
        score: number;
        reason: string;
      }[]
    > {
      const rows = await evalDb(db)
        .selectFrom('eval_results')
        .select([
          'id',
          'case_key',
          'case_index',
          'item_id',
          'repeat_index',
          'version',
          'model',
          'pass',
          'score',
          'reason',
        ])
        .where('run_id', '=', runId)
        .where('id', '>', after)
        .orderBy('id', 'asc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        id: r.id,
        caseKey: r.case_key,
        caseIndex: toNumber(r.case_index),
        itemId: r.item_id,
        repeat: toNumber(r.repeat_index),
        version: r.version,
        model: r.model,
        pass: decodeBool(r.pass),
        score: toNumber(r.score),
        reason: r.reason,
      }));
    },

    async thresholds(
      db: Db,
      promptId: number,
    ): Promise<{ thresholds: PromptThresholds; updatedAt: string; updatedBy: string } | undefined> {
      const row = await evalDb(db)
        .selectFrom('prompt_thresholds')
        .select(['thresholds', 'updated_at', 'updated_by'])
        .where('prompt_id', '=', promptId)
        .executeTakeFirst();
      return row
        ? {
            thresholds: decodeJsonAs(PromptThresholds, row.thresholds, 'prompt_thresholds.thresholds'),
            updatedAt: row.updated_at,
            updatedBy: row.updated_by,
          }
        : undefined;
    },

    async putThresholds(
      db: Db,
      projectId: number,
      promptId: number,
      thresholds: PromptThresholds,
      actor: string,
      at: string,
    ): Promise<void> {
      const existing = await evalDb(db)
        .selectFrom('prompt_thresholds')
        .select('id')
        .where('prompt_id', '=', promptId)
        .executeTakeFirst();
      if (existing) {
        await evalDb(db)
          .updateTable('prompt_thresholds')
          .set({ thresholds: encodeJson(thresholds), updated_by: actor, updated_at: at })
          .where('id', '=', existing.id)
          .execute();
      } else {
        await evalDb(db)
          .insertInto('prompt_thresholds')
          .values({
            project_id: projectId,
            prompt_id: promptId,
            thresholds: encodeJson(thresholds),
            updated_by: actor,
            updated_at: at,
          })
          .execute();
      }
    },
  };
}

export type EvalStore = ReturnType<typeof createEvalStore>;
