/**
 * The resolve endpoint under load against a bare Fastify route, each in its own child process so
 * the load generator (autocannon, here) never shares their event loop. 50 connections, 10 s each,
 * after a 2 s warm-up. Prints {resolve_rps, bare_rps, ratio, resolve_p99_ms, bare_p99_ms}, and the
 * same resolve with a read-only application key limited to production and the prompt
 * (app_key_rps, app_key_p99_ms: what the key-scope check costs on the hot path), and the CPU each
 * server spends per request (µs, user + system, from /proc) with bare/resolve as cpu_ratio: the
 * figure to reason with when the machine is loaded and requests/s swing.
 * Goal: ratio ≥ 0.9, p99 < 5 ms (issue 9). Run it on a quiet machine: on a loaded one the two
 * servers and autocannon compete for the cores and the ratio means little.
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import { cpuSeconds, freePort, root, startServer, stopChild, waitHealthy } from './lib/server.ts';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = 50;
const RESOLVE_PATH = '/api/v1/prompts/x/resolve';

/**
 * Different units exercise the bucketing on every request, as real traffic would. The bare route
 * gets the same varying query (and ignores it), so the load generator, which shares the two cores,
 * does the same work in both runs.
 */
function run(url: string, path: string, headers: Record<string, string>, duration: number) {
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration,
    headers,
    requests: [
      {
        setupRequest: (req: autocannon.Request) => ({
          ...req,
          path: `${path}?env=production&unit=user-${Math.floor(Math.random() * 1e6)}`,
        }),
      },
    ],
  });
}

/**
 * A measured run: autocannon's result, and the server's CPU time per answered request in µs (from
 * /proc: user + system, so the socket writes count too). Under load the requests/s ratio is noisy;
 * the CPU a request costs the server is what a change moves.
 */
async function measured(pid: number, url: string, path: string, headers: Record<string, string>) {
  const before = cpuSeconds(pid);
  const result = await run(url, path, headers, DURATION);
  const cpuUs = ((cpuSeconds(pid) - before) * 1e6) / Math.max(1, result.requests.total);
  return { result, cpuUs: Math.round(cpuUs * 10) / 10 };
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
  // Rate limits stay on (their cost is part of the figure) with a serve budget this one client
  // cannot reach: the default (100 000 per 10 s per key) would answer 429s at full speed.
  process.env.PROMPTLINE_RATE_LIMIT_SERVE ??= '100000000/10s';
  const server = await startServer(
    process.env.BENCH_NODE_ARGS ? { nodeArgs: process.env.BENCH_NODE_ARGS.split(' ') } : {},
  );
  const { url: base, apiKey } = server;
  const barePort = await freePort();
  const bare = spawn(process.execPath, ['--input-type=module', '-e', BARE_SERVER], {
    cwd: root,
    env: { ...process.env, PORT: String(barePort) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
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
    await run(resolveUrl, RESOLVE_PATH, headers, 2);
    const { result: resolved, cpuUs: resolveCpuUs } = await measured(
      server.pid,
      resolveUrl,
      RESOLVE_PATH,
      headers,
    );

    const created = await fetch(`${base}/api/v1/api-keys`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'bench app',
        readOnly: true,
        environments: ['production'],
        promptPrefix: 'x',
      }),
    });
    if (!created.ok) throw new Error(`POST /api/v1/api-keys: ${created.status} ${await created.text()}`);
    const appHeaders = { authorization: `Bearer ${((await created.json()) as { key: string }).key}` };
    await run(resolveUrl, RESOLVE_PATH, appHeaders, 2);
    const { result: scoped, cpuUs: appKeyCpuUs } = await measured(
      server.pid,
      resolveUrl,
      RESOLVE_PATH,
      appHeaders,
    );

    const bareUrl = `http://127.0.0.1:${barePort}/bare`;
    await waitHealthy(bareUrl, bare);
    await run(bareUrl, '/bare', headers, 2);
    if (bare.pid === undefined) throw new Error('the bare server has no pid');
    const { result: bareResult, cpuUs: bareCpuUs } = await measured(bare.pid, bareUrl, '/bare', headers);

    const failures = resolved.non2xx + resolved.errors + scoped.non2xx + scoped.errors;
    const figures = {
      resolve_rps: Math.round(resolved.requests.average),
      bare_rps: Math.round(bareResult.requests.average),
      ratio: Number((resolved.requests.average / bareResult.requests.average).toFixed(3)),
      resolve_p99_ms: resolved.latency.p99,
      bare_p99_ms: bareResult.latency.p99,
      resolve_cpu_us_per_request: resolveCpuUs,
      bare_cpu_us_per_request: bareCpuUs,
      cpu_ratio: Number((bareCpuUs / resolveCpuUs).toFixed(3)),
      app_key_rps: Math.round(scoped.requests.average),
      app_key_p99_ms: scoped.latency.p99,
      app_key_cpu_us_per_request: appKeyCpuUs,
      resolve_failures: failures,
      connections: CONNECTIONS,
      duration_s: DURATION,
      load_average: loadavg().map((l) => Math.round(l * 100) / 100),
    };
    console.log(JSON.stringify(figures));
  } finally {
    await Promise.all([server.stop(), stopChild(bare)]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
