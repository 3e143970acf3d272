/**
 * The observability pages in Chromium against `main.ts`, at the size: BENCH_SPANS spans
 * (default 1 000 000, one trace each) over the last BENCH_DAYS days (default 30), 80 % of them on
 * one prompt with 5 versions, the rest over 29 other prompts (so the project dashboard charts 30).
 *
 * The spans are written before the server starts, in this process, through the trace service's
 * batch ingestion (1 000 a batch) with the metrics sink: the same rows, search index (FTS5 /
 * pg_trgm) and minute rollups as `POST /api/v1/traces` makes, without the HTTP and JSON cost that
 * would take hours here. Then every closed hour is rolled up by the roll-up job's own code.
 * The project's span retention is set to 60 days so that 30 days of spans are all accepted.
 *
 * Generate once, measure many times: with BENCH_DATA_DIR (SQLite) or BENCH_DATABASE_URL
 * (PostgreSQL: a scratch database, e.g. postgres://postgres@127.0.0.1:5432/obsfig_traces) the
 * database is kept and a later run that finds it seeded skips straight to measuring.
 *
 * Measured, median of 5 each:
 * - traces page, first rows as a user sees them: navigation start (the URL entered) to the first
 *   rows' text painted on screen (Element Timing's `renderTime` of the rows' `elementtiming`
 *   cells), for `/traces` as the navigation opens it (live tail on). Beside it, from the same
 *   loads: the shell's first contentful paint and the list request's own time in the browser
 *   (what the page cannot go below), and the page's older figure, component mounted to rows
 *   committed ('traces-start' → 'traces-render'), which left out everything before the mount
 *   and the paint;
 * - a filter change (status = error), and a free-text search matching one trace and one
 *   matching most traces ("delivery"): the change event (or Enter) to the new rows painted;
 * - the prompt's Monitoring tab over 24 h and 30 d: tab mounted to the last chart drawn
 *   (metrics fetch + uPlot draw of its 7 charts), and the metrics request alone;
 * - the project dashboard (one `GET /api/v1/metrics/summary` request): page mounted to its last
 *   chart drawn; beside it, in the same page, the summary request alone and what the dashboard
 *   fetched before the summary existed (one metrics request per prompt, 30 at once, as its
 *   `useQueries` sent them), so before and after come from the same run.
 * It also prints the database's plan of the search query (it must use the text index).
 *
 * Prints one JSON object. Run (heavy: nice it on a shared machine):
 *   BENCH_DATA_DIR=/tmp/traces-1m nice -n 10 npm exec -- node --conditions=source bench/traces-page.bench.ts
 *   BENCH_DATABASE_URL=postgres://…/obsfig_traces nice -n 10 npm exec -- node --conditions=source bench/traces-page.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPriceBook, type ListTracesQuery, type SpanInput } from '@promptline/core';
import { sql } from 'kysely';
import { launchChromium } from '../e2e/browser.ts';
import { ensureWebBuild } from '../e2e/build-web.ts';
import { createAuditService } from '../packages/server/src/audit/service.ts';
import type { Clock } from '../packages/server/src/clock.ts';
import { createDatabase, type Database } from '../packages/server/src/db/database.ts';
import { createMetricsService } from '../packages/server/src/metrics/service.ts';
import { setUpDatabase } from '../packages/server/src/setup.ts';
import { createTraceMaintenance } from '../packages/server/src/traces/maintenance.ts';
import { createTraceService } from '../packages/server/src/traces/service.ts';
import { createTraceSettingsStore } from '../packages/server/src/traces/settings-store.ts';
import { createSpanStore } from '../packages/server/src/traces/store.ts';
import { startServer } from './lib/server.ts';

const SPANS = Number(process.env.BENCH_SPANS ?? 1_000_000);
const DAYS = Number(process.env.BENCH_DAYS ?? 30);
const RUNS = 5;
const PROMPT = 'bench/reply';
const OTHER_PROMPTS = 29;
const DAY_MS = 86_400_000;
const BATCH = 1_000;
const PROJECT = 1;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round((s[Math.floor(s.length / 2)] ?? Number.NaN) * 10) / 10;
};
const round = (x: number) => Math.round(x * 10) / 10;

/** Span `i` of the seed (deterministic, so an interrupted seed resumes with the same spans). */
function span(i: number, firstMs: number): SpanInput {
  const start = firstMs + Math.floor((i / SPANS) * DAYS * DAY_MS);
  const other = i % 5 === 4;
  return {
    traceId: i.toString(16).padStart(32, '0'),
    spanId: i.toString(16).padStart(16, '0'),
    name: 'chat',
    startTime: start,
    endTime: start + 200 + (i % 700),
    status: i % 20 === 0 ? 'error' : 'ok',
    prompt: {
      name: other ? `bench/other-${(i >> 3) % OTHER_PROMPTS}` : PROMPT,
      // Independent of which prompt: every prompt has all 5 versions.
      version: 1 + (Math.floor(i / 5) % 5),
      environment: 'production',
    },
    model: 'gpt-4o-mini',
    usage: { input: 100 + (i % 50), output: 20 },
    userId: `user-${i % 1_000}`,
    input: [{ role: 'user', content: `Question ${i} about order ${i * 7} and its delivery` }],
    output: `Answer ${i}: your order ships in ${i % 9} days`,
  };
}

/**
 * Migrates and seeds the database unless it already holds the spans. The seed's first start
 * time is kept in a table of its own (`bench_traces_seed_v2`), so a resumed seed writes the same
 * spans (ingestion skips the ones already stored).
 */
async function seed(database: Database) {
  const clock: Clock = { now: () => new Date() };
  await setUpDatabase(database, { clock });
  await sql`create table if not exists bench_traces_seed_v2 (first_ms bigint not null, spans integer not null, done integer not null)`.execute(
    database.db,
  );
  const found = await sql<{
    first_ms: unknown;
    spans: unknown;
    done: unknown;
  }>`select first_ms, spans, done from bench_traces_seed_v2`.execute(database.db);
  const row = found.rows[0];
  if (row && Number(row.spans) !== SPANS) {
    throw new Error(`this database holds a seed of ${row.spans} spans, not ${SPANS}: use another one`);
  }
  if (row && Number(row.done) === 1) return { reused: true, firstMs: Number(row.first_ms) };
  const firstMs = row ? Number(row.first_ms) : Date.now() - DAYS * DAY_MS;
  if (!row) {
    await sql`insert into bench_traces_seed_v2 (first_ms, spans, done) values (${firstMs}, ${SPANS}, 0)`.execute(
      database.db,
    );
  }
  await createTraceSettingsStore().setSpanRetentionDays(database.db, PROJECT, 60, new Date().toISOString());
  // Daily partitions for the whole window, as 30 days of the partition job would have made.
  await createTraceMaintenance({ database, clock, projectIds: async () => [PROJECT] }).ensurePartitions(
    undefined,
    firstMs,
    Date.now() + 3 * DAY_MS,
  );
  const audit = createAuditService({ database, clock });
  const metrics = createMetricsService({ database, clock, audit });
  const traces = createTraceService({
    database,
    clock,
    sink: metrics.sink,
    prices: async () => createPriceBook(),
  });
  const stored = await sql<{
    n: unknown;
  }>`select count(*) as n from traces where project_id = ${PROJECT}`.execute(database.db);
  // Batches are written in order, up to `parallel` at once: a resumed seed restarts a little
  // before what is stored (already stored spans are skipped).
  const parallel = database.dialect === 'postgres' ? 3 : 1;
  const resumeFrom = Math.max(0, Math.floor(Number(stored.rows[0]?.n ?? 0) / BATCH) - parallel) * BATCH;
  const started = performance.now();
  const inFlight = new Set<Promise<unknown>>();
  for (let from = resumeFrom; from < SPANS; from += BATCH) {
    const batch: SpanInput[] = [];
    for (let i = from; i < Math.min(from + BATCH, SPANS); i++) batch.push(span(i, firstMs));
    const write = traces.ingest(PROJECT, batch, 'api').finally(() => inFlight.delete(write));
    inFlight.add(write);
    if (inFlight.size >= parallel) await Promise.race(inFlight);
    if (from % 100_000 === 0) process.stderr.write(`seeded ${from}\n`);
  }
  await Promise.all(inFlight);
  const ingestSeconds = (performance.now() - started) / 1000;
  const rollStarted = performance.now();
  let passes = 0;
  for (;;) {
    const before = await metrics.watermark(database.db, 'none');
    await metrics.rollUpHours();
    passes++;
    if ((await metrics.watermark(database.db, 'none')) === before) break;
  }
  await sql`analyze`.execute(database.db);
  await sql`update bench_traces_seed_v2 set done = 1`.execute(database.db);
  return {
    reused: false,
    firstMs,
    resumedFrom: resumeFrom,
    ingestSeconds: round(ingestSeconds),
    ingestSpansPerSecond: Math.round((SPANS - resumeFrom) / ingestSeconds),
    rollupSeconds: round((performance.now() - rollStarted) / 1000),
    rollupPasses: passes,
  };
}

/** The database's plan of the trace list's searches, and whether it goes through the text index. */
async function searchPlans(database: Database) {
  const store = createSpanStore(database.dialect);
  const plan = async (q: string) => ({
    q,
    ...(await store.planOfListTraces(database.db, PROJECT, { q }, 100)),
  });
  return { rare: await plan('order 7000 '), common: await plan('delivery') };
}

/**
 * The same reads in this process, without HTTP or the browser: wall and CPU (this process's: on
 * PostgreSQL the database's own work is only in the wall time) per query, median of 5.
 */
async function queryTimes(database: Database) {
  const clock: Clock = { now: () => new Date() };
  const traces = createTraceService({
    database,
    clock,
    sink: createMetricsService({ database, clock, audit: createAuditService({ database, clock }) }).sink,
    prices: async () => createPriceBook(),
  });
  const metrics = createMetricsService({ database, clock, audit: createAuditService({ database, clock }) });
  const time = async (query: () => Promise<unknown>) => {
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      await query();
      wall.push(performance.now() - started);
      const used = process.cpuUsage(cpuStarted);
      cpu.push((used.user + used.system) / 1000);
    }
    return { wallMs: median(wall), cpuMs: median(cpu) };
  };
  const list = (q: Omit<ListTracesQuery, 'limit'>) => () => traces.list(PROJECT, { limit: 100, ...q });
  const window = (ms: number, interval?: '1h') => () => {
    const to = new Date(Math.ceil(Date.now() / 60_000) * 60_000);
    return metrics.promptMetrics(PROJECT, PROMPT, {
      env: 'production',
      from: new Date(to.getTime() - ms).toISOString(),
      to: to.toISOString(),
      ...(interval ? { interval } : {}),
    });
  };
  const prompts = [PROMPT, ...Array.from({ length: OTHER_PROMPTS }, (_, k) => `bench/other-${k}`)];
  return {
    // The dashboard's data now (one summary) and before (one metrics read per prompt, in turn).
    dashboardSummary24h: await time(() =>
      metrics.summary(PROJECT, { env: 'production', limit: prompts.length }),
    ),
    dashboardPerPrompt24h: await time(async () => {
      for (const name of prompts) await metrics.promptMetrics(PROJECT, name, { env: 'production' });
    }),
    listFirstPage: await time(list({})),
    listStatusError: await time(list({ status: 'error' })),
    searchOneTrace: await time(list({ q: `order ${7 * (Math.floor(SPANS * 0.42) + 3)} ` })),
    searchMostTraces: await time(list({ q: 'delivery' })),
    metrics24h: await time(window(DAY_MS)),
    metrics30dHourly: await time(window(30 * DAY_MS, '1h')),
    metrics30dDefault: await time(window(30 * DAY_MS)),
  };
}

/** Table sizes, to show what the figures were measured over. */
async function sizes(database: Database) {
  const count = async (table: string) =>
    Number(
      (await sql<{ n: unknown }>`select count(*) as n from ${sql.table(table)}`.execute(database.db)).rows[0]
        ?.n,
    );
  return {
    spans: await count('spans'),
    traces: await count('traces'),
    minuteRollups: await count('metric_minute'),
    hourRollups: await count('metric_hour'),
  };
}

const startedAt = { at: new Date().toISOString(), loadAverage: loadavg().map(round) };
const databaseUrl = process.env.BENCH_DATABASE_URL;
const keptDir = process.env.BENCH_DATA_DIR;
const dataDir = keptDir ?? mkdtempSync(join(tmpdir(), 'promptline-traces-bench-'));
const seedDb = createDatabase(databaseUrl ? { databaseUrl, dataDir } : { dataDir });
let seeded: Awaited<ReturnType<typeof seed>>;
let plans: Awaited<ReturnType<typeof searchPlans>>;
let counts: Awaited<ReturnType<typeof sizes>>;
let queries: Awaited<ReturnType<typeof queryTimes>>;
try {
  seeded = await seed(seedDb);
  plans = await searchPlans(seedDb);
  counts = await sizes(seedDb);
  queries = await queryTimes(seedDb);
} finally {
  await seedDb.close();
}

// A server opening a million-span database on a loaded machine can take more than 30 s to answer.
const server = await startServer({
  dataDir,
  readyTimeoutMs: 300_000,
  ...(databaseUrl ? { databaseUrl } : {}),
});
const browser = await launchChromium();
try {
  await ensureWebBuild();
  const headers = { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' };
  const prompts = [PROMPT, ...Array.from({ length: OTHER_PROMPTS }, (_, k) => `bench/other-${k}`)];
  for (const name of prompts) {
    const res = await fetch(`${server.url}/api/v1/prompts`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name, version: { type: 'text', template: 'Reply to {{q}}' } }),
    });
    if (res.status !== 201 && res.status !== 409) throw new Error(`create ${name}: ${res.status}`);
  }
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const signIn = await page.request.post(`${server.url}/api/v1/session`, { data: { apiKey: server.apiKey } });
  if (signIn.status() !== 204) throw new Error(`sign-in failed: ${signIn.status()}`);
  await page.addInitScript(() => {
    window.localStorage.setItem('promptline.signedIn', '1');
    // Paint times of the rows' `elementtiming` cells, from before the app's first script runs.
    const painted: number[] = [];
    Object.assign(window, { benchRowsPainted: painted });
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as (PerformanceEntry & {
        renderTime: number;
        identifier: string;
      })[]) {
        if (e.identifier === 'trace-row') painted.push(e.renderTime);
      }
    }).observe({ type: 'element', buffered: true });
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const lastMeasure = (name: string) =>
    page.evaluate((n) => performance.getEntriesByName(n).at(-1)?.duration ?? Number.NaN, name);
  const clearMeasures = () => page.evaluate(() => performance.clearMeasures());
  const rendered = () =>
    page.waitForFunction(() => performance.getEntriesByName('traces-render').length > 0, null, {
      timeout: 120_000,
    });
  /**
   * From the page's 'traces-start' mark (set by the change event or Enter that applies filters;
   * the 'traces-render' measure starts there once the rows are committed) to the first row painted
   * after it: rows new to the list are new elements, so they report a paint. Callers clear the
   * measures first.
   */
  const paintedSinceStart = () =>
    page
      .waitForFunction(
        () => {
          const start = performance.getEntriesByName('traces-render').at(-1)?.startTime;
          const painted = (window as unknown as { benchRowsPainted: number[] }).benchRowsPainted;
          const first = start === undefined ? undefined : painted.find((t) => t > start);
          return first === undefined || start === undefined ? false : first - start;
        },
        null,
        { timeout: 120_000 },
      )
      .then((handle) => handle.jsonValue() as Promise<number>);
  const search = async (text: string) => {
    await clearMeasures();
    await page.getByLabel('Search input and output').fill(text);
    await page.getByLabel('Search input and output').press('Enter');
    return paintedSinceStart();
  };
  /** The first load's figures, read once its first rows are painted. */
  const firstLoad = () =>
    page
      .waitForFunction(
        () => {
          const painted = (window as unknown as { benchRowsPainted: number[] }).benchRowsPainted;
          const mounted = performance.getEntriesByName('traces-render').at(-1)?.duration;
          if (painted.length === 0 || mounted === undefined) return false;
          const list = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).find((e) =>
            e.name.includes('/api/v1/traces?'),
          );
          return {
            // Navigation start is the time origin of the page's clock.
            rowsPainted: Math.min(...painted),
            shellPainted: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
            listRequest: list ? list.responseEnd - list.startTime : Number.NaN,
            listRequestStarted: list?.startTime ?? Number.NaN,
            mountedToRows: mounted,
          };
        },
        null,
        { timeout: 120_000 },
      )
      .then(
        (handle) =>
          handle.jsonValue() as Promise<{
            rowsPainted: number;
            shellPainted: number;
            listRequest: number;
            listRequestStarted: number;
            mountedToRows: number;
          }>,
      );
  /** Tab or page mounted to its `charts`-th chart drawn. */
  const chartsDrawn = async (path: string, charts: number) => {
    await page.goto(`${server.url}${path}`);
    await page.waitForFunction((n) => performance.getEntriesByName('chart-drawn').length >= n, charts, {
      timeout: 120_000,
    });
    return lastMeasure('chart-drawn');
  };
  const metricsRequest = async (range: number) => {
    const to = new Date(Math.ceil(Date.now() / 60_000) * 60_000);
    const query = new URLSearchParams({
      env: 'production',
      from: new Date(to.getTime() - range).toISOString(),
      to: to.toISOString(),
      ...(range > 7 * DAY_MS ? { interval: '1h' } : {}),
    });
    const started = performance.now();
    const res = await fetch(`${server.url}/api/v1/prompts/${encodeURIComponent(PROMPT)}/metrics?${query}`, {
      headers,
    });
    const body = (await res.json()) as { interval: string; versions: { series: unknown[] }[] };
    return {
      ms: performance.now() - started,
      interval: body.interval,
      points: body.versions[0]?.series.length,
    };
  };

  /** What the dashboard fetched before the summary: one metrics request per prompt, all at once. */
  const perPromptRequests = () =>
    page.evaluate(async (names) => {
      const started = performance.now();
      await Promise.all(
        names.map((n) =>
          fetch(`/api/v1/prompts/${encodeURIComponent(n)}/metrics?env=production`).then((r) => r.json()),
        ),
      );
      return performance.now() - started;
    }, prompts);
  const summaryRequest = () =>
    page.evaluate(async () => {
      const started = performance.now();
      await fetch('/api/v1/metrics/summary?env=production&limit=30').then((r) => r.json());
      return performance.now() - started;
    });

  const m = {
    first: [] as number[],
    firstShellPaint: [] as number[],
    firstListRequest: [] as number[],
    firstListRequestStarted: [] as number[],
    firstMountedToRows: [] as number[],
    filter: [] as number[],
    searchRare: [] as number[],
    searchCommon: [] as number[],
    monitoring24h: [] as number[],
    monitoring30d: [] as number[],
    metrics30dRequest: [] as number[],
    dashboard: [] as number[],
    dashboardSummaryRequest: [] as number[],
    dashboardBefore30Requests: [] as number[],
  };
  let metrics30d = { interval: '', points: 0 as number | undefined };
  for (let i = 0; i < RUNS; i++) {
    await page.goto(`${server.url}/traces`);
    const first = await firstLoad();
    m.first.push(first.rowsPainted);
    m.firstShellPaint.push(first.shellPainted);
    m.firstListRequest.push(first.listRequest);
    m.firstListRequestStarted.push(first.listRequestStarted);
    m.firstMountedToRows.push(first.mountedToRows);

    await clearMeasures();
    await page.getByRole('combobox', { name: 'Status' }).selectOption('error');
    m.filter.push(await paintedSinceStart());

    // A different single trace each run (not one the database has cached), then most traces.
    await clearMeasures();
    await page.getByRole('combobox', { name: 'Status' }).selectOption('');
    await rendered();
    m.searchRare.push(await search(`order ${7 * (Math.floor(SPANS * (0.1 + 0.05 * i)) + 3)} `));
    m.searchCommon.push(await search('delivery'));

    const tab = `/prompts/${encodeURIComponent(PROMPT)}?tab=monitoring&env=production`;
    m.monitoring24h.push(await chartsDrawn(`${tab}&range=24h`, 7));
    m.monitoring30d.push(await chartsDrawn(`${tab}&range=30d`, 7));
    const request = await metricsRequest(30 * DAY_MS);
    m.metrics30dRequest.push(request.ms);
    metrics30d = { interval: request.interval, points: request.points };
    m.dashboard.push(await chartsDrawn('/monitoring?env=production', 3));
    m.dashboardSummaryRequest.push(await summaryRequest());
    m.dashboardBefore30Requests.push(await perPromptRequests());
  }
  console.log(
    JSON.stringify({
      database: databaseUrl ? 'postgres' : 'sqlite',
      spans: SPANS,
      days: DAYS,
      // The machine is shared: the 1/5/15-minute load averages when the bench started and ended.
      started: startedAt,
      ended: { at: new Date().toISOString(), loadAverage: loadavg().map(round) },
      seed: seeded,
      sizes: counts,
      runs: RUNS,
      tracesFirstRowsPaintedMedianMs: median(m.first),
      tracesFirstLoadParts: {
        shellFirstContentfulPaintMs: median(m.firstShellPaint),
        listRequestStartedAtMs: median(m.firstListRequestStarted),
        listRequestMs: median(m.firstListRequest),
        mountedToRowsCommittedMs: median(m.firstMountedToRows),
      },
      tracesFilterChangeMedianMs: median(m.filter),
      tracesSearchOneTraceMedianMs: median(m.searchRare),
      tracesSearchMostTracesMedianMs: median(m.searchCommon),
      monitoring24hFetchAndDrawMedianMs: median(m.monitoring24h),
      monitoring30dFetchAndDrawMedianMs: median(m.monitoring30d),
      metrics30dRequestMedianMs: median(m.metrics30dRequest),
      metrics30d,
      dashboard30PromptsMedianMs: median(m.dashboard),
      dashboardSummaryRequestMedianMs: median(m.dashboardSummaryRequest),
      dashboardBefore30MetricsRequestsMedianMs: median(m.dashboardBefore30Requests),
      inProcessQueries: queries,
      raw: Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.map(round)])),
      searchPlans: plans,
      pageErrors: errors,
      goals: {
        tracesFirstRowsPaintedMs: 300,
        tracesFilterChangeMs: 300,
        tracesSearchMs: 1_000,
        monitoringMs: 500,
      },
    }),
  );
} finally {
  await browser.close();
  await server.stop();
  if (!keptDir) rmSync(dataDir, { recursive: true, force: true });
}
