/**
 * Cold start: spawns the server on a fresh data dir and times until /healthz answers 200
 * (migrations and seeding included), then reads the idle RSS after 2 s from /proc/<pid>/status.
 * Measured for what `npm start` runs (the built `packages/server/dist/main.js`; built first with
 * `tsc -b` if needed) and for the TypeScript sources run through type stripping (what tests and
 * `promptline up` in the repo run). Goal: < 2 s, < 150 MB.
 */
import { execFileSync } from 'node:child_process';
import { root, rssMb, sleep, startServer } from './lib/server.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

async function once(entry: 'source' | 'dist'): Promise<{ startMs: number; rssMb: number }> {
  // Polled every 10 ms: the figure is the time to the first healthy answer, so polls must be fine-grained.
  const server = await startServer({ pollMs: 10, entry });
  try {
    await sleep(2000);
    return { startMs: Math.round(server.readyMs), rssMb: rssMb(server.pid) };
  } finally {
    await server.stop();
  }
}

function measure(entry: 'source' | 'dist') {
  return async () => {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await once(entry));
    const starts = runs.map((r) => r.startMs).sort((a, b) => a - b);
    return {
      cold_start_ms_median: starts[Math.floor(starts.length / 2)],
      cold_start_ms_max: starts.at(-1),
      idle_rss_mb_max: Math.max(...runs.map((r) => r.rssMb)),
      runs,
    };
  };
}

// Incremental: a no-op when dist is current, as in `npm start`'s prestart.
execFileSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-b'], {
  cwd: root,
  stdio: 'inherit',
});
const npmStart = await measure('dist')();
const source = await measure('source')();
console.log(JSON.stringify({ npm_start: npmStart, typescript_sources: source }));
