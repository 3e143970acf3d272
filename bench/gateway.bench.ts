/**
 * Gateway overhead: the same chat completion sent straight to a local OpenAI-compatible upstream
 * and through the gateway (a real server process, SQLite), interleaved in one run so both see the
 * same machine load. Figures: latency of non-streamed calls and time to the first streamed token,
 * p50/p99 each way, and what the gateway adds (goal: p50 < 1 ms, p99 < 5 ms).
 * Run: npm exec -- node --conditions=source bench/gateway.bench.ts   (GATEWAY_BENCH_CALLS=2000)
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServer } from './lib/server.ts';

const CALLS = Number(process.env.GATEWAY_BENCH_CALLS ?? 1_000);
const WARMUP = Math.min(200, Math.ceil(CALLS / 5));

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

const server = await startServer({ logLevel: 'warn' });
const admin = { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' };
const configured = await fetch(`${server.url}/api/v1/providers/local`, {
  method: 'PUT',
  headers: admin,
  body: JSON.stringify({ kind: 'openai-compatible', baseUrl: upstreamUrl, apiKey: 'sk-bench' }),
});
if (!configured.ok)
  throw new Error(`configuring the upstream: ${configured.status} ${await configured.text()}`);

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
type Route = typeof direct;

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

async function measure(call: (route: Route) => Promise<number>) {
  const times = { direct: [] as number[], gateway: [] as number[] };
  for (let i = 0; i < WARMUP + CALLS; i++) {
    // Interleaved, the order alternating, so drift in machine load hits both sides alike.
    const order: Array<['direct' | 'gateway', Route]> =
      i % 2 === 0
        ? [
            ['direct', direct],
            ['gateway', gateway],
          ]
        : [
            ['gateway', gateway],
            ['direct', direct],
          ];
    for (const [name, route] of order) {
      const ms = await call(route);
      if (i >= WARMUP) times[name].push(ms);
    }
  }
  const d50 = percentile(times.direct, 50);
  const d99 = percentile(times.direct, 99);
  const g50 = percentile(times.gateway, 50);
  const g99 = percentile(times.gateway, 99);
  return {
    directMs: { p50: d50, p99: d99 },
    gatewayMs: { p50: g50, p99: g99 },
    addedMs: { p50: Math.round((g50 - d50) * 1000) / 1000, p99: Math.round((g99 - d99) * 1000) / 1000 },
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
      note: 'client, upstream and the gateway process share this machine; wall-clock figures from a loaded machine are indicative only',
    }),
  );
} finally {
  await server.stop();
  upstream.close();
}
