/**
 * Export and import of a large project (issue 16): 1 000 prompts × 20 versions, 100 datasets ×
 * 1 000 items and 100 000 eval results at `--scale 1` (the default); `--scale 0.01` is a quick
 * check. The data is written straight into the SQLite file of a stopped server (the API would
 * take far longer than what is measured), then the server is started again and
 * `GET /api/v1/export` is streamed to a file; a second, fresh server (SQLite, or PostgreSQL with
 * `--target postgres://…`) takes it through `POST /api/v1/import`. Prints wall time, bytes and the
 * peak RSS of each server process (sampled every 50 ms) as JSON. Wall-clock figures are only
 * meaningful on a quiet machine.
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { rssMb, startServer } from './lib/server.ts';

const arg = (name: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
};
const scale = Number(arg('scale') ?? '1');
const targetUrl = arg('target');
const PROMPTS = Math.max(1, Math.round(1_000 * scale));
const VERSIONS = 20;
const DATASETS = Math.max(1, Math.round(100 * scale));
const ITEMS = 1_000;
const RESULTS = Math.max(1, Math.round(100_000 * scale));

/** Fills every NOT NULL column without a default that `row` leaves out (0 or ''). */
function inserter(db: DatabaseSync, table: string, given: string[]) {
  const info = db.prepare(`pragma table_info(${table})`).all() as {
    name: string;
    type: string;
    notnull: number;
    dflt_value: unknown;
    pk: number;
  }[];
  const fill = info.filter((c) => c.notnull && c.dflt_value === null && !c.pk && !given.includes(c.name));
  const columns = [...given, ...fill.map((c) => c.name)];
  const statement = db.prepare(
    `insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')}) returning id`,
  );
  const defaults = fill.map((c) => (/int|real|double/i.test(c.type) ? 0 : ''));
  return (values: (string | number | null)[]) =>
    Number((statement.get(...values, ...defaults) as { id: number }).id);
}

function generate(file: string): number {
  const db = new DatabaseSync(file);
  const at = new Date().toISOString();
  db.exec('begin');
  const prompt = inserter(db, 'prompts', [
    'project_id',
    'name',
    'description',
    'owner',
    'tags',
    'created_at',
    'updated_at',
    'latest_version',
  ]);
  const version = inserter(db, 'versions', [
    'project_id',
    'prompt_id',
    'number',
    'semver',
    'type',
    'template',
    'config',
    'variables',
    'message',
    'author',
    'created_at',
    'hash',
  ]);
  const dataset = inserter(db, 'datasets', [
    'project_id',
    'name',
    'description',
    'revision',
    'next_item_id',
    'created_by',
    'created_at',
    'updated_at',
  ]);
  const item = inserter(db, 'dataset_items', [
    'dataset_id',
    'item_id',
    'valid_from',
    'variables',
    'expected',
    'metadata',
    'created_at',
  ]);
  const run = inserter(db, 'eval_runs', [
    'project_id',
    'prompt',
    'source',
    'status',
    'spec',
    'created_by',
    'created_at',
    'heartbeat_at',
  ]);
  const result = inserter(db, 'eval_results', [
    'run_id',
    'case_index',
    'repeat_index',
    'version',
    'prompt_label',
    'model',
    'case_key',
    'vars',
    'output',
    'pass',
    'score',
    'reason',
    'latency_ms',
    'cached',
    'assertions',
  ]);
  let rows = 0;
  for (let p = 0; p < PROMPTS; p++) {
    const id = prompt([1, `bench/prompt-${p}`, 'generated', 'bench', '[]', at, at, VERSIONS]);
    for (let v = 1; v <= VERSIONS; v++) {
      const template = `You are prompt ${p}, version ${v}. Answer {{question}} about {{topic}} in ${v} sentences.`;
      version([
        1,
        id,
        v,
        `1.${v}.0`,
        'text',
        template,
        '{}',
        '["question","topic"]',
        `v${v}`,
        'bench',
        at,
        `${p}-${v}`.padEnd(64, '0'),
      ]);
      rows++;
    }
    rows++;
  }
  for (let d = 0; d < DATASETS; d++) {
    const id = dataset([1, `bench-${d}`, 'generated', 1, ITEMS + 1, 'bench', at, at]);
    for (let i = 1; i <= ITEMS; i++) {
      item([id, i, 1, JSON.stringify({ question: `q${i}`, topic: `t${d}` }), `expected ${i}`, '{}', at]);
      rows++;
    }
    rows++;
  }
  const runs = Math.max(1, Math.ceil(RESULTS / 1_000));
  let made = 0;
  for (let r = 0; r < runs; r++) {
    const id = run([1, 'bench/prompt-0', 'server', 'completed', '{}', 'bench', at, at]);
    rows++;
    for (let i = 0; i < 1_000 && made < RESULTS; i++, made++) {
      result([
        id,
        i,
        0,
        1,
        'bench/prompt-0@1',
        'mock/echo',
        `case-${i}`,
        '{"question":"q"}',
        `output ${i} `.repeat(8),
        1,
        1,
        'ok',
        12.5,
        0,
        '[]',
      ]);
      rows++;
    }
  }
  db.exec('commit');
  db.close();
  return rows;
}

/** Runs `work` while sampling the RSS of `pid`; answers its time and the peak. */
async function measured<T>(pid: number, work: () => Promise<T>) {
  let peak = rssMb(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 50);
  const started = performance.now();
  try {
    const value = await work();
    return { value, seconds: (performance.now() - started) / 1000, peakRssMb: Math.max(peak, rssMb(pid)) };
  } finally {
    clearInterval(timer);
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'promptline-export-bench-'));
const apiKey = `pl_bench_export_${Date.now()}`;
const work = mkdtempSync(join(tmpdir(), 'promptline-export-file-'));
const file = join(work, 'project.ndjson');
try {
  // First start: migrations and the default project; then the rows go straight into the file.
  const first = await startServer({ dataDir, apiKey });
  await first.stop();
  const generatedRows = generate(join(dataDir, 'promptline.db'));

  const source = await startServer({ dataDir, apiKey });
  const idleSourceMb = rssMb(source.pid);
  const exported = await measured(source.pid, async () => {
    const response = await fetch(`${source.url}/api/v1/export`, {
      headers: { authorization: `Bearer ${source.apiKey}`, 'accept-encoding': 'identity' },
    });
    if (!response.ok || !response.body) throw new Error(`export answered ${response.status}`);
    await pipeline(
      Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>),
      createWriteStream(file),
    );
  });
  await source.stop();

  const target = await startServer(targetUrl ? { databaseUrl: targetUrl } : {});
  const idleTargetMb = rssMb(target.pid);
  const imported = await measured(target.pid, async () => {
    const response = await fetch(`${target.url}/api/v1/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${target.apiKey}`, 'content-type': 'application/x-ndjson' },
      body: Readable.toWeb(createReadStream(file)) as unknown as ReadableStream<Uint8Array>,
      duplex: 'half',
    } as RequestInit);
    const body = (await response.json()) as { rows?: Record<string, number>; detail?: string };
    if (!response.ok) throw new Error(`import answered ${response.status}: ${body.detail}`);
    return body.rows ?? {};
  });
  await target.stop();

  console.log(
    JSON.stringify({
      scale,
      project: {
        prompts: PROMPTS,
        versions: PROMPTS * VERSIONS,
        datasets: DATASETS,
        items: DATASETS * ITEMS,
        evalResults: RESULTS,
      },
      generatedRows,
      fileMb: Number((statSync(file).size / 1024 / 1024).toFixed(1)),
      export: {
        seconds: Number(exported.seconds.toFixed(2)),
        peakRssMb: exported.peakRssMb,
        idleRssMb: idleSourceMb,
      },
      import: {
        target: targetUrl ? 'postgres' : 'sqlite',
        seconds: Number(imported.seconds.toFixed(2)),
        peakRssMb: imported.peakRssMb,
        idleRssMb: idleTargetMb,
        rows: Object.values(imported.value).reduce((a, b) => a + b, 0),
      },
    }),
  );
} finally {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}
