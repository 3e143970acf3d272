/**
 * Where the CPU of trace ingestion goes: this process is sampled by V8's profiler (the inspector,
 * as `--cpu-prof` does) while `work` runs, and each sample is charged to the stage of the pipeline
 * its stack is in — the nearest stage frame from the leaf up — split, for the statements, into
 * building the SQL (Kysely), the driver and the database's own time (SQLite runs in this thread;
 * PostgreSQL's backends are measured apart from /proc).
 */
import { Session } from 'node:inspector/promises';

interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

type Rule = [stage: string, test: (frame: CallFrame) => boolean];

const fn =
  (name: string, file: string): Rule[1] =>
  (f) =>
    f.functionName === name && f.url.includes(file);
const file =
  (part: string): Rule[1] =>
  (f) =>
    f.url.includes(part);

/** Stage frames, checked on each frame from the leaf up; the first frame that matches decides. */
const STAGES: Rule[] = [
  ['commit (WAL write, FTS5 flush, checkpoint)', fn('commitTransaction', 'kysely')],
  // PostgreSQL writes spans and merges trace summaries in one statement.
  [
    'spans insert + trace merge (PostgreSQL, one statement)',
    fn('writeSpanBatchPostgres', 'traces/batch-store.ts'),
  ],
  ['spans insert (search index included)', fn('insertSpanRows', 'traces/batch-store.ts')],
  ['trace summaries merge', fn('mergeTraceRows', 'traces/batch-store.ts')],
  ['metrics rollups', fn('spansWritten', 'metrics/')],
  ['rows: span rows, summaries, sink records', file('traces/rows.ts')],
  ['redaction', fn('redactSpan', 'traces/service.ts')],
  ['times and price lookup', fn('prepare', 'traces/service.ts')],
  ['span retention setting', file('traces/settings')],
  ['live tail', file('traces/tail.ts')],
  ['validation', (f) => f.url.includes('traces/fast-check.ts') || f.url.includes('http/validation.ts')],
  ['validation', file('/zod/')],
  ['input guards (depth, NUL)', file('http/input-guards.ts')],
  ['JSON parse', (f) => f.url.includes('secure-json-parse') || f.functionName === 'defaultJsonParser'],
  ['response', (f) => f.url.includes('fastify/lib/reply.js') || f.url.includes('fast-json-stringify')],
  ['auth', file('server/src/auth/')],
];

// Composing and compiling a query; not `…-query-builder.js` itself, whose execute() is on every stack.
const SQL_BUILD = (f: CallFrame) =>
  f.url.includes('kysely') && /query-compiler|\/parser\/|operation-node/.test(f.url);
const SQLITE = (f: CallFrame) =>
  f.url.includes('db/sqlite-adapter.ts') && (f.functionName === 'run' || f.functionName === 'all');
const PG_DRIVER = (f: CallFrame) => /node_modules\/pg(-protocol)?\//.test(f.url);

function classify(stack: CallFrame[]): string {
  // The profiler's own work (stopping, serialising the profile) is not the server's.
  if (stack.some((f) => f.url === 'node:inspector')) return 'idle / program';
  for (let i = 0; i < stack.length; i++) {
    const frame = stack[i] as CallFrame;
    for (const [stage, test] of STAGES) {
      if (!test(frame)) continue;
      const below = stack.slice(0, i);
      if (below.some(SQLITE)) return `${stage}: SQLite`;
      if (below.some(SQL_BUILD)) return `${stage}: SQL build (Kysely)`;
      if (below.some(PG_DRIVER)) return `${stage}: pg driver`;
      return stage;
    }
  }
  if (stack.some(PG_DRIVER)) return 'pg driver (sockets, results)';
  if (stack.some((f) => f.url.includes('/kysely/'))) return 'Kysely (executor, results)';
  if (stack.some((f) => f.url.includes('/fastify/') || f.url.includes('/light-my-request/')))
    return 'Fastify (routing, hooks, inject)';
  const leaf = stack[0]?.functionName ?? '';
  if (leaf === '(garbage collector)') return 'garbage collection';
  if (leaf === '(idle)' || leaf === '(program)') return 'idle / program';
  // Beyond the stages: promise jobs, timers, the job runner polling, this bench building requests.
  return 'other (Node, promises)';
}

/** CPU share of each stage while `work` runs, in per cent (one decimal), largest first. */
export async function cpuBreakdown(work: () => Promise<void>): Promise<Record<string, number>> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    await work();
    const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
    return shares(profile);
  } finally {
    session.disconnect();
  }
}

function shares(profile: Profile): Record<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stageOf = new Map<number, string>();
  const totals = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    let stage = stageOf.get(id);
    if (stage === undefined) {
      const stack: CallFrame[] = [];
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const node = byId.get(cur);
        if (node) stack.push(node.callFrame);
      }
      stage = classify(stack);
      stageOf.set(id, stage);
    }
    if (stage === 'idle / program') return;

    totals.set(stage, (totals.get(stage) ?? 0) + dt);
    total += dt;
  });
  return Object.fromEntries(
    [...totals].sort((a, b) => b[1] - a[1]).map(([stage, t]) => [stage, Math.round((t / total) * 1000) / 10]),
  );
}
