/**
 * Cold start: spawns the server (`node --conditions=source packages/server/src/main.ts`) on a
 * fresh data dir and times until /healthz answers 200 (migrations and seeding included), then
 * reads the idle RSS after 2 s from /proc/<pid>/status. Goal: < 2 s, < 150 MB.
 */
import { rssMb, sleep, startServer } from './lib/server.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

async function once(): Promise<{ startMs: number; rssMb: number }> {
  // Polled every 10 ms: the figure is the time to the first healthy answer, so polls must be fine-grained.
  const server = await startServer({ pollMs: 10 });
  try {
    await sleep(2000);
    return { startMs: Math.round(server.readyMs), rssMb: rssMb(server.pid) };
  } finally {
    await server.stop();
  }
}

const runs = [];
for (let i = 0; i < RUNS; i++) runs.push(await once());
const starts = runs.map((r) => r.startMs).sort((a, b) => a - b);
console.log(
  JSON.stringify({
    cold_start_ms_median: starts[Math.floor(starts.length / 2)],
    cold_start_ms_max: starts.at(-1),
    idle_rss_mb_max: Math.max(...runs.map((r) => r.rssMb)),
    runs,
  }),
);
