/**
 * The resolve endpoint under load against a bare Fastify route, each in its own child process so
 * the load generator (autocannon, here) never shares their event loop. 50 connections, after a 2 s
 * warm-up of each, in interleaved rounds (resolve, bare, application key; the order turns every
 * round) so that a change in the machine's speed during the run falls on every arm alike: 5 rounds
 * of 3 s by default (BENCH_ROUNDS; BENCH_DURATION is the seconds each arm gets in all, default 15).
 * Prints {resolve_rps, bare_rps, ratio, resolve_p99_ms, bare_p99_ms}: requests/s over all rounds,
 * `ratio` the median of the rounds' resolve/bare ratios (each round's pair measured seconds apart;
 * `ratio_per_round` lists them), p99 the worst round's (an upper bound of the p99 over all the
 * requests: no round has more than 1 % of its requests above it); and the
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

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DURATION = Number(process.env.BENCH_DURATION ?? 15);
const ROUND_SECONDS = Math.max(1, Math.round(DURATION / ROUNDS));
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
  const result = await run(url, path, headers, ROUND_SECONDS);
  return { result, cpuSeconds: cpuSeconds(pid) - before };
}

type Round = Awaited<ReturnType<typeof measured>>;

/** One arm's rounds together: requests/s over all of them, the worst round's p99, CPU per request. */
function summary(rounds: Round[]) {
  const requests = rounds.reduce((sum, round) => sum + round.result.requests.total, 0);
  const seconds = rounds.reduce((sum, round) => sum + round.result.duration, 0);
  const cpu = rounds.reduce((sum, round) => sum + round.cpuSeconds, 0);
  return {
    rps: Math.round(requests / seconds),
    p99: Math.max(...rounds.map((round) => round.result.latency.p99)),
    cpuUs: Math.round(((cpu * 1e6) / Math.max(1, requests)) * 10) / 10,
    failures: rounds.reduce((sum, round) => sum + round.result.non2xx + round.result.errors, 0),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
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
    const bareUrl = `http://127.0.0.1:${barePort}/bare`;
    await waitHealthy(bareUrl, bare);
    if (bare.pid === undefined) throw new Error('the bare server has no pid');
    const barePid = bare.pid;

    const arms = {
      resolve: () => measured(server.pid, resolveUrl, RESOLVE_PATH, headers),
      bare: () => measured(barePid, bareUrl, '/bare', headers),
      appKey: () => measured(server.pid, resolveUrl, RESOLVE_PATH, appHeaders),
    };
    await run(resolveUrl, RESOLVE_PATH, headers, 2);
    await run(bareUrl, '/bare', headers, 2);
    await run(resolveUrl, RESOLVE_PATH, appHeaders, 2);
    const order = Object.keys(arms) as (keyof typeof arms)[];
    const rounds: Record<keyof typeof arms, Round[]> = { resolve: [], bare: [], appKey: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // Turn the order each round, so no arm always runs right after the same other one.
      for (let i = 0; i < order.length; i++) {
        const arm = order[(round + i) % order.length] as keyof typeof arms;
        rounds[arm].push(await arms[arm]());
      }
    }
    const resolved = summary(rounds.resolve);
    const bareSummary = summary(rounds.bare);
    const scoped = summary(rounds.appKey);
    const perRound = rounds.resolve.map((round, i) =>
      Number((round.result.requests.total / (rounds.bare[i]?.result.requests.total ?? 1)).toFixed(3)),
    );
    const figures = {
      resolve_rps: resolved.rps,
      bare_rps: bareSummary.rps,
      ratio: Number(median(perRound).toFixed(3)),
      ratio_per_round: perRound,
      ratio_overall: Number((resolved.rps / bareSummary.rps).toFixed(3)),
      resolve_p99_ms: resolved.p99,
      bare_p99_ms: bareSummary.p99,
      resolve_cpu_us_per_request: resolved.cpuUs,
      bare_cpu_us_per_request: bareSummary.cpuUs,
      cpu_ratio: Number((bareSummary.cpuUs / resolved.cpuUs).toFixed(3)),
      app_key_rps: scoped.rps,
      app_key_p99_ms: scoped.p99,
      app_key_cpu_us_per_request: scoped.cpuUs,
      resolve_failures: resolved.failures + scoped.failures,
      connections: CONNECTIONS,
      rounds: ROUNDS,
      round_s: ROUND_SECONDS,
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
