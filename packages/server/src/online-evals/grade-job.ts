/**
 * The grading job: one per ingested batch, naming the queued spans it sampled. Spans are graded
 * one after another and written a chunk at a time: in one transaction, each span leaves the queue,
 * its scores are written through the trace service and the rule's counters move — so a span is
 * graded once however often the job runs (a retry finds only what is left). Judge call failures
 * are counted and recorded at once, and the job ends with a plain error so the runner retries it
 * with backoff; after its last attempt the spans still queued count as failed.
 */
import { needsJudge } from '@promptline/core';
import { z } from 'zod';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import type { JobContext } from '../jobs/runner.ts';
import type { JobService } from '../jobs/service.ts';
import type { TraceService } from '../traces/service.ts';
import { type Grader, scoreNames } from './grade.ts';
import { dayOf, GRADE_JOB } from './sampler.ts';
import { createSpendGate, type SpendGate } from './spend-gate.ts';
import type { DayIncrement, OnlineEvalStore, PendingSpan, StoredRule } from './store.ts';

type ScoreWriter = Awaited<ReturnType<TraceService['scoreWriter']>>;

/** Spans written per transaction. */
const CHUNK = 25;
/** Spans of a chunk graded at once. */
const PARALLEL = 4;
/** Longest reason kept as a score's comment. */
const MAX_COMMENT = 1_000;

/** What grading one queued span came to. */
type Outcome =
  | { kind: 'drop'; row: PendingSpan }
  | { kind: 'skip'; row: PendingSpan }
  | { kind: 'gone'; row: PendingSpan; message: string }
  | { kind: 'error'; row: PendingSpan; message: string; costUsd: number }
  | {
      kind: 'graded';
      row: PendingSpan;
      costUsd: number;
      scores: Array<{ name: string; value: number; comment: string }>;
    };

export interface GradeJobOptions {
  database: Database;
  clock: Clock;
  store: OnlineEvalStore;
  jobs: Pick<JobService, 'register'>;
  traces: Pick<TraceService, 'spanForEval' | 'scoreWriter'>;
  grade: Grader;
}

export function registerGradeJob(options: GradeJobOptions): void {
  const { database, clock, store, traces, grade } = options;
  const today = () => dayOf(clock.now().getTime());

  /** Grades one span; judged rules go through `gate`, which holds their spend under the budget. */
  async function gradeOne(
    row: PendingSpan,
    rule: StoredRule | undefined,
    gate: SpendGate,
    signal: AbortSignal,
  ): Promise<Outcome | null> {
    if (!rule) return null; // deleted: its queue went with it
    if (!rule.enabled) return { kind: 'drop', row };
    const span = await traces.spanForEval(row.projectId, row.traceId, row.spanId);
    if (!span) {
      return {
        kind: 'gone',
        row,
        message: `span ${row.traceId}/${row.spanId} is gone (erased or past retention)`,
      };
    }
    const judged = rule.assertions.some(needsJudge);
    if (judged && !(await gate.acquire(rule))) return { kind: 'skip', row };
    let costUsd = 0;
    try {
      const graded = await grade(rule, span, signal);
      costUsd = graded.costUsd;
      const [callError] = graded.callErrors;
      if (callError !== undefined) {
        const message = `judge ${rule.judge?.provider}/${rule.judge?.model}: ${callError}`;
        return { kind: 'error', row, message, costUsd };
      }
      const names = scoreNames(rule.name, graded.outcomes);
      return {
        kind: 'graded',
        row,
        costUsd,
        scores: graded.outcomes.map((o, i) => ({
          name: names[i] ?? `${rule.name}.${o.type}`,
          value: Number.isFinite(o.score) ? o.score : 0,
          comment: `${o.pass ? 'pass' : 'fail'}: ${o.reason}`.slice(0, MAX_COMMENT),
        })),
      };
    } finally {
      if (judged) gate.release(rule.id, costUsd);
    }
  }

  /** Writes a chunk's outcomes in one transaction: queue, scores, counters, last errors. */
  async function write(trx: Db, outcomes: readonly Outcome[], writers: ReadonlyMap<number, ScoreWriter>) {
    const day = today();
    const at = isoNow(clock);
    const counts = new Map<number, { projectId: number; add: Required<DayIncrement> }>();
    const count = (row: PendingSpan, add: DayIncrement) => {
      const entry = counts.get(row.ruleId) ?? {
        projectId: row.projectId,
        add: { sampled: 0, evaluated: 0, errors: 0, failed: 0, skippedBudget: 0, costUsd: 0 },
      };
      for (const [key, value] of Object.entries(add) as Array<[keyof DayIncrement, number]>) {
        entry.add[key] += value;
      }
      counts.set(row.ruleId, entry);
    };
    for (const o of outcomes) {
      if (o.kind === 'error') {
        // The span stays queued for the retry.
        count(o.row, { errors: 1, costUsd: o.costUsd });
        await store.recordError(trx, o.row.ruleId, o.message, at);
        continue;
      }
      // Off the queue first: false when an earlier attempt already wrote this span.
      if (!(await store.take(trx, o.row.id))) continue;
      if (o.kind === 'skip') count(o.row, { skippedBudget: 1 });
      if (o.kind === 'gone') {
        count(o.row, { failed: 1 });
        await store.recordError(trx, o.row.ruleId, o.message, at);
      }
      if (o.kind === 'graded') {
        const writeScore = writers.get(o.row.projectId);
        if (!writeScore) throw new Error(`no score writer for project ${o.row.projectId}`);
        for (const x of o.scores) {
          await writeScore(trx, { traceId: o.row.traceId, spanId: o.row.spanId, ...x, source: 'eval' });
        }
        count(o.row, { evaluated: 1, costUsd: o.costUsd });
      }
    }
    for (const [ruleId, { projectId, add }] of counts) await store.count(trx, projectId, ruleId, day, add);
  }

  async function run(pending: number[], ctx: JobContext): Promise<void> {
    const rows = await store.pending(database.db, pending);
    const rules = new Map<number, Promise<StoredRule | undefined>>();
    let failure: string | null = null;
    for (let i = 0; i < rows.length; i += CHUNK) {
      if (ctx.signal.aborted) throw new Error('online evaluation stopped');
      const gate = createSpendGate(
        async (ruleId) => (await store.daysOf(database.db, [ruleId], today())).get(ruleId)?.costUsd ?? 0,
      );
      const outcomes: Outcome[] = [];
      const queue = rows.slice(i, i + CHUNK);
      // A few spans at a time: judges answer in seconds, and their calls wait on the network.
      await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          for (let row = queue.shift(); row !== undefined; row = queue.shift()) {
            if (!rules.has(row.ruleId))
              rules.set(row.ruleId, store.find(database.db, row.projectId, row.ruleId));
            const outcome = await gradeOne(row, await rules.get(row.ruleId), gate, ctx.signal);
            if (outcome) outcomes.push(outcome);
            if (outcome?.kind === 'error') failure = outcome.message;
          }
        }),
      );
      // Prepared before the transaction: nothing inside it reads beside it (see scoreWriter).
      const projects = new Set(outcomes.filter((o) => o.kind === 'graded').map((o) => o.row.projectId));
      const writers = new Map(
        await Promise.all([...projects].map(async (p) => [p, await traces.scoreWriter(p)] as const)),
      );
      await ctx.fenced((trx) => write(trx, outcomes, writers));
    }
    if (failure !== null) {
      // A plain Error, not an AppError: the runner retries it with backoff (an AppError is final).
      throw new Error(`Some sampled spans could not be judged (retried with backoff): ${failure}`);
    }
  }

  options.jobs.register({
    kind: GRADE_JOB,
    payload: z.object({ pending: z.array(z.number().int()) }),
    concurrency: 2,
    maxAttempts: 5,
    run: ({ pending }, ctx) => run(pending, ctx),
    async onFailed({ pending }, error, trx) {
      const at = isoNow(clock);
      for (const row of await store.pending(trx, pending)) {
        if (!(await store.take(trx, row.id))) continue;
        await store.count(trx, row.projectId, row.ruleId, today(), { failed: 1 });
        await store.recordError(trx, row.ruleId, error, at);
      }
    },
  });
}
