/**
 * Durability: writers drive version creates, deploys and dataset imports at a real server process,
 * which is killed with SIGKILL at a random moment; it is restarted on the same data and every write
 * that was acknowledged (a 2xx answer fully received) must be there, each import whole or absent
 * (no partial state), and `GET /api/v1/audit/verify` must pass. Repeated for many trials on one
 * SQLite data dir and on one fresh PostgreSQL schema (dropped at the end).
 *
 *   npm exec -- node --conditions=source bench/durability.bench.ts
 *   BENCH_DURABILITY_SQLITE=50 BENCH_DURABILITY_POSTGRES=10 npm exec -- node --conditions=source bench/durability.bench.ts
 *
 * BENCH_DURABILITY_SQLITE / _POSTGRES: trials per database (defaults 50 and 10; 0 skips one).
 * PROMPTLINE_TEST_DATABASE_URL: the PostgreSQL to use (default postgres://postgres@127.0.0.1:5432/test).
 * The schema is chosen through the URL's `options=-c search_path=<schema>` parameter (docs/reliability.md).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type BenchServer, sleep, startServer } from './lib/server.ts';

const SQLITE_TRIALS = Number(process.env.BENCH_DURABILITY_SQLITE ?? 50);
const POSTGRES_TRIALS = Number(process.env.BENCH_DURABILITY_POSTGRES ?? 10);
const POSTGRES_URL = process.env.PROMPTLINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const WRITERS = 6;
/** The kill lands uniformly between these two moments after the first acknowledged write of a trial (ms). */
const KILL_MIN_MS = 30;
const KILL_MAX_MS = 1500;
const PROMPT = 'durability';
const ENV = 'staging';
const DATASET = 'durability';
const ITEMS_PER_IMPORT = 3;

interface Acked {
  /** version number → its template */
  versions: Map<number, string>;
  /** history id a deploy answered with → version it made live (re-deploying the live version answers the existing entry) */
  deploys: Map<number, number>;
  /** import token (unique) → items in it */
  imports: Set<string>;
}

const newAcked = (): Acked => ({ versions: new Map(), deploys: new Map(), imports: new Set() });

/** Requests to `server`; `signal` aborts every request in flight when the server is killed. */
function client(server: BenchServer, signal?: AbortSignal) {
  const send = (method: string, path: string, body: string | undefined, type: string) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${server.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': type }),
      },
      ...(body === undefined ? {} : { body }),
      ...(signal ? { signal } : {}),
    });
  return {
    /** The parsed body of a 2xx answer, or undefined for anything else (a refusal or a dead server). */
    async call(method: string, path: string, body?: string, type = 'application/json'): Promise<unknown> {
      try {
        const response = await send(method, path, body, type);
        const text = await response.text();
        if (!response.ok) return undefined;
        return text ? JSON.parse(text) : null;
      } catch {
        return undefined;
      }
    },
    /** The parsed body of a 2xx answer; anything else throws. */
    async must(method: string, path: string, body?: unknown): Promise<unknown> {
      const response = await send(
        method,
        path,
        body === undefined ? undefined : JSON.stringify(body),
        'application/json',
      );
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return text ? JSON.parse(text) : null;
    },
  };
}

type Client = ReturnType<typeof client>;

const token = () => randomBytes(6).toString('hex');

/** One writer: random writes until `stop` is set; records what was acknowledged. */
async function writer(api: Client, acked: Acked, known: number[], stop: { now: boolean }) {
  while (!stop.now) {
    const kind = Math.random();
    const t = token();
    if (kind < 0.45) {
      const template = `Answer {{question}} (${t}).`;
      const result = (await api.call(
        'POST',
        `/api/v1/prompts/${PROMPT}/versions`,
        JSON.stringify({ type: 'text', template, message: t }),
      )) as { number: number } | undefined;
      if (result) {
        acked.versions.set(result.number, template);
        known.push(result.number);
      }
    } else if (kind < 0.75) {
      const version = known[Math.floor(Math.random() * known.length)] ?? 1;
      const reason = `deploy ${t}`;
      const result = (await api.call(
        'PUT',
        `/api/v1/prompts/${PROMPT}/deployments/${ENV}`,
        JSON.stringify({ version, reason }),
      )) as { historyId: number } | undefined;
      if (result) acked.deploys.set(result.historyId, version);
    } else {
      const lines = Array.from({ length: ITEMS_PER_IMPORT }, (_, i) =>
        JSON.stringify({ variables: { token: t, i }, expected: `e${i}` }),
      );
      const result = await api.call(
        'POST',
        `/api/v1/datasets/${DATASET}/import`,
        `${lines.join('\n')}\n`,
        'application/x-ndjson',
      );
      if (result) acked.imports.add(t);
    }
  }
}

interface Check {
  lostVersions: number;
  lostDeploys: number;
  lostImports: number;
  partialImports: number;
  chainOk: boolean;
  chainChecked: number;
  problems: string[];
}

/** Reads everything back from a freshly restarted server and compares it with what was acknowledged. */
async function check(api: Client, acked: Acked): Promise<Check> {
  const problems: string[] = [];
  const versions = (await api.must('GET', `/api/v1/prompts/${PROMPT}/versions`)) as {
    items: { number: number; template?: string }[];
  };
  const byNumber = new Map(versions.items.map((v) => [v.number, v.template]));
  let lostVersions = 0;
  for (const [number, template] of acked.versions) {
    if (byNumber.get(number) !== template) {
      lostVersions++;
      problems.push(`version ${number} acknowledged but ${byNumber.has(number) ? 'different' : 'missing'}`);
    }
  }
  const history = (await api.must('GET', `/api/v1/prompts/${PROMPT}/deployments/${ENV}/history`)) as {
    items: { id: number; version: number | null }[];
  };
  const entries = new Map(history.items.map((h) => [h.id, h.version]));
  let lostDeploys = 0;
  for (const [id, version] of acked.deploys) {
    if (entries.get(id) !== version) {
      lostDeploys++;
      problems.push(`deploy of version ${version} (history entry ${id}) acknowledged but missing`);
    }
  }
  const perToken = new Map<string, number>();
  let cursor: string | null = null;
  do {
    const page = (await api.must(
      'GET',
      `/api/v1/datasets/${DATASET}/items?limit=10000${cursor ? `&cursor=${cursor}` : ''}`,
    )) as { items: { variables: { token?: string } }[]; nextCursor: string | null };
    for (const item of page.items) {
      const t = item.variables.token ?? '';
      perToken.set(t, (perToken.get(t) ?? 0) + 1);
    }
    cursor = page.nextCursor;
  } while (cursor);
  let lostImports = 0;
  for (const t of acked.imports) {
    if (!perToken.has(t)) {
      lostImports++;
      problems.push(`import ${t} acknowledged but missing`);
    }
  }
  let partialImports = 0;
  for (const [t, count] of perToken) {
    if (count !== ITEMS_PER_IMPORT) {
      partialImports++;
      problems.push(`import ${t} has ${count} of ${ITEMS_PER_IMPORT} items`);
    }
  }
  const chain = (await api.must('GET', '/api/v1/audit/verify')) as {
    ok: boolean;
    checked: number;
    brokenAt: number | null;
    reason: string | null;
  };
  if (!chain.ok) problems.push(`audit chain broken at ${chain.brokenAt}: ${chain.reason}`);
  return {
    lostVersions,
    lostDeploys,
    lostImports,
    partialImports,
    chainOk: chain.ok,
    chainChecked: chain.checked,
    problems,
  };
}

async function runDialect(dialect: 'sqlite' | 'postgres', trials: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'promptline-durability-'));
  const apiKey = `pl_bench_${randomBytes(16).toString('hex')}`;
  const schema = `bench_durability_${randomBytes(4).toString('hex')}`;
  const admin = dialect === 'postgres' ? new pg.Client({ connectionString: POSTGRES_URL }) : undefined;
  if (admin) {
    await admin.connect();
    await admin.query(`create schema ${schema}`);
  }
  const databaseUrl =
    dialect === 'postgres'
      ? `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`
      : undefined;
  const start = () =>
    startServer({
      dataDir,
      apiKey,
      logLevel: 'error',
      readyTimeoutMs: 120_000,
      ...(databaseUrl ? { databaseUrl } : {}),
    });
  let keep = false;
  const all = newAcked();
  const totals = { versions: 0, deploys: 0, imports: 0 };
  const lost = { versions: 0, deploys: 0, imports: 0, partialImports: 0 };
  let chainFailures = 0;
  let lastChainChecked = 0;
  const restartMs: number[] = [];
  const problems: string[] = [];
  let server = await start();
  try {
    const setup = client(server);
    await setup.must('POST', '/api/v1/prompts', {
      name: PROMPT,
      version: { type: 'text', template: 'Answer {{question}}.' },
    });
    await setup.must('POST', '/api/v1/datasets', { name: DATASET });
    const known = [1];
    for (let trial = 0; trial < trials; trial++) {
      const abort = new AbortController();
      const writes = client(server, abort.signal);
      const acked = newAcked();
      const stop = { now: false };
      const writers = Array.from({ length: WRITERS }, () => writer(writes, acked, known, stop));
      // The kill window opens at the first acknowledged write, so a slow start still leaves writes in flight.
      const opened = performance.now();
      while (acked.versions.size + acked.deploys.size + acked.imports.size === 0) {
        if (performance.now() - opened > 60_000) throw new Error('no write was acknowledged within 60 s');
        await sleep(5);
      }
      await sleep(KILL_MIN_MS + Math.random() * (KILL_MAX_MS - KILL_MIN_MS));
      server.child.kill('SIGKILL');
      await new Promise((resolve) => server.child.once('exit', resolve));
      stop.now = true;
      abort.abort();
      await Promise.all(writers);
      totals.versions += acked.versions.size;
      totals.deploys += acked.deploys.size;
      totals.imports += acked.imports.size;
      for (const [k, v] of acked.versions) all.versions.set(k, v);
      for (const [k, v] of acked.deploys) all.deploys.set(k, v);
      for (const k of acked.imports) all.imports.add(k);

      const restarted = performance.now();
      try {
        server = await start();
      } catch (error) {
        keep = true;
        process.stderr.write(`durability: restart after trial ${trial} failed; data kept in ${dataDir}\n`);
        throw error;
      }
      restartMs.push(performance.now() - restarted);
      // This trial's writes, right after the crash that may have cut them.
      const result = await check(client(server), acked);
      lost.versions += result.lostVersions;
      lost.deploys += result.lostDeploys;
      lost.imports += result.lostImports;
      lost.partialImports += result.partialImports;
      if (!result.chainOk) chainFailures++;
      lastChainChecked = result.chainChecked;
      problems.push(...result.problems.map((p) => `trial ${trial}: ${p}`));
    }
    // Everything acknowledged in any trial is still there at the end.
    const final = await check(client(server), all);
    const finalLost = final.lostVersions + final.lostDeploys + final.lostImports + final.partialImports;
    problems.push(...final.problems.map((p) => `final: ${p}`));
    const sorted = [...restartMs].sort((a, b) => a - b);
    return {
      trials,
      ackedWrites: totals.versions + totals.deploys + totals.imports,
      acked: totals,
      lost: lost.versions + lost.deploys + lost.imports,
      lostByKind: lost,
      partialImports: lost.partialImports,
      finalCheckLost: finalLost,
      chainOk: chainFailures === 0 && final.chainOk,
      chainFailures,
      auditEventsChecked: Math.max(lastChainChecked, final.chainChecked),
      restartMs: {
        min: Math.round(sorted[0] ?? 0),
        median: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0),
        max: Math.round(sorted.at(-1) ?? 0),
      },
      problems: problems.slice(0, 20),
    };
  } finally {
    await server.stop();
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
    if (admin) {
      if (!keep) await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    }
  }
}

const out: Record<string, unknown> = { writers: WRITERS, killWindowMs: [KILL_MIN_MS, KILL_MAX_MS] };
if (SQLITE_TRIALS > 0) out.sqlite = await runDialect('sqlite', SQLITE_TRIALS);
if (POSTGRES_TRIALS > 0) out.postgres = await runDialect('postgres', POSTGRES_TRIALS);
process.stdout.write(`${JSON.stringify(out)}\n`);
