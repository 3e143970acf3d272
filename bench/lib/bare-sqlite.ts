/**
 * The floor under SQLite ingestion: what the same batches cost with nothing of Promptline around
 * them. The real migrations build the schema (the spans table with its primary key and start
 * index, the FTS5 trigram search index and its trigger, the trace summaries with their indexes);
 * then `node:sqlite` is driven directly: `JSON.parse` of the body, the rows as flat parameters,
 * one prepared multi-row insert of the spans and one of the trace rows (plain inserts: every
 * trace is new), one transaction per batch. Measured side by side: the parse alone, with the
 * search index, and without it (its trigger dropped).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { createDatabase } from '../../packages/server/src/db/database.ts';
import { migrate } from '../../packages/server/src/db/migrations.ts';

interface BareSpan {
  traceId: string;
  spanId: string;
  name: string;
  startTime: number;
  endTime: number;
  status?: string;
  prompt?: { name: string; version: number; environment?: string; variant?: number };
  provider?: string;
  model?: string;
  usage?: { input: number; output: number };
  input?: unknown;
  output?: unknown;
  userId?: string;
  attributes?: unknown;
}

const SPAN_COLUMNS = 35;
const TRACE_COLUMNS = 19;
const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));

function spanValues(s: BareSpan, out: SQLInputValue[]): void {
  out.push(
    1,
    s.traceId,
    s.spanId,
    null,
    s.name,
    s.startTime,
    s.endTime,
    s.endTime - s.startTime,
    s.status ?? 'ok',
    null,
    s.prompt?.name ?? null,
    s.prompt?.version ?? null,
    s.prompt?.environment ?? null,
    s.prompt?.variant ?? null,
    null,
    s.provider ?? null,
    s.model ?? null,
    s.usage?.input ?? null,
    s.usage?.output ?? null,
    null,
    null,
    null,
    null,
    0,
    null,
    json(s.input),
    json(s.output),
    null,
    json(s.attributes),
    s.userId ?? null,
    null,
    'api',
    '2026-01-01T00:00:00.000Z',
    null,
    null,
  );
}

function traceValues(s: BareSpan, out: SQLInputValue[]): void {
  out.push(
    1,
    s.traceId,
    s.startTime,
    s.endTime,
    s.spanId,
    s.name,
    s.startTime,
    1,
    1,
    s.status === 'error' ? 1 : 0,
    s.usage?.input ?? 0,
    s.usage?.output ?? 0,
    null,
    s.prompt?.name ?? null,
    s.prompt?.version ?? null,
    s.prompt?.environment ?? null,
    s.model ?? null,
    s.userId ?? null,
    null,
  );
}

const placeholders = (rows: number, columns: number) =>
  Array(rows)
    .fill(`(${Array(columns).fill('?').join(', ')})`)
    .join(', ');

/** A fresh, migrated SQLite file opened bare, with the server's pragmas. */
async function bareDatabase(withSearchIndex: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'promptline-bare-'));
  const database = createDatabase({ dataDir: dir });
  await migrate(database);
  await database.close();
  const db = new DatabaseSync(join(dir, 'promptline.db'));
  for (const pragma of ['journal_mode = WAL', 'synchronous = NORMAL', 'cache_size = -65536'])
    db.exec(`PRAGMA ${pragma}`);
  if (!withSearchIndex) db.exec('drop trigger spans_fts_insert');
  const statements = new Map<number, [StatementSync, StatementSync]>();
  return {
    write(spans: BareSpan[]) {
      let pair = statements.get(spans.length);
      if (!pair) {
        pair = [
          db.prepare(`insert into spans values ${placeholders(spans.length, SPAN_COLUMNS)}`),
          db.prepare(`insert into traces values ${placeholders(spans.length, TRACE_COLUMNS)}`),
        ];
        statements.set(spans.length, pair);
      }
      const spanParams: SQLInputValue[] = [];
      const traceParams: SQLInputValue[] = [];
      for (const s of spans) {
        spanValues(s, spanParams);
        traceValues(s, traceParams);
      }
      db.exec('begin');
      pair[0].run(...spanParams);
      pair[1].run(...traceParams);
      db.exec('commit');
    },
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/**
 * CPU µs per span of `bodies` (after `warmup` of them) written bare, with and without the search
 * index, alternating batch by batch so both meet the same machine state; and of the parse alone.
 */
export async function bareSqliteFloor(bodies: readonly string[], warmup: number) {
  const withIndex = await bareDatabase(true);
  const withoutIndex = await bareDatabase(false);
  try {
    const used = { parse: 0, withIndex: 0, withoutIndex: 0 };
    let spans = 0;
    bodies.forEach((body, i) => {
      const measured = i >= warmup;
      const order = i % 2 === 0 ? ([withIndex, withoutIndex] as const) : ([withoutIndex, withIndex] as const);
      for (const target of order) {
        const started = cpuUs();
        const parsed = (JSON.parse(body) as { spans: BareSpan[] }).spans;
        const parsedAt = cpuUs();
        target.write(parsed);
        const done = cpuUs();
        if (!measured) continue;
        used.parse += (parsedAt - started) / 2;
        used[target === withIndex ? 'withIndex' : 'withoutIndex'] += done - started;
        if (target === withIndex) spans += parsed.length;
      }
    });
    const round = (x: number) => Math.round((x / spans) * 10) / 10;
    return {
      jsonParseUsPerSpan: round(used.parse),
      parseAndInsertUsPerSpan: round(used.withIndex),
      parseAndInsertWithoutSearchIndexUsPerSpan: round(used.withoutIndex),
    };
  } finally {
    withIndex.close();
    withoutIndex.close();
  }
}
