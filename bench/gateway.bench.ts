/**
 * Gateway overhead: the same chat completion sent straight to a local OpenAI-compatible upstream,
 * through a bare Fastify proxy (its own process: fetch to the upstream, the answer passed on, the
 * stream piped — the least any Node proxy does), and through the gateway (a real server process,
 * SQLite), interleaved in one run so all three see the same machine load. Figures: latency of
 * non-streamed calls and time to the first streamed token, p50/p99 each way; what the gateway and
 * the bare proxy add over direct (goal for the gateway: p50 < 1 ms, p99 < 5 ms), and what the
 * gateway adds over the bare proxy (its own work: auth, budgets, routing, spans); the CPU each
 * process spends per call (µs, from /proc), and the load average.
 * On a loaded machine the added p99 is mostly scheduling: the bare proxy's shows how much.
 * Run: npm run bench -- gateway   (GATEWAY_BENCH_CALLS=2000; GATEWAY_BENCH_CPU_PROF=<dir> writes
 * the gateway process's V8 CPU profile there, `--cpu-prof`, when it stops)
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { cpuSeconds, freePort, root, startServer, stopChild, waitHealthy } from './lib/server.ts';

const CALLS = Number(process.env.GATEWAY_BENCH_CALLS ?? 1_000);
const WARMUP = Math.min(200, Math.ceil(CALLS / 5));
const CPU_PROF_DIR = process.env.GATEWAY_BENCH_CPU_PROF;

const completion = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'gpt-4o-mini',
  choices: [
    { index: 0, message: { role: 'assistant', content: 'Hello from the bench.' }, finish_reason: 'stop' },
  ],
  usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
});
const frame = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const usageFrame = `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 } })}\n\n`;

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

// The upstream answers at once; a stream sends its first token at once and the rest 5 ms later.
const upstream = createServer(async (req, res) => {
  const body = JSON.parse(await readBody(req)) as { stream?: boolean };
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(completion);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(frame({ role: 'assistant', content: 'Hello' }));
  setTimeout(() => {
    res.write(frame({ content: ' there' }));
    res.write(frame({}, 'stop'));
    res.end(`${usageFrame}data: [DONE]\n\n`);
  }, 5);
});
upstream.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;

const server = await startServer({
  logLevel: 'warn',
  ...(CPU_PROF_DIR ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] } : {}),
});
const admin = { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' };
const configured = await fetch(`${server.url}/api/v1/providers/local`, {
  method: 'PUT',
  headers: admin,
  body: JSON.stringify({ kind: 'openai-compatible', baseUrl: upstreamUrl, apiKey: 'sk-bench' }),
});
if (!configured.ok)
  throw new Error(`configuring the upstream: ${configured.status} ${await configured.text()}`);

/** The bare baseline: a Fastify route that forwards the body with fetch and passes the answer on. */
const BARE_PROXY = `
import Fastify from 'fastify';
import { Readable } from 'node:stream';
const upstream = process.env.UPSTREAM;
const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
app.get('/healthz', async () => ({ ok: true }));
app.post('/v1/chat/completions', async (request, reply) => {
  const body = request.body;
  const response = await fetch(upstream + '/chat/completions', {
    method: 'POST',
    headers: { authorization: 'Bearer sk-bench', 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, model: 'gpt-4o-mini' }),
  });
  reply.code(response.status).type(response.headers.get('content-type') ?? 'application/json');
  if (body.stream) return reply.send(Readable.fromWeb(response.body));
  return reply.send(await response.text());
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
`;
const proxyPort = await freePort();
const proxyProcess = spawn(process.execPath, ['--input-type=module', '-e', BARE_PROXY], {
  cwd: root,
  env: { ...process.env, PORT: String(proxyPort), UPSTREAM: upstreamUrl },
  stdio: ['ignore', 'ignore', 'inherit'],
});
await waitHealthy(`http://127.0.0.1:${proxyPort}/healthz`, proxyProcess);

const messages = [{ role: 'user', content: 'Say hello.' }];
const direct = {
  url: `${upstreamUrl}/chat/completions`,
  headers: { authorization: 'Bearer sk-bench', 'content-type': 'application/json' },
  model: 'gpt-4o-mini',
};
const gateway = {
  url: `${server.url}/gateway/v1/chat/completions`,
  headers: admin,
  model: 'local/gpt-4o-mini',
};
const proxy = {
  url: `http://127.0.0.1:${proxyPort}/v1/chat/completions`,
  headers: { 'content-type': 'application/json' },
  model: 'gpt-4o-mini',
};
type Route = { url: string; headers: Record<string, string>; model: string };
const ROUTES = { direct, proxy, gateway };
type RouteName = keyof typeof ROUTES;
const NAMES = Object.keys(ROUTES) as RouteName[];

async function nonStreamed(route: Route): Promise<number> {
  const started = performance.now();
  const response = await fetch(route.url, {
    method: 'POST',
    headers: route.headers,
    body: JSON.stringify({ model: route.model, messages }),
  });
  await response.text();
  if (!response.ok) throw new Error(`non-streamed call answered ${response.status}`);
  return performance.now() - started;
}

/** Time until the first chunk carrying answer text reaches the client; the rest is drained. */
async function firstToken(route: Route): Promise<number> {
  const started = performance.now();
  const response = await fetch(route.url, {
    method: 'POST',
    headers: route.headers,
    body: JSON.stringify({ model: route.model, messages, stream: true }),
  });
  if (!response.ok || response.body === null) throw new Error(`streamed call answered ${response.status}`);
  const decoder = new TextDecoder();
  let seen = '';
  let ttft: number | undefined;
  const reader = response.body.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    if (ttft === undefined) {
      seen += decoder.decode(next.value, { stream: true });
      if (seen.includes('"content":"Hello"')) ttft = performance.now() - started;
    }
  }
  if (ttft === undefined) throw new Error('no token arrived');
  return ttft;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round((sorted[index] ?? Number.NaN) * 1000) / 1000;
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

async function measure(call: (route: Route) => Promise<number>) {
  const times: Record<RouteName, number[]> = { direct: [], proxy: [], gateway: [] };
  const pids = { proxy: proxyProcess.pid ?? 0, gateway: server.pid };
  const cpu = { proxy: 0, gateway: 0 };
  for (let i = 0; i < WARMUP + CALLS; i++) {
    // Interleaved, the order rotating, so drift in machine load hits every route alike.
    for (let k = 0; k < NAMES.length; k++) {
      const name = NAMES[(i + k) % NAMES.length] as RouteName;
      const before = name === 'direct' ? 0 : cpuSeconds(pids[name]);
      const ms = await call(ROUTES[name]);
      if (i < WARMUP) continue;
      times[name].push(ms);
      if (name !== 'direct') cpu[name] += cpuSeconds(pids[name]) - before;
    }
  }
  const p = (name: RouteName) => ({ p50: percentile(times[name], 50), p99: percentile(times[name], 99) });
  const d = p('direct');
  const x = p('proxy');
  const g = p('gateway');
  return {
    directMs: d,
    proxyMs: x,
    gatewayMs: g,
    addedMs: { p50: round3(g.p50 - d.p50), p99: round3(g.p99 - d.p99) },
    proxyAddedMs: { p50: round3(x.p50 - d.p50), p99: round3(x.p99 - d.p99) },
    gatewayOverProxyMs: { p50: round3(g.p50 - x.p50), p99: round3(g.p99 - x.p99) },
    // /proc counts CPU in 10 ms ticks: summed over the calls, divided once.
    cpuUsPerCall: {
      proxy: Math.round((cpu.proxy * 1e6) / CALLS),
      gateway: Math.round((cpu.gateway * 1e6) / CALLS),
    },
  };
}

try {
  const nonStreaming = await measure(nonStreamed);
  const timeToFirstToken = await measure(firstToken);
  console.log(
    JSON.stringify({
      calls: CALLS,
      warmup: WARMUP,
      nonStreaming,
      timeToFirstToken,
      goal: { addedP50Ms: 1, addedP99Ms: 5 },
      loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
      note: 'client, upstream and the gateway process share this machine; wall-clock figures from a loaded machine are indicative only',
    }),
  );
} finally {
  await Promise.all([server.stop(), stopChild(proxyProcess)]);
  upstream.close();
}
