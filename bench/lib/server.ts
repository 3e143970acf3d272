/**
 * What the benches that measure a real server share: a free port, the server (`main.ts`) started
 * as a child process on a fresh SQLite data dir and awaited on /healthz, and its RSS from /proc.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: benches spawn their children from here. */
export const root = fileURLToPath(new URL('../..', import.meta.url));

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A port nothing listens on right now (the OS picks it; the probe is closed before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process in MiB (one decimal), from /proc/<pid>/status. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0; // the process has exited: it uses no more CPU
  }
}

/** Polls `url` until it answers 2xx; fails early when `child` exits, or after `timeoutMs`. */
export async function waitHealthy(
  url: string,
  child: ChildProcess,
  pollMs = 50,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(pollMs);
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
}

/** Kills `child` and resolves once it has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** A Promptline server running in a child process. */
export interface BenchServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  apiKey: string;
  pid: number;
  /** The server's process (benches that kill it on purpose use it). */
  child: ChildProcess;
  /** Milliseconds from spawning the process to the first healthy /healthz answer. */
  readyMs: number;
  /** Stops the server and removes its data dir (unless the caller gave the data dir). */
  stop(): Promise<void>;
}

/**
 * Starts `packages/server/src/main.ts` on a free port and a fresh temp data dir (SQLite) and waits
 * until /healthz answers. A caller that restarts a server on the same data passes `dataDir`,
 * `apiKey` and, for PostgreSQL, `databaseUrl`.
 */
export async function startServer(
  options: {
    logLevel?: string;
    pollMs?: number;
    /** `source` (TypeScript through type stripping, the default) or `dist` (what `npm start` runs, after `tsc -b`). */
    entry?: 'source' | 'dist';
    /** An existing data dir, kept on stop; default a fresh temp dir removed on stop. */
    dataDir?: string;
    /** `postgres://…` for PostgreSQL; default SQLite in the data dir. */
    databaseUrl?: string;
    /** The bootstrap admin key; default a random one. */
    apiKey?: string;
    /** How long to wait for the first healthy answer (default 30 s). */
    readyTimeoutMs?: number;
    /** Extra Node flags for the server process (`--cpu-prof` to profile it). */
    nodeArgs?: string[];
  } = {},
): Promise<BenchServer> {
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'promptline-bench-'));
  const port = await freePort();
  const apiKey = options.apiKey ?? `pl_bench_${randomBytes(16).toString('hex')}`;
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      ...(options.entry === 'dist'
        ? ['--no-warnings', 'packages/server/dist/main.js']
        : ['--conditions=source', '--no-warnings', 'packages/server/src/main.ts']),
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        PROMPTLINE_PORT: String(port),
        PROMPTLINE_HOST: '127.0.0.1',
        PROMPTLINE_DATA_DIR: dataDir,
        PROMPTLINE_DATABASE_URL: options.databaseUrl ?? '',
        PROMPTLINE_API_KEY: apiKey,
        PROMPTLINE_LOG_LEVEL: options.logLevel ?? 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const stop = async () => {
    await stopChild(child);
    if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitHealthy(`${url}/healthz`, child, options.pollMs, options.readyTimeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  const readyMs = performance.now() - started;
  if (child.pid === undefined) throw new Error('the server process has no pid');
  return { url, apiKey, pid: child.pid, child, readyMs, stop };
}
