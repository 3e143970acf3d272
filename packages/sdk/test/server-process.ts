/**
 * The Promptline server as a real child process (`packages/server/src/main.ts`, exactly what
 * `npm start` runs), for tests that must survive killing and restarting it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** The PostgreSQL every test machine has (trust auth). */
export const POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** A port nobody listens on right now: listen on 0, read it, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** An admin key that satisfies PROMPTLINE_API_KEY (≥ 16 characters). */
export function randomApiKey(): string {
  return `pl_test_${randomBytes(16).toString('hex')}`;
}

export interface ServerProcessOptions {
  port: number;
  dataDir: string;
  apiKey: string;
  /** `postgres://…`; SQLite in `dataDir` without one. */
  databaseUrl?: string;
}

export interface ServerProcess {
  url: string;
  pid: number;
  /** What the process wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  /** Sends `signal` and resolves once the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Calls the REST API as the admin key; throws with the problem body on a non-2xx answer. */
  api<T = unknown>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T>;
}

/**
 * Spawns the server and resolves once `GET /healthz` answers 200.
 * @throws Error with the process output when it exits or is not healthy within `startTimeoutMs`.
 */
export async function startServerProcess(
  options: ServerProcessOptions,
  startTimeoutMs = 90_000,
): Promise<ServerProcess> {
  const url = `http://127.0.0.1:${options.port}`;
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=source', 'packages/server/src/main.ts'],
    {
      cwd: root,
      env: {
        ...process.env,
        PROMPTLINE_PORT: String(options.port),
        PROMPTLINE_HOST: '127.0.0.1',
        PROMPTLINE_DATA_DIR: options.dataDir,
        PROMPTLINE_API_KEY: options.apiKey,
        // Blank means unset to the server: nothing inherited from the developer's shell leaks in.
        PROMPTLINE_DATABASE_URL: options.databaseUrl ?? '',
        PROMPTLINE_SECRET_KEY: '',
        PROMPTLINE_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });

  const handle: ServerProcess = {
    url,
    pid: child.pid ?? 0,
    output: () => output,
    async kill(signal) {
      if (!hasExited) child.kill(signal);
      await exited;
    },
    async api<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
      return (text === '' ? undefined : JSON.parse(text)) as T;
    },
  };

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (hasExited) throw new Error(`the server process exited during start:\n${output}`);
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      if (response.ok) return handle;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await handle.kill('SIGKILL');
      throw new Error(`the server was not healthy within ${startTimeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A fresh PostgreSQL database for one server; `drop()` removes it (the server must be stopped). */
export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `sdk_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        // FORCE: a killed server's connections may linger for a moment on the PostgreSQL side.
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
