/** SQL of red-team runs and their findings (this feature's own tables only). */
import {
  type Finding,
  type RedteamFindingRow,
  RedteamRunSpec,
  type RedteamRunStatus,
  type Severity,
  StoredRedteamSummary,
} from '@promptline/core';
import { z } from 'zod';
import { decodeBool, decodeJsonAs, encodeBool, encodeJson, toNumber } from '../db/codecs.ts';
import type { Db } from '../db/database.ts';
import { type RedteamTables, redteamDb } from './migration.ts';

export interface StoredRedteamRun {
  id: number;
  projectId: number;
  prompt: string;
  version: number;
  source: 'server' | 'upload';
  status: RedteamRunStatus;
  spec: RedteamRunSpec | null;
  provider: string;
  failOn: Severity;
  total: number;
  done: number;
  findings: number;
  errors: number;
  failing: number;
  bySeverity: Record<Severity, number>;
  passed: boolean | null;
  summary: StoredRedteamSummary | null;
  costUsd: number;
  error: string | null;
  cancelRequested: boolean;
  createdBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export const FINAL_STATUSES: readonly RedteamRunStatus[] = ['completed', 'failed', 'cancelled'];

type RunRow = Omit<RedteamTables['redteam_runs'], 'id'> & { id: number };
type FindingRow = Omit<RedteamTables['redteam_findings'], 'id'> & { id: number };

function toRun(row: RunRow): StoredRedteamRun {
  return {
    id: toNumber(row.id),
    projectId: toNumber(row.project_id),
    prompt: row.prompt,
    version: toNumber(row.version),
    source: row.source === 'upload' ? 'upload' : 'server',
    status: row.status as RedteamRunStatus,
    spec: decodeJsonAs(RedteamRunSpec.nullable(), row.spec, 'redteam_runs.spec'),
    provider: row.provider,
    failOn: row.fail_on as Severity,
    total: toNumber(row.total),
    done: toNumber(row.done),
    findings: toNumber(row.findings),
    errors: toNumber(row.errors),
    failing: toNumber(row.failing),
    bySeverity: {
      low: toNumber(row.low),
      medium: toNumber(row.medium),
      high: toNumber(row.high),
      critical: toNumber(row.critical),
    },
    passed: row.passed === null ? null : decodeBool(row.passed),
    summary: decodeJsonAs(StoredRedteamSummary.nullable(), row.summary, 'redteam_runs.summary'),
    costUsd: toNumber(row.cost_usd),
    error: row.error,
    cancelRequested: decodeBool(row.cancel_requested),
    createdBy: row.created_by,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

const Turns = z.array(z.string());
const ToolCalls = z.array(z.object({ name: z.string(), arguments: z.string() }));

function toFinding(row: FindingRow): RedteamFindingRow {
  return {
    id: toNumber(row.id),
    probe: row.probe,
    plugin: row.plugin,
    title: row.title,
    strategy: row.strategy,
    severity: row.severity as Severity,
    owasp: { id: row.owasp, title: row.owasp_title },
    detector: row.detector,
    confidence: row.confidence === 'certain' ? 'certain' : 'heuristic',
    evidence: row.evidence,
    attack: row.attack,
    turns: decodeJsonAs(Turns, row.turns, 'redteam_findings.turns'),
    output: row.output,
    toolCalls: decodeJsonAs(ToolCalls, row.tool_calls, 'redteam_findings.tool_calls'),
    mitigation: row.mitigation,
  };
}

/** Findings written per statement (17 columns: well under SQLite's parameter limit). */
const INSERT_CHUNK = 50;

/** How a run ends: its final status, counts and summary. */
export type RunEnd = Pick<
  StoredRedteamRun,
  'done' | 'findings' | 'errors' | 'failing' | 'bySeverity' | 'passed' | 'summary' | 'costUsd' | 'error'
> & { status: 'completed' | 'failed' | 'cancelled'; at: string };

export function createRedteamStore() {
  return {
    async insertRun(
      db: Db,
      run: Pick<
        StoredRedteamRun,
        'projectId' | 'prompt' | 'version' | 'source' | 'status' | 'spec' | 'provider' | 'failOn' | 'total'
      > & { actor: string; at: string },
    ): Promise<StoredRedteamRun> {
      const row = await redteamDb(db)
        .insertInto('redteam_runs')
        .values({
          project_id: run.projectId,
          prompt: run.prompt,
          version: run.version,
          source: run.source,
          status: run.status,
          spec: run.spec === null ? null : encodeJson(run.spec),
          provider: run.provider,
          fail_on: run.failOn,
          total: run.total,
          done: 0,
          findings: 0,
          errors: 0,
          failing: 0,
          low: 0,
          medium: 0,
          high: 0,
          critical: 0,
          passed: null,
          summary: null,
          cost_usd: 0,
          error: null,
          cancel_requested: 0,
          created_by: run.actor,
          created_at: run.at,
          started_at: null,
          finished_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRun(row as RunRow);
    },

    async find(db: Db, projectId: number, id: number): Promise<StoredRedteamRun | undefined> {
      const row = await redteamDb(db)
        .selectFrom('redteam_runs')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toRun(row as RunRow) : undefined;
    },

    /** Newest first. */
    async list(
      db: Db,
      projectId: number,
      query: {
        prompt?: string;
        version?: number | undefined;
        status?: string | undefined;
        before?: number | undefined;
        limit: number;
      },
    ): Promise<StoredRedteamRun[]> {
      let q = redteamDb(db).selectFrom('redteam_runs').selectAll().where('project_id', '=', projectId);
      if (query.prompt !== undefined) q = q.where('prompt', '=', query.prompt);
      if (query.version !== undefined) q = q.where('version', '=', query.version);
      if (query.status !== undefined) q = q.where('status', '=', query.status);
      if (query.before !== undefined) q = q.where('id', '<', query.before);
      const rows = await q.orderBy('id', 'desc').limit(query.limit).execute();
      return rows.map((r) => toRun(r as RunRow));
    },

    /** The newest completed run of a version (what the gate judges). */
    async latestCompleted(
      db: Db,
      projectId: number,
      prompt: string,
      version: number,
    ): Promise<StoredRedteamRun | undefined> {
      const row = await redteamDb(db)
        .selectFrom('redteam_runs')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('prompt', '=', prompt)
        .where('version', '=', version)
        .where('status', '=', 'completed')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? toRun(row as RunRow) : undefined;
    },

    /**
     * Starts (or restarts, after an interrupted attempt) a run from scratch: findings of an
     * earlier attempt are deleted and the counters zeroed, so a re-run replaces, never duplicates.
     */
    async start(db: Db, id: number, at: string): Promise<boolean> {
      await redteamDb(db).deleteFrom('redteam_findings').where('run_id', '=', id).execute();
      const rows = await redteamDb(db)
        .updateTable('redteam_runs')
        .set({ status: 'running', started_at: at, done: 0, findings: 0, errors: 0, cost_usd: 0 })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'running'])
        .returning('id')
        .execute();
      return rows.length > 0;
    },

    /** Writes the progress; answers whether a cancel was requested meanwhile. */
    async progress(
      db: Db,
      id: number,
      p: { done: number; total: number; findings: number; errors: number; costUsd: number },
    ): Promise<boolean> {
      const row = await redteamDb(db)
        .updateTable('redteam_runs')
        .set({ done: p.done, total: p.total, findings: p.findings, errors: p.errors, cost_usd: p.costUsd })
        .where('id', '=', id)
        .where('status', '=', 'running')
        .returning('cancel_requested')
        .executeTakeFirst();
      return row ? decodeBool(row.cancel_requested) : true;
    },

    async requestCancel(db: Db, id: number): Promise<void> {
      await redteamDb(db)
        .updateTable('redteam_runs')
        .set({ cancel_requested: 1 })
        .where('id', '=', id)
        .execute();
    },

    /** Ends an unfinished run; false when it had already ended (a final status is written once). */
    async finish(db: Db, id: number, end: RunEnd): Promise<boolean> {
      const rows = await redteamDb(db)
        .updateTable('redteam_runs')
        .set({
          status: end.status,
          done: end.done,
          findings: end.findings,
          errors: end.errors,
          failing: end.failing,
          ...end.bySeverity,
          passed: end.passed === null ? null : encodeBool(end.passed),
          summary: end.summary === null ? null : encodeJson(end.summary),
          cost_usd: end.costUsd,
          error: end.error,
          finished_at: end.at,
        })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'running'])
        .returning('id')
        .execute();
      return rows.length > 0;
    },

    async insertFindings(db: Db, runId: number, findings: readonly Finding[]): Promise<void> {
      const rows = findings.map((f, seq) => ({
        run_id: runId,
        seq,
        probe: f.probe,
        plugin: f.plugin,
        title: f.title,
        strategy: f.strategy,
        severity: f.severity,
        owasp: f.owasp.id,
        owasp_title: f.owasp.title,
        detector: f.detector,
        confidence: f.confidence,
        evidence: f.evidence,
        attack: f.attack,
        turns: encodeJson(f.turns),
        output: f.output,
        tool_calls: encodeJson(f.toolCalls),
        mitigation: f.mitigation,
      }));
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await redteamDb(db)
          .insertInto('redteam_findings')
          .values(rows.slice(i, i + INSERT_CHUNK))
          .execute();
      }
    },

    /** Findings in run order, paged by id. */
    async findings(
      db: Db,
      runId: number,
      query: { severity?: string | undefined; plugin?: string | undefined; after: number; limit: number },
    ): Promise<RedteamFindingRow[]> {
      let q = redteamDb(db)
        .selectFrom('redteam_findings')
        .selectAll()
        .where('run_id', '=', runId)
        .where('id', '>', query.after);
      if (query.severity !== undefined) q = q.where('severity', '=', query.severity);
      if (query.plugin !== undefined) q = q.where('plugin', '=', query.plugin);
      const rows = await q.orderBy('id').limit(query.limit).execute();
      return rows.map((r) => toFinding(r as FindingRow));
    },
  };
}

export type RedteamStore = ReturnType<typeof createRedteamStore>;
