/**
 * Job runner throughput and latency on both databases. First a backlog of N queued jobs is drained
 * (drainPerSecond). Then N jobs are enqueued one transaction each (as
 * features do: enqueue in the writing transaction, `wake()` after the commit), a handler that
 * does one fenced write, and the time from each commit to its job's `succeeded` row.
 *
 *   BENCH_JOBS=2000 BENCH_JOBS_CONCURRENCY=8 npm exec -- node --conditions=source bench/jobs.bench.ts
 *
 * Also `BENCH_JOBS_DIALECTS=sqlite` (or postgres), `BENCH_JOBS_POLL_MS` (default 1000: the
 * runner's default; enqueue→done does not wait for a poll because of wake()). Prints one JSON object.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import { systemClock } from '../packages/server/src/clock.ts';
import type { Dialect } from '../packages/server/src/db/database.ts';
import { createJobService } from '../packages/server/src/jobs/service.ts';
import { createTestDatabase } from '../packages/server/src/test-helpers/database.ts';

const JOBS = Number(process.env.BENCH_JOBS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_JOBS_CONCURRENCY ?? 8);
const POLL_MS = Number(process.env.BENCH_JOBS_POLL_MS ?? 1000);
const DIALECTS = (process.env.BENCH_JOBS_DIALECTS ?? 'sqlite,postgres').split(',') as Dialect[];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function runOne(dialect: Dialect) {
  const database = await createTestDatabase(dialect);
  const committedAt = new Map<number, number>();
  const latencies: number[] = [];
  let finish: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const jobs = createJobService({ database, clock: systemClock, pollMs: POLL_MS });
  jobs.register({
    kind: 'bench.backlog',
    payload: z.object({ n: z.number() }),
    concurrency: CONCURRENCY,
    async run(_payload, ctx) {
      await ctx.fenced(async (trx) => {
        await sql`select 1`.execute(trx);
      });
    },
  });
  jobs.register({
    kind: 'bench.noop',
    payload: z.object({ n: z.number() }),
    concurrency: CONCURRENCY,
    async run(_payload, ctx) {
      // A real handler's effect: one write under the job's lease.
      await ctx.fenced(async (trx) => {
        await sql`select 1`.execute(trx);
      });
    },
  });
  // The runner marks the job succeeded after the handler; poll the table to see it as a reader would.
  const watcher = setInterval(async () => {
    const rows = await sql<{ id: number; finished_at: string }>`
      select id, finished_at from jobs where status = 'succeeded' and kind = 'bench.noop'`.execute(
      database.db,
    );
    for (const row of rows.rows) {
      const started = committedAt.get(Number(row.id));
      if (started === undefined) continue;
      committedAt.delete(Number(row.id));
      latencies.push(Date.parse(row.finished_at) - started);
    }
    if (latencies.length >= JOBS) finish();
  }, 20);
  // Phase 1, drain: a backlog of N jobs already queued when the runner starts.
  await database.db.transaction().execute(async (trx) => {
    for (let n = 0; n < JOBS; n++) await jobs.enqueue(trx, { kind: 'bench.backlog', payload: { n } });
  });
  const d0 = performance.now();
  await jobs.start();
  for (;;) {
    const left = await sql<{ n: number }>`
      select count(*) as n from jobs where kind = 'bench.backlog' and status <> 'succeeded'`.execute(
      database.db,
    );
    if (Number(left.rows[0]?.n ?? 0) === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const drainMs = performance.now() - d0;

  // Phase 2, live: one job per transaction, each timed from its commit to its succeeded row.
  const t0 = performance.now();
  for (let n = 0; n < JOBS; n++) {
    const job = await database.db
      .transaction()
      .execute((trx) => jobs.enqueue(trx, { kind: 'bench.noop', payload: { n } }));
    committedAt.set(job.id, Date.now());
    jobs.wake();
  }
  const enqueueMs = performance.now() - t0;
  await allDone;
  const totalMs = performance.now() - t0;
  clearInterval(watcher);
  await jobs.stop();
  await database.close();
  latencies.sort((a, b) => a - b);
  return {
    jobs: JOBS,
    concurrency: CONCURRENCY,
    drainPerSecond: Math.round(JOBS / (drainMs / 1000)),
    enqueuePerSecond: Math.round(JOBS / (enqueueMs / 1000)),
    completedPerSecond: Math.round(JOBS / (totalMs / 1000)),
    latencyMs: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? 0,
    },
  };
}

const results: Record<string, unknown> = {};
for (const dialect of DIALECTS) results[dialect] = await runOne(dialect);
process.stdout.write(`${JSON.stringify({ bench: 'jobs', pollMs: POLL_MS, results })}\n`);
