/**
 * One alert evaluation cycle: `--rules` (1 000) rules over the rollups of `--spans` (default
 * 300 k, so the whole bench fits about a minute; the issue's figure is for 10 M) spans of the last
 * `--hours` (3) hours — 50 prompts × 3 versions × 2 environments, written
 * through the metrics sink's own aggregation (minute rollups, as a live install has them). Rules
 * mix every metric, project-, prompt- and version-wide scopes, 5 to 60 minute windows, thresholds
 * and changes against the previous window. The cycle (the evaluation job's code: read the
 * windows, decide, record, publish) is timed `--runs` (3) times; the median is the figure. Rule
 * evaluation reads rollups only, so the number of spans behind them sets the figures' values, not
 * the work: the rows read are (minutes of the window) × (groups in the scope). 300 k spans over 3
 * hours already fill every group of every minute (~1 700 spans a minute over 300 groups), the
 * same rollup rows 10 M spans make; what 10 M would add is only the load time (~6 min here).
 *
 * `--spans` takes a comma-separated list to measure several volumes side by side in one run; each
 * result prints the rollup rows the cycle reads over, so the claim above is checked, not assumed.
 * The issue's size: `--spans 1000000,10000000` (PostgreSQL in the database of
 * PROMPTLINE_TEST_DATABASE_URL: use a scratch one).
 *
 * Prints { sqlite: {...}, postgres: {...} } (a list per dialect with several volumes). Figures from
 * a loaded machine are indicative only:
 *   node --conditions=source bench/alerts.bench.ts --spans 1000000 --rules 200 --runs 3
 */
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { createAlertService } from '../packages/server/src/alerts/service.ts';
import { createAuditService } from '../packages/server/src/audit/service.ts';
import { bootstrap } from '../packages/server/src/bootstrap.ts';
import type { Dialect } from '../packages/server/src/db/database.ts';
import { createEventBus } from '../packages/server/src/events/bus.ts';
import { createMetricsService } from '../packages/server/src/metrics/service.ts';
import { createTestDatabase } from '../packages/server/src/test-helpers/database.ts';
import type { SpanRecorded } from '../packages/server/src/traces/sink.ts';

const { values: args } = parseArgs({
  options: {
    spans: { type: 'string', default: '300000' },
    rules: { type: 'string', default: '1000' },
    hours: { type: 'string', default: '3' },
    runs: { type: 'string', default: '3' },
    dialect: { type: 'string', default: 'both' },
  },
});
const VOLUMES = args.spans.split(',').map(Number);
const RULES = Number(args.rules);
const HOURS = Number(args.hours);
const RUNS = Number(args.runs);
const DIALECTS: Dialect[] = args.dialect === 'both' ? ['sqlite', 'postgres'] : [args.dialect as Dialect];
const PROMPTS = 50;
const MINUTE = 60_000;

function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function benchOne(dialect: Dialect, SPANS: number) {
  const database = await createTestDatabase(dialect);
  try {
    await bootstrap(database, {});
    const clock = { now: () => new Date() };
    const audit = createAuditService({ database, clock });
    const metrics = createMetricsService({ database, clock, audit });
    const events = createEventBus({ clock });
    let published = 0;
    events.subscribe(async () => {
      published++;
    });
    const jobs = { register: () => {}, every: () => {} };
    const alerts = createAlertService({ database, clock, audit, jobs, metrics, events });

    const next = random(7);
    const nowMs = Date.now();
    const minutes = HOURS * 60;
    const perMinute = Math.ceil(SPANS / minutes);
    const loadStarted = performance.now();
    for (let m = minutes; m > 0; m--) {
      const minuteStart = Math.floor((nowMs - m * MINUTE) / MINUTE) * MINUTE;
      const spans: SpanRecorded[] = [];
      for (let i = 0; i < perMinute; i++) {
        const version = 1 + Math.floor(next() * 3);
        spans.push({
          projectId: 1,
          promptName: `prompt-${Math.floor(next() * next() * PROMPTS)}`,
          promptVersion: version,
          environment: next() < 0.8 ? 'production' : 'staging',
          provider: 'openai',
          model: 'gpt-4o-mini',
          startMs: minuteStart + Math.floor(next() * MINUTE),
          durationMs: 300 + next() * 1500,
          status: next() < 0.03 ? 'error' : 'ok',
          inputTokens: 500,
          outputTokens: 200,
          cachedInputTokens: 0,
          costUsd: 0.0004,
          contractViolation: null,
        });
      }
      await database.db.transaction().execute((trx) => metrics.sink.spansWritten(trx, spans));
    }
    const loadSeconds = (performance.now() - loadStarted) / 1000;

    const metricNames = [
      'errorRate',
      'latencyP95',
      'latencyP99',
      'costPerCall',
      'costPerDay',
      'volume',
    ] as const;
    for (let i = 0; i < RULES; i++) {
      const scope = i % 10;
      const prompt = scope === 0 ? undefined : `prompt-${i % PROMPTS}`;
      const metric = metricNames[i % metricNames.length] ?? 'errorRate';
      await alerts.create(
        1,
        {
          name: `rule ${i}`,
          ...(prompt ? { prompt } : {}),
          ...(prompt && scope > 6 ? { version: 1 + (i % 3) } : {}),
          ...(scope % 2 === 0 ? { environment: 'production' } : {}),
          metric,
          windowMinutes: [5, 15, 60][i % 3] ?? 5,
          condition:
            metric === 'volume' || i % 4 === 0
              ? { type: 'change', direction: metric === 'volume' ? 'decrease' : 'increase', percent: 50 }
              : { type: 'threshold', operator: 'gt', value: metric === 'errorRate' ? 0.05 : 1e9 },
          minSamples: 20,
          enabled: true,
        },
        'bench',
      );
    }
    const cycles: number[] = [];
    const cpu: number[] = [];
    let last = { rules: 0, transitions: 0 };
    for (let r = 0; r < RUNS; r++) {
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      last = await alerts.evaluateAll();
      cycles.push(performance.now() - started);
      const used = process.cpuUsage(cpuStarted);
      cpu.push((used.user + used.system) / 1000);
    }
    const rollups = await sql<{
      minute: unknown;
      hour: unknown;
    }>`select (select count(*) from metric_minute) as minute, (select count(*) from metric_hour) as hour`.execute(
      database.db,
    );
    return {
      spans: perMinute * minutes,
      minuteRollupRows: Number(rollups.rows[0]?.minute),
      hourRollupRows: Number(rollups.rows[0]?.hour),
      // This process's CPU (the database's own work on PostgreSQL is not in it).
      cycleCpuMs: { median: Math.round(median(cpu)) },
      hours: HOURS,
      rules: last.rules,
      loadSeconds: Math.round(loadSeconds * 10) / 10,
      cycleMs: { median: Math.round(median(cycles)), all: cycles.map(Math.round) },
      eventsPublished: published,
    };
  } finally {
    await database.close();
  }
}

const results: Record<string, unknown> = {};
for (const dialect of DIALECTS) {
  const runs = [];
  for (const spans of VOLUMES) {
    process.stderr.write(`alerts bench: ${dialect}, ${spans} spans\n`);
    runs.push(await benchOne(dialect, spans));
  }
  results[dialect] = runs.length === 1 ? runs[0] : runs;
}
console.log(JSON.stringify(results));
