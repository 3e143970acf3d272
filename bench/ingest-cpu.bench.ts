/**
 * CPU cost of native trace ingestion, per span, on SQLite and PostgreSQL: the whole route
 * (`POST /api/v1/traces` through `app.inject()`: JSON parse, input guards, validation, the write
 * transaction with the trace summaries and the metrics rollups) run in this process on batches
 * built beforehand, timed with `process.cpuUsage()`. On PostgreSQL the CPU of the database's own
 * backends is read from /proc as well (the bench uses a database of its own, so its backends are
 * exactly those of that database). CPU time, unlike spans/s, means something on a loaded machine:
 * it is what a batch costs, whoever else shares the cores (caches and frequency still vary).
 *
 *   npm exec -- node --conditions=source bench/ingest-cpu.bench.ts
 *   BENCH_INGEST_CPU_BATCHES=200 npm exec -- node --conditions=source bench/ingest-cpu.bench.ts
 *
 * `serverCpuSharePercent` breaks the server's CPU down by stage of the pipeline (JSON parse,
 * validation, times and price, redaction, rows, each statement split into SQL build and the
 * database, commit, rollups, response…): BENCH_INGEST_CPU_PROFILED more batches (default 20; 0
 * skips it) sent under V8's sampling profiler after the measured ones (bench/lib/cpu-breakdown.ts).
 *
 * On SQLite, `bareSqlite` is the floor measured in the same run: the same kind of batches parsed
 * and inserted through `node:sqlite` directly into the real schema, with and without the search
 * index (bench/lib/bare-sqlite.ts).
 *
 * BENCH_INGEST_CPU_SENDERS (default 1): batches in flight at once, as concurrent senders do.
 *
 * BENCH_INGEST_CPU_BATCHES (default 40, after 10 warm-up batches), BENCH_INGEST_SPANS (default
 * 500), BENCH_INGEST_DATABASES (`sqlite,postgres`), PROMPTLINE_BENCH_DATABASE_URL as for
 * ingest.bench.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { buildApp } from '../packages/server/src/app.ts';
import { generateApiKey } from '../packages/server/src/auth/service.ts';
import { bootstrap } from '../packages/server/src/bootstrap.ts';
import { createDatabase, type Database } from '../packages/server/src/db/database.ts';
import { migrate } from '../packages/server/src/db/migrations.ts';
import { bareSqliteFloor } from './lib/bare-sqlite.ts';
import { cpuBreakdown } from './lib/cpu-breakdown.ts';
import { cpuSeconds } from './lib/server.ts';
import { sdkBatch } from './lib/spans.ts';

const SPANS = Number(process.env.BENCH_INGEST_SPANS ?? 500);
const BATCHES = Number(process.env.BENCH_INGEST_CPU_BATCHES ?? 40);
const WARMUP = 10;
/** Batches in flight at once (on SQLite, batches that wait share a transaction: group-commit.ts). */
const SENDERS = Number(process.env.BENCH_INGEST_CPU_SENDERS ?? 1);
/** Batches sent again under V8's sampling profiler for the stage breakdown (0: no breakdown). */
const PROFILED = Number(process.env.BENCH_INGEST_CPU_PROFILED ?? 20);
const DATABASES = (process.env.BENCH_INGEST_DATABASES ?? 'sqlite,postgres').split(',');
const PG_URL = process.env.PROMPTLINE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function adminQuery<T extends pg.QueryResultRow>(text: string, url = PG_URL): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** A fresh database of `dialect`, with what removes it. */
async function freshDatabase(
  dialect: string,
): Promise<{ database: Database; name?: string; drop(): Promise<void> }> {
  if (dialect === 'postgres') {
    const name = `promptline_bench_${randomBytes(4).toString('hex')}`;
    await adminQuery(`create database ${name}`);
    const url = new URL(PG_URL);
    url.pathname = `/${name}`;
    const database = createDatabase({ databaseUrl: url.toString(), dataDir: '.' });
    return {
      database,
      name,
      drop: async () => {
        await adminQuery(`drop database if exists ${name} with (force)`);
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'promptline-bench-'));
  return {
    database: createDatabase({ dataDir: dir }),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function measure(dialect: string) {
  const { database, name, drop } = await freshDatabase(dialect);
  const apiKey = generateApiKey();
  await migrate(database);
  await bootstrap(database, { apiKey });
  const app = await buildApp({ db: database, config: { logLevel: 'silent' }, logger: false });
  await app.ready();
  const backendCpu = async () => {
    if (!name) return 0;
    const rows = await adminQuery<{ pid: number }>(
      `select pid from pg_stat_activity where datname = '${name}' and pid <> pg_backend_pid()`,
    );
    return rows.reduce((sum, r) => sum + cpuSeconds(r.pid) * 1e6, 0);
  };
  try {
    const bodies = Array.from({ length: WARMUP + BATCHES + PROFILED }, () => sdkBatch(SPANS));
    const send = async (payload: string) => {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/traces',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        payload,
      });
      if (response.statusCode !== 202)
        throw new Error(`${response.statusCode} ${response.body.slice(0, 300)}`);
    };
    /** Sends `list` from SENDERS concurrent senders, each taking the next body when it is answered. */
    const sendAll = async (list: string[]) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: SENDERS }, async () => {
          while (next < list.length) await send(list[next++] as string);
        }),
      );
    };
    await sendAll(bodies.slice(0, WARMUP));
    const dbBefore = await backendCpu();
    const before = process.cpuUsage();
    const started = performance.now();
    await sendAll(bodies.slice(WARMUP, WARMUP + BATCHES));
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(before);
    const dbUsed = (await backendCpu()) - dbBefore;
    const spans = BATCHES * SPANS;
    const round = (x: number) => Math.round(x * 10) / 10;
    // Profiled apart, after the measured batches: sampling slows the process down.
    const breakdown =
      PROFILED > 0
        ? await cpuBreakdown(async () => {
            await sendAll(bodies.slice(WARMUP + BATCHES));
          })
        : undefined;
    // The same kind of batches (fresh ids) with nothing of Promptline around them: the floor.
    const floor =
      dialect === 'sqlite'
        ? await bareSqliteFloor(
            Array.from({ length: WARMUP + BATCHES }, () => sdkBatch(SPANS)),
            WARMUP,
          )
        : undefined;
    return {
      batches: BATCHES,
      serverCpuUsPerSpan: round((used.user + used.system) / spans),
      serverSystemCpuUsPerSpan: round(used.system / spans),
      ...(breakdown ? { serverCpuSharePercent: breakdown } : {}),
      ...(floor ? { bareSqlite: floor } : {}),
      ...(name ? { postgresCpuUsPerSpan: round(dbUsed / spans) } : {}),
      wallMsPerBatch: round(wallMs / BATCHES),
    };
  } finally {
    await app.close();
    await database.close();
    await drop();
  }
}

const results: Record<string, unknown> = {};
for (const dialect of DATABASES) results[dialect] = await measure(dialect);
process.stdout.write(
  `${JSON.stringify({
    spansPerBatch: SPANS,
    senders: SENDERS,
    ...results,
    note: 'CPU µs per span of the whole route in-process (postgresCpuUsPerSpan: the database backends, from /proc, 10 ms ticks); wallMsPerBatch is not trustworthy on a loaded machine',
  })}\n`,
);
