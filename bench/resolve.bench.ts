/**
 * The resolve endpoint under load against a bare Fastify route, each in its own child process so
 * the load generator (autocannon, here) never shares their event loop. 50 connections, 10 s each,
 * after a 2 s warm-up. Prints {resolve_rps, bare_rps, ratio, resolve_p99_ms, bare_p99_ms}.
 * Goal: ratio ≥ 0.7, p99 < 10 ms.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const root = fileURLToPath(new URL('..', import.meta.url));
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = 50;

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

async function waitHealthy(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not answer within 30 s`);
}

function run(url: string, headers: Record<string, string>, duration: number, vary: boolean) {
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration,
    headers,
    // Different units exercise the bucketing on every request, as real traffic would.
    ...(vary
      ? {
          requests: [
            {
              setupRequest: (req: autocannon.Request) => ({
                ...req,
                path: `/api/v1/prompts/x/resolve?env=production&unit=user-${Math.floor(Math.random() * 1e6)}`,
              }),
            },
          ],
        }
      : {}),
  });
}

const BARE_SERVER = `
import Fastify from 'fastify';
const app = Fastify({ logger: false });
const body = { prompt: 'x', environment: 'production', variant: 0, version: 2, number: 2, semver: '1.1.0', type: 'text',
  template: 'You are a support agent. Answer {{question}} for {{customer}} politely.', config: { model: 'gpt-4o-mini' },
  variables: ['customer', 'question'], hash: '${'0'.repeat(64)}' };
app.get('/bare', async () => body);
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
`;

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'promptline-bench-'));
  const apiKey = `pl_${randomBytes(32).toString('base64url')}`;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(
    process.execPath,
    ['--conditions=source', '--no-warnings', 'packages/server/src/main.ts'],
    {
      cwd: root,
      env: {
        ...process.env,
        PROMPTLINE_PORT: String(port),
        PROMPTLINE_HOST: '127.0.0.1',
        PROMPTLINE_DATA_DIR: dataDir,
        PROMPTLINE_API_KEY: apiKey,
        PROMPTLINE_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const bbarePort = await freePort();
  const bare = spawn(process.execPath, ['--input-type=module', '-e', BARE_SERVER], {
    cwd: root,
    env: { ...process.env, PORT: String(bbarePort) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitHealthy(`${base}/healthz`, server);
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
    const call = async (method: string, path: string, body: unknown) => {
      const response = await fetch(`${base}${path}`, { method, headers, body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    };
    await call('POST', '/api/v1/prompts', {
      name: 'x',
      version: {
        type: 'text',
        template: 'You are a support agent. Answer {{question}} for {{customer}}.',
        config: { model: 'gpt-4o-mini' },
      },
    });
    await call('POST', '/api/v1/prompts/x/versions', {
      type: 'text',
      template: 'You are a support agent. Answer {{question}} for {{customer}} politely.',
      config: { model: 'gpt-4o-mini' },
    });
    await call('PUT', '/api/v1/prompts/x/deployments/production', {
      variants: [
        { version: 2, weight: 2000 },
        { version: 1, weight: 8000 },
      ],
    });
    const resolveUrl = `${base}/api/v1/prompts/x/resolve?env=production&unit=user-1`;
    await run(resolveUrl, headers, 2, true);
    const resolved = await run(resolveUrl, headers, DURATION, true);

    const bareUrl = `http://127.0.0.1:${bbarePort}/bare`;
    await waitHealthy(bareUrl, bare);
    await run(bareUrl, headers, 2, false);
    const bareResult = await run(bareUrl, headers, DURATION, false);

    const failures = resolved.non2xx + resolved.errors;
    const figures = {
      resolve_rps: Math.round(resolved.requests.average),
      bare_rps: Math.round(bareResult.requests.average),
      ratio: Number((resolved.requests.average / bareResult.requests.average).toFixed(3)),
      resolve_p99_ms: resolved.latency.p99,
      bare_p99_ms: bareResult.latency.p99,
      resolve_failures: failures,
      connections: CONNECTIONS,
      duration_s: DURATION,
    };
    console.log(JSON.stringify(figures));
  } finally {
    server.kill('SIGTERM');
    bare.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
