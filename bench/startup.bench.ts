/**
 * Cold start: spawns the server (`node --conditions=source packages/server/src/main.ts`) on a
 * fresh data dir and times until /healthz answers 200 (migrations and seeding included), then
 * reads the idle RSS after 2 s from /proc/<pid>/status. Goal: < 2 s, < 150 MB.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

async function once(): Promise<{ startMs: number; rssMb: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'promptline-startup-'));
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['--conditions=source', 'packages/server/src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PROMPTLINE_PORT: String(port),
      PROMPTLINE_HOST: '127.0.0.1',
      PROMPTLINE_DATA_DIR: dataDir,
      PROMPTLINE_API_KEY: 'pl_startup-bench-key-0123456789',
      PROMPTLINE_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    let startMs = Number.NaN;
    while (performance.now() - started < 30_000) {
      if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
      try {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (response.status === 200) {
          startMs = performance.now() - started;
          break;
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    if (Number.isNaN(startMs)) throw new Error('the server never became healthy');
    await new Promise((r) => setTimeout(r, 2000));
    if (child.pid === undefined) throw new Error('no pid');
    return { startMs: Math.round(startMs), rssMb: rssMb(child.pid) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
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
