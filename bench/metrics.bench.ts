/**
 * The metrics query over 7 days of rollups. For each database: spans equivalent to `--spans`
 * (default 10 M) over `--days` (7) are generated in memory — `--prompts` prompts (50, Zipf
 * popularity) × 3 versions × 2 environments × 2 models, log-normal latencies — and aggregated into
 * minute rollups by the sink's own aggregation (so minute rollups exist for every minute as on a
 * live install). On PostgreSQL the rows are loaded with COPY FROM STDIN (pg-copy-streams): the
 * sink's per-minute upserts did not finish the full size in 12 minutes (500 k spans: 651 s → 41 s
 * at load ~25, the same rows). On SQLite, and on PostgreSQL with `--load sink`, they are written
 * through the metrics sink one minute at a time, one transaction per hour (the ingest path). Then every closed
 * hour is rolled up by the roll-up job's code. `--raw`
 * (1 M) raw spans go through trace ingestion (its sink off, so they do not count twice) so the span
 * tables are as full as a real install's. Then `--runs` (50) times: "per-hour latency percentiles by
 * version for one prompt over 7 days" (the most popular prompt, one environment), timed in-process
 * through the metrics service. Goal: p95 < 300 ms on both databases.
 *
 * It also times the same hour read from a long-format bucket table (one row per non-empty bucket)
 * built from the hour rollups, to compare with the one-column-per-bucket layout the rollups use.
 *
 * Prints { sqlite: {...}, postgres: {...} } with generation and query figures. Wall-clock figures
 * from a loaded machine are not trustworthy; small runs only check that it works:
 *   node --conditions=source bench/metrics.bench.ts --spans 200000 --raw 20000 --runs 10
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { createPriceBook, type SpanInput } from '@promptline/core';
import { sql } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createAuditService } from '../packages/server/src/audit/service.ts';
import { bootstrap } from '../packages/server/src/bootstrap.ts';
import type { Dialect } from '../packages/server/src/db/database.ts';
import { aggregateSpans, type RollupRow } from '../packages/server/src/metrics/aggregate.ts';
import {
  HISTOGRAM_COLUMNS,
  ROLLUP_KEY_COLUMNS,
  ROLLUP_SUM_COLUMNS,
} from '../packages/server/src/metrics/migration.ts';
import { createMetricsService } from '../packages/server/src/metrics/service.ts';
import {
  createTestDatabase,
  TEST_POSTGRES_URL,
  type TestDatabase,
} from '../packages/server/src/test-helpers/database.ts';
import { createManualClock } from '../packages/server/src/test-helpers/server.ts';
import { createTraceService } from '../packages/server/src/traces/service.ts';
import { noTraceSink, type SpanRecorded } from '../packages/server/src/traces/sink.ts';

const { values: args } = parseArgs({
  options: {
    spans: { type: 'string', default: '10000000' },
    raw: { type: 'string', default: '1000000' },
    prompts: { type: 'string', default: '50' },
    days: { type: 'string', default: '7' },
    runs: { type: 'string', default: '50' },
    dialect: { type: 'string', default: 'both' },
    load: { type: 'string', default: 'bulk' },
  },
});
const SPANS = Number(args.spans);
const RAW = Number(args.raw);
const PROMPTS = Number(args.prompts);
const DAYS = Number(args.days);
const RUNS = Number(args.runs);
const DIALECTS: Dialect[] = args.dialect === 'both' ? ['sqlite', 'postgres'] : [args.dialect as Dialect];

const MINUTE = 60_000;
// A fixed "now" half-way through an hour, so the current hour is read from minute rollups.
const NOW = Date.parse('2026-11-30T12:30:00.000Z');
const START = NOW - DAYS * 86_400_000;

/** Deterministic generator (mulberry32), so both databases get the same spans. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

/** Cumulative Zipf weights of the prompts: prompt 0 is the most used. */
const cumulative = (() => {
  const weights = Array.from({ length: PROMPTS }, (_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  let sum = 0;
  return weights.map((w) => (sum += w / total));
})();

function pickPrompt(u: number): number {
  const i = cumulative.findIndex((c) => u <= c);
  return i === -1 ? PROMPTS - 1 : i;
}

function spansOfMinute(next: () => number, minuteStart: number, count: number): SpanRecorded[] {
  const spans: SpanRecorded[] = [];
  for (let i = 0; i < count; i++) {
    const version = 1 + Math.floor(next() * 3);
    const input = 200 + Math.floor(next() * 2000);
    spans.push({
      projectId: 1,
      promptName: `prompt-${pickPrompt(next())}`,
      promptVersion: version,
      environment: next() < 0.8 ? 'production' : 'staging',
      provider: 'openai',
      model: next() < 0.5 ? 'gpt-4o-mini' : 'gpt-4o',
      startMs: minuteStart + Math.floor(next() * MINUTE),
      // Log-normal around 800 ms; version 3 is slower.
      durationMs: Math.exp(Math.log(800 * (version === 3 ? 1.3 : 1)) + 0.6 * gaussian(next)),
      status: next() < 0.02 ? 'error' : 'ok',
      inputTokens: input,
      outputTokens: Math.floor(next() * 500),
      cachedInputTokens: 0,
      costUsd: input * 2.5e-7,
      contractViolation: null,
    });
  }
  return spans;
}

/** A minute rollup row's values in the store's column order. */
function rowValues(row: RollupRow): unknown[] {
  return [
    row.projectId,
    row.prompt,
    row.bucket,
    row.environment,
    row.version,
    row.provider,
    row.model,
    row.count,
    row.errors,
    row.inputTokens,
    row.outputTokens,
    row.cachedTokens,
    row.costN,
    row.costSum,
    row.costSq,
    row.latencySum,
    row.latencySq,
    row.contractChecked,
    row.contractViolations,
    ...row.histogram,
  ];
}

/** Rows per COPY. */
const BULK_ROWS = 20_000;

/** COPY text format: tab-separated, `\\N` for null; the names and labels here have no tab, newline or backslash. */
function copyLine(row: RollupRow): string {
  return `${rowValues(row).join('\t')}\n`;
}

/** A connection of its own on the bench schema, for COPY FROM STDIN. */
async function copyClient(database: TestDatabase): Promise<pg.Client> {
  const schema = await sql<{ s: string }>`select current_schema() as s`.execute(database.db);
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  await client.query(`set search_path to "${schema.rows[0]?.s ?? 'public'}"`);
  return client;
}

/** Writes minute rollup rows that do not exist yet with COPY. */
async function loadMinutes(rows: RollupRow[], client: pg.Client): Promise<void> {
  const columns = [...ROLLUP_KEY_COLUMNS, ...ROLLUP_SUM_COLUMNS, ...HISTOGRAM_COLUMNS].join(', ');
  const stream = client.query(copyFrom(`copy metric_minute (${columns}) from stdin`));
  let chunk = '';
  for (const row of rows) {
    chunk += copyLine(row);
    if (chunk.length > 1 << 20) {
      if (!stream.write(chunk)) await once(stream, 'drain');
      chunk = '';
    }
  }
  stream.end(chunk);
  await finished(stream);
}

async function generate(database: TestDatabase, metrics: ReturnType<typeof createMetricsService>) {
  const next = random(1);
  const minutes = Math.round((NOW - START) / MINUTE);
  const perMinute = SPANS / minutes;
  let carry = 0;
  let written = 0;
  const started = performance.now();
  let pending: RollupRow[] = [];
  const client = args.load === 'bulk' && database.dialect === 'postgres' ? await copyClient(database) : null;
  for (let m = 0; m < minutes; m += 60) {
    const hour: SpanRecorded[][] = [];
    for (let k = m; k < Math.min(m + 60, minutes); k++) {
      carry += perMinute;
      const count = Math.floor(carry);
      carry -= count;
      hour.push(spansOfMinute(next, START + k * MINUTE, count));
      written += count;
    }
    if (client === null) {
      // One transaction per hour of spans, one sink call per minute (as ingestion would).
      await database.db.transaction().execute(async (trx) => {
        for (const spans of hour) await metrics.sink.spansWritten(trx, spans);
      });
      continue;
    }
    // The sink's aggregation, per minute as it would receive them; each (group, minute) once.
    for (const spans of hour) pending.push(...aggregateSpans(spans, 'minute'));
    if (pending.length >= BULK_ROWS || m + 60 >= minutes) {
      await loadMinutes(pending, client);
      pending = [];
    }
  }
  await client?.end();
  const sinkSeconds = (performance.now() - started) / 1000;
  const rollStarted = performance.now();
  let passes = 0;
  for (;;) {
    const before = await rolledUntil(database);
    await metrics.rollUpHours();
    passes++;
    if ((await rolledUntil(database)) === before) break;
  }
  return {
    spans: written,
    sinkSeconds: round(sinkSeconds),
    sinkSpansPerSecond: Math.round(written / sinkSeconds),
    load: args.load,
    rollupSeconds: round((performance.now() - rollStarted) / 1000),
    rollupPasses: passes,
  };
}

async function rolledUntil(database: TestDatabase): Promise<number> {
  const result = await sql<{ r: unknown }>`select rolled_until as r from metric_rollup_state`.execute(
    database.db,
  );
  return Number(result.rows[0]?.r);
}

async function rawSpans(database: TestDatabase, clock: { now(): Date }) {
  const traces = createTraceService({
    database,
    clock,
    sink: noTraceSink,
    prices: async () => createPriceBook(),
  });
  const next = random(2);
  const started = performance.now();
  // Batches are made in order (the same spans every run) and up to 4 are written at once:
  // PostgreSQL takes them on several connections; SQLite queues them on its one.
  const inFlight = new Set<Promise<unknown>>();
  for (let done = 0; done < RAW; done += 1_000) {
    const batch: SpanInput[] = [];
    for (let i = 0; i < Math.min(1_000, RAW - done); i++) {
      const start = START + Math.floor(next() * (NOW - START));
      batch.push({
        traceId: randomBytes(16).toString('hex'),
        spanId: randomBytes(8).toString('hex'),
        name: 'chat',
        startTime: start,
        endTime: start + Math.floor(200 + next() * 2000),
        status: 'ok',
        prompt: {
          name: `prompt-${pickPrompt(next())}`,
          version: 1 + Math.floor(next() * 3),
          environment: 'production',
        },
        provider: 'openai',
        model: 'gpt-4o-mini',
        usage: { input: 500, output: 100 },
      });
    }
    const write = traces.ingest(1, batch, 'api').finally(() => inFlight.delete(write));
    inFlight.add(write);
    if (inFlight.size >= 4) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return { rawSpans: RAW, rawSeconds: round((performance.now() - started) / 1000) };
}

/** The same hour rollups as one row per non-empty bucket, to time the other layout. */
async function buildLongFormat(database: TestDatabase): Promise<void> {
  await sql`create table bench_hour_buckets (project_id integer not null, prompt text not null, bucket integer not null,
    environment text not null, version integer not null, provider text not null, model text not null, b integer not null, n integer not null)`.execute(
    database.db,
  );
  for (const [i, column] of HISTOGRAM_COLUMNS.entries()) {
    await sql`insert into bench_hour_buckets select project_id, prompt, bucket, environment, version, provider, model, ${sql.lit(i)}, ${sql.ref(column)}
      from metric_hour where ${sql.ref(column)} > 0`.execute(database.db);
  }
  await sql`create index bench_hour_buckets_read on bench_hour_buckets (project_id, prompt, bucket)`.execute(
    database.db,
  );
}

async function time(runs: number, query: () => Promise<unknown>) {
  const durations: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await query();
    durations.push(performance.now() - started);
  }
  durations.sort((a, b) => a - b);
  const at = (p: number) => round(durations[Math.max(0, Math.ceil(p * durations.length) - 1)] ?? Number.NaN);
  return { p50Ms: at(0.5), p95Ms: at(0.95), maxMs: at(1) };
}

const round = (value: number) => Math.round(value * 100) / 100;

async function benchOne(dialect: Dialect) {
  const database = await createTestDatabase(dialect);
  try {
    const clock = createManualClock(new Date(NOW));
    await bootstrap(database, { clock });
    const metrics = createMetricsService({ database, clock, audit: createAuditService({ database, clock }) });
    const generated = await generate(database, metrics);
    const raw = await rawSpans(database, clock);
    if (dialect === 'postgres') await sql`analyze`.execute(database.db);
    const counts = await sql<{
      minute: unknown;
      hour: unknown;
    }>`select (select count(*) from metric_minute) as minute,
      (select count(*) from metric_hour) as hour`.execute(database.db);
    const query = () =>
      metrics.promptMetrics(1, 'prompt-0', {
        env: 'production',
        from: new Date(NOW - DAYS * 86_400_000).toISOString(),
        to: new Date(NOW).toISOString(),
        interval: '1h',
      });
    const answer = await query();
    const columns = await time(RUNS, query);
    await buildLongFormat(database);
    const long = await time(RUNS, () =>
      sql`select version, bucket as t, b, sum(n) as n from bench_hour_buckets
        where project_id = 1 and prompt = 'prompt-0' and environment = 'production' and bucket >= ${Math.floor(START / MINUTE)}
        group by 1, 2, 3`.execute(database.db),
    );
    const hourColumns = await time(RUNS, () =>
      sql`select version, bucket as t, ${sql.join(HISTOGRAM_COLUMNS.map((c) => sql`sum(${sql.ref(c)})`))} from metric_hour
        where project_id = 1 and prompt = 'prompt-0' and environment = 'production' and bucket >= ${Math.floor(START / MINUTE)}
        group by 1, 2`.execute(database.db),
    );
    return {
      ...generated,
      ...raw,
      minuteRows: Number(counts.rows[0]?.minute),
      hourRows: Number(counts.rows[0]?.hour),
      promptSpans: answer.versions.reduce((n, v) => n + v.count, 0),
      seriesPoints: answer.versions[0]?.series.length ?? 0,
      query7dHourly: { runs: RUNS, ...columns, goalP95Ms: 300, met: columns.p95Ms < 300 },
      histogramLayout: { oneColumnPerBucket: hourColumns, bucketTable: long },
    };
  } finally {
    await database.close();
  }
}

const results: Record<string, unknown> = {};
for (const dialect of DIALECTS) {
  process.stderr.write(`metrics bench: ${dialect}\n`);
  results[dialect] = await benchOne(dialect);
}
console.log(JSON.stringify({ spans: SPANS, prompts: PROMPTS, days: DAYS, ...results }));
