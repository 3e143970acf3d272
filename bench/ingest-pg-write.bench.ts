/**
 * The write of a trace batch on PostgreSQL, statement level: the spans insert and the trace
 * summaries merge as two statements with the summaries computed in JavaScript (the path before
 * `writeSpanBatchPostgres`, still what SQLite runs) against the one statement that does both with
 * the summaries computed in SQL. Each arm writes to a database of its own, through a connection of
 * its own; batches alternate between the arms, so both see the same load. Measured per batch: the
 * CPU of that arm's backend (/proc/<pid>/schedstat, nanoseconds, so per batch and not in 10 ms
 * ticks) and of this process (building rows, serialising, the driver), reported per span as mean
 * and median over the batches. No HTTP, no validation, no rollups: bench/ingest-cpu.bench.ts
 * measures the whole route.
 *
 *   npm exec -- node --conditions=source bench/ingest-pg-write.bench.ts
 *
 * BENCH_PG_WRITE_SCHEMA_CHANGE: SQL (statements separated by `;`) run on the second database
 * before the batches; both arms then write with the one statement, so the figures compare the
 * schema as migrated against the changed one, e.g. an index dropped to learn what it costs:
 *
 *   BENCH_PG_WRITE_SCHEMA_CHANGE='drop index spans_text_trgm' npm exec -- node --conditions=source bench/ingest-pg-write.bench.ts
 *
 * BENCH_PG_WRITE_BATCHES (default 40 per arm, after 5 warm-up batches), BENCH_INGEST_SPANS (500),
 * PROMPTLINE_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type SpanInput, spanTimeMs } from '@promptline/core';
import { sql } from 'kysely';
import pg from 'pg';
import { bootstrap } from '../packages/server/src/bootstrap.ts';
import { createDatabase, type Database } from '../packages/server/src/db/database.ts';
import { migrate } from '../packages/server/src/db/migrations.ts';
import {
  insertSpanRows,
  mergeTraceRows,
  writeSpanBatchPostgres,
} from '../packages/server/src/traces/batch-store.ts';
import {
  type PreparedSpan,
  spanRow,
  traceSummaries,
  writtenSpans,
} from '../packages/server/src/traces/rows.ts';
import { sdkBatch } from './lib/spans.ts';

const SPANS = Number(process.env.BENCH_INGEST_SPANS ?? 500);
const BATCHES = Number(process.env.BENCH_PG_WRITE_BATCHES ?? 40);
const WARMUP = 5;
const SCHEMA_CHANGE = process.env.BENCH_PG_WRITE_SCHEMA_CHANGE ?? '';
const PG_URL = process.env.PROMPTLINE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** CPU time a process has run, in nanoseconds (first field of schedstat). */
const cpuNs = (pid: number) => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);

type Write = (trx: Database['db'], prepared: PreparedSpan[], receivedAt: string) => Promise<void>;

const rowsOf = (prepared: PreparedSpan[], receivedAt: string) =>
  prepared.map((p) => spanRow(1, p, 'api', receivedAt));

const twoStatements: Write = async (trx, prepared, receivedAt) => {
  const inserted = await insertSpanRows(trx, 'postgres', rowsOf(prepared, receivedAt));
  const written = writtenSpans(prepared, inserted);
  await mergeTraceRows(trx, 'postgres', traceSummaries(1, written));
};
const oneStatement: Write = async (trx, prepared, receivedAt) => {
  await writeSpanBatchPostgres(trx, rowsOf(prepared, receivedAt));
};

/** The arms: label, how it writes, and the schema change applied to its database first. */
const ARMS: [string, Write, string][] = SCHEMA_CHANGE
  ? [
      ['one statement, schema as migrated (baseline)', oneStatement, ''],
      [`one statement, after: ${SCHEMA_CHANGE}`, oneStatement, SCHEMA_CHANGE],
    ]
  : [
      ['two statements, summaries in JavaScript (baseline)', twoStatements, ''],
      ['one statement, summaries in SQL', oneStatement, ''],
    ];

interface Arm {
  label: string;
  write: Write;
  name: string;
  database: Database;
  pid: number;
  backendUs: number[];
  processUs: number[];
}

async function openArm(label: string, write: Write, schemaChange: string): Promise<Arm> {
  const name = `promptline_bench_${randomBytes(4).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  // One connection: its backend is the arm's whole database work.
  const database = createDatabase({ databaseUrl: url.toString(), dataDir: '.', poolSize: 1 });
  await migrate(database);
  await bootstrap(database, { apiKey: randomBytes(20).toString('hex') });
  for (const statement of schemaChange.split(';').filter((x) => x.trim() !== ''))
    await sql.raw(statement).execute(database.db);
  const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(database.db)).rows[0]?.pid;
  if (pid === undefined) throw new Error('no backend pid');
  return { label, write, name, database, pid, backendUs: [], processUs: [] };
}

/** A batch as the service prepares it (times as numbers, cost settled). */
function preparedBatch(): PreparedSpan[] {
  const { spans } = JSON.parse(sdkBatch(SPANS)) as { spans: SpanInput[] };
  return spans.map((span) => ({
    span,
    startMs: spanTimeMs(span.startTime),
    endMs: spanTimeMs(span.endTime),
    costUsd: 0.0001,
    costComputed: true,
    contract: null,
  }));
}

const round = (x: number) => Math.round(x * 10) / 10;
const mean = (xs: number[]) => round(xs.reduce((a, b) => a + b, 0) / xs.length);
const median = (xs: number[]) => round([...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? 0);

const arms: Arm[] = [];
try {
  for (const [label, write, schemaChange] of ARMS) arms.push(await openArm(label, write, schemaChange));
  for (let i = 0; i < WARMUP + BATCHES; i++) {
    // Alternate which arm goes first, so neither always follows the other.
    for (const arm of i % 2 === 0 ? arms : [...arms].reverse()) {
      const prepared = preparedBatch();
      const receivedAt = new Date().toISOString();
      const backendBefore = cpuNs(arm.pid);
      const processBefore = process.cpuUsage();
      await arm.database.db.transaction().execute((trx) => arm.write(trx, prepared, receivedAt));
      const used = process.cpuUsage(processBefore);
      if (i < WARMUP) continue;
      arm.backendUs.push((cpuNs(arm.pid) - backendBefore) / 1_000 / SPANS);
      arm.processUs.push((used.user + used.system) / SPANS);
    }
  }
  const figures = Object.fromEntries(
    arms.map((arm) => [
      arm.label,
      {
        backendCpuUsPerSpan: { mean: mean(arm.backendUs), median: median(arm.backendUs) },
        processCpuUsPerSpan: { mean: mean(arm.processUs), median: median(arm.processUs) },
      },
    ]),
  );
  process.stdout.write(
    `${JSON.stringify({
      spansPerBatch: SPANS,
      batchesPerArm: BATCHES,
      loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number),
      arms: figures,
      note: 'CPU µs per span of one batch write in its transaction: the arm’s PostgreSQL backend, and this process (rows, JSON, driver)',
    })}\n`,
  );
} finally {
  for (const arm of arms) {
    await arm.database.close();
    await adminQuery(`drop database if exists ${arm.name} with (force)`);
  }
}
