/**
 * Black-box tests of the server process as an operator runs it: `npm start` under a process
 * manager (systemd, Docker, PM2 signal the process they started, which is npm) and the startup
 * log. Each test starts the real start script on a temp data dir and port 0, reads the URL the
 * server prints, and checks what happens on SIGTERM and SIGINT.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Every descendant of `pid`, from /proc (children first level, then theirs). */
function descendants(pid: number): number[] {
  const found: number[] = [];
  const visit = (parent: number) => {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${parent}/task`);
    } catch {
      return;
    }
    for (const task of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const child of children.split(' ').filter(Boolean).map(Number)) {
        found.push(child);
        visit(child);
      }
    }
  };
  visit(pid);
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie has exited; only its parent has not collected it yet.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Spawns `command` from the repository root and waits until it prints the URL it listens on. */
async function start(command: string, args: string[], env: Record<string, string> = {}): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), 'promptline-process-'));
  const child = spawn(command, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PROMPTLINE_PORT: '0',
      PROMPTLINE_DATA_DIR: dataDir,
      PROMPTLINE_API_KEY: 'process-test-key-0123456789',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => {
    for (const pid of [...descendants(child.pid ?? 0), child.pid ?? 0]) {
      if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const url = /listening on (http:\/\/[^\s",]+)/.exec(stripVTControlCharacters(output))?.[1];
    if (url) return { child, url, output: () => output };
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${command} ${args.join(' ')} did not print its URL:\n${output}`);
}

/** Sends `signal` and waits (≤ 5 s) for the process and every process it started to be gone. */
async function stopWith(started: Started, signal: NodeJS.Signals) {
  const pid = started.child.pid ?? 0;
  const tree = descendants(pid);
  const exited = new Promise<number | null>((resolve) => {
    if (started.child.exitCode !== null) resolve(started.child.exitCode);
    else started.child.once('exit', (code) => resolve(code));
  });
  const sentAt = Date.now();
  started.child.kill(signal);
  const deadline = sentAt + 5_000;
  while (Date.now() < deadline && (started.child.exitCode === null || tree.some(alive))) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { code: await Promise.race([exited, Promise.resolve(null)]), orphans: tree.filter(alive) };
}

async function portClosed(url: string): Promise<boolean> {
  return fetch(`${url}/healthz`).then(
    () => false,
    () => true,
  );
}

describe('npm start under a process manager', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to npm stops the server gracefully within 5 s, leaving no orphan`, async () => {
      // --ignore-scripts runs the start script itself without prestart's build check.
      const started = await start('npm', ['start', '--ignore-scripts']);
      expect((await fetch(`${started.url}/healthz`)).status).toBe(200);
      // npm runs the server as a child (through its shell, unless the script execs it).
      expect(descendants(started.child.pid ?? 0).length).toBeGreaterThan(0);
      const stopped = await stopWith(started, signal);
      expect(stopped.orphans).toEqual([]);
      expect(started.child.exitCode ?? started.child.signalCode).not.toBeNull();
      expect(await portClosed(started.url)).toBe(true);
      expect(started.output()).toMatch(new RegExp(`${signal} received, shutting down`));
    });
  }
});

describe('promptline up under a process manager', () => {
  const bin = join(ROOT, 'packages/cli/bin/promptline.js');
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} stops the server it started within 5 s, leaving no orphan, exit 0`, async () => {
      const started = await start(process.execPath, [bin, 'up']);
      expect((await fetch(`${started.url}/healthz`)).status).toBe(200);
      const stopped = await stopWith(started, signal);
      expect(stopped.orphans).toEqual([]);
      expect(started.child.exitCode).toBe(0);
      expect(await portClosed(started.url)).toBe(true);
    });
  }
});

describe('the server log', () => {
  // The sources, so the test checks this code whether or not dist/ was rebuilt (`npm start` runs
  // the same module compiled).
  const main = ['--conditions=source', '--no-warnings', join(ROOT, 'packages/server/src/main.ts')];

  async function runAndStop(started: Started, requests: string[]): Promise<string> {
    for (const path of requests) await fetch(`${started.url}${path}`).then((r) => r.arrayBuffer());
    const stopped = await stopWith(started, 'SIGTERM');
    expect(stopped.orphans).toEqual([]);
    return started.output();
  }

  it('writes JSON lines when stdout is not a terminal: one line per request, health checks and the web app only at debug, the generated key in a banner', async () => {
    const started = await start(process.execPath, [...main], { PROMPTLINE_API_KEY: '' });
    // `/` is the web app (its index.html, or the page saying how to build it).
    const output = await runAndStop(started, ['/healthz', '/api/v1/prompts', '/', '/healthz']);
    const lines = output.trim().split('\n');
    const entries = lines.map(
      (line) => JSON.parse(line) as { level: number; msg: string; [k: string]: unknown },
    );
    expect(entries.filter((e) => e.msg.includes('/api/v1/prompts'))).toEqual([
      expect.objectContaining({
        level: 30,
        msg: expect.stringMatching(/^GET \/api\/v1\/prompts 401 [\d.]+ ms$/),
      }),
    ]);
    expect(entries.filter((e) => /^GET \/(?:healthz|assets\/|) /.test(e.msg))).toEqual([]);
    expect(entries.some((e) => /incoming request|request completed/.test(e.msg))).toBe(false);
    const banner = entries.find((e) => typeof e.generatedAdminKey === 'string');
    expect(banner?.level).toBe(40);
    expect(banner?.msg).toContain(`    ${String(banner?.generatedAdminKey)}`);
    expect(banner?.msg.split('\n').length).toBeGreaterThan(5);
    expect(entries.map((e) => e.msg)).toContain(`Promptline listening on ${started.url}`);
  });

  it('logs health checks at debug when PROMPTLINE_LOG_LEVEL=debug', async () => {
    const started = await start(process.execPath, [...main], { PROMPTLINE_LOG_LEVEL: 'debug' });
    const output = await runAndStop(started, ['/healthz']);
    const entries = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(entries.filter((e) => e.msg.startsWith('GET /healthz 200'))).toEqual([
      expect.objectContaining({ level: 20 }),
    ]);
  });

  it('is coloured, one line per request, when stdout is a terminal', async () => {
    // `script` runs the server on a pseudo-terminal, as a person's shell would.
    const command = `exec ${process.execPath} ${main.join(' ')}`;
    const started = await start('script', ['-qfec', command, '/dev/null']);
    const output = await runAndStop(started, ['/api/v1/prompts', '/healthz']);
    const plain = stripVTControlCharacters(output);
    // Colour: SGR escape sequences for the level names.
    expect(output).toContain('\u001b[32mINFO');
    expect(plain).not.toMatch(/^\{"level"/m);
    expect(plain.match(/GET \/api\/v1\/prompts 401 [\d.]+ ms/g)).toHaveLength(1);
    expect(plain).not.toContain('/healthz');
    expect(plain).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Promptline listening on http:\/\/127\.0\.0\.1:\d+/m,
    );
  });
});
