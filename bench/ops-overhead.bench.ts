/**
 * What Prometheus metrics and rate limits cost on the hot path (issue 16: "resolve keeps its speed
 * goal with metrics and rate limits on"). Two servers from the same build: one with
 * `PROMPTLINE_METRICS=off` and `PROMPTLINE_RATE_LIMIT=off`, one with both on (the serve budget
 * raised so this single client is never answered 429) and `/metrics` scraped every second, as
 * Prometheus would. Each takes the same rounds of resolves, alternating, and the figure is the
 * server process's own CPU time per resolve (from /proc), which holds on a busy machine where
 * requests per second do not. Throughput and p99 are printed too, for a quiet machine.
 *
 *   npm exec -- node --conditions=source bench/ops-overhead.bench.ts
 *   BENCH_ROUNDS=6 BENCH_REQUESTS=20000 …
 */
import autocannon from 'autocannon';
import { type BenchServer, cpuSeconds, startServer } from './lib/server.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const CONNECTIONS = 20;

async function seed(server: BenchServer) {
  const headers = { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' };
  const call = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${server.url}${path}`, { method, headers, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  };
  const version = (template: string) => ({ type: 'text', template, config: { model: 'gpt-4o-mini' } });
  await call('POST', '/api/v1/prompts', {
    name: 'x',
    version: version('Answer {{question}} for {{customer}}.'),
  });
  await call('POST', '/api/v1/prompts/x/versions', version('Answer {{question}} for {{customer}} politely.'));
  await call('PUT', '/api/v1/prompts/x/deployments/production', {
    variants: [
      { version: 2, weight: 2000 },
      { version: 1, weight: 8000 },
    ],
  });
}

/** One round of resolves with varying units; answers the server CPU µs per request and the run's figures. */
async function round(server: BenchServer, scrape: boolean) {
  const scraper = scrape
    ? setInterval(() => {
        fetch(`${server.url}/metrics`).then(
          (response) => response.arrayBuffer(),
          () => undefined,
        );
      }, 1_000)
    : undefined;
  const cpuBefore = cpuSeconds(server.pid);
  const result = await autocannon({
    url: `${server.url}/api/v1/prompts/x/resolve`,
    connections: CONNECTIONS,
    amount: REQUESTS,
    headers: { authorization: `Bearer ${server.apiKey}` },
    requests: [
      {
        setupRequest: (req: autocannon.Request) => ({
          ...req,
          path: `/api/v1/prompts/x/resolve?env=production&unit=user-${Math.floor(Math.random() * 1e6)}`,
        }),
      },
    ],
  });
  const cpu = cpuSeconds(server.pid) - cpuBefore;
  if (scraper) clearInterval(scraper);
  const failures = result.non2xx + result.errors + result.timeouts;
  if (failures > 0) throw new Error(`${failures} failed resolves (rate limited or errors)`);
  return {
    cpuUsPerRequest: (cpu * 1e6) / result.requests.total,
    rps: result.requests.average,
    p99: result.latency.p99,
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const at = (i: number) => sorted[i] ?? Number.NaN;
  return sorted.length % 2 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
};

async function main() {
  process.env.PROMPTLINE_METRICS = 'off';
  process.env.PROMPTLINE_RATE_LIMIT = 'off';
  const bare = await startServer();
  process.env.PROMPTLINE_METRICS = 'on';
  process.env.PROMPTLINE_RATE_LIMIT = 'on';
  process.env.PROMPTLINE_RATE_LIMIT_SERVE = '100000000/10s';
  const full = await startServer();
  try {
    await Promise.all([seed(bare), seed(full)]);
    // Warm-up rounds, not counted: JIT, caches, connection pools.
    await round(bare, false);
    await round(full, true);
    const off: Awaited<ReturnType<typeof round>>[] = [];
    const on: Awaited<ReturnType<typeof round>>[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      off.push(await round(bare, false));
      on.push(await round(full, true));
    }
    const offCpu = median(off.map((r) => r.cpuUsPerRequest));
    const onCpu = median(on.map((r) => r.cpuUsPerRequest));
    const metricsBody = await (await fetch(`${full.url}/metrics`)).text();
    const counted = /promptline_resolves_total|promptline_http_requests_total/.test(metricsBody);
    console.log(
      JSON.stringify({
        rounds: ROUNDS,
        requests_per_round: REQUESTS,
        connections: CONNECTIONS,
        cpu_us_per_resolve: { off: Number(offCpu.toFixed(1)), on: Number(onCpu.toFixed(1)) },
        cpu_overhead: Number((onCpu / offCpu - 1).toFixed(3)),
        rps_median: {
          off: Math.round(median(off.map((r) => r.rps))),
          on: Math.round(median(on.map((r) => r.rps))),
        },
        p99_ms_median: { off: median(off.map((r) => r.p99)), on: median(on.map((r) => r.p99)) },
        metrics_exposed_on: counted,
      }),
    );
  } finally {
    await Promise.all([bare.stop(), full.stop()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
