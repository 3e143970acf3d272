/**
 * Live updates at scale: one server process (`main.ts`, SQLite) with N clients connected to
 * `GET /api/v1/environments/production/stream` over plain HTTP, then deployment changes. For each
 * change, the time from the PUT's response (and from sending it) to each client's `update` event;
 * the server's RSS (from /proc) before and after the clients connected.
 *
 * Run: npm exec -- node --conditions=source bench/live-updates.bench.ts [clients=1000] [changes=5]
 */
import { Agent, type IncomingMessage, request } from 'node:http';
import { createSseParser } from '@promptline/core';
import { rssMb, sleep, startServer } from './lib/server.ts';

const CLIENTS = Number(process.argv[2] ?? 1000);
const CHANGES = Number(process.argv[3] ?? 5);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round((sorted[index] ?? Number.NaN) * 100) / 100;
}

async function main(): Promise<void> {
  const server = await startServer();
  const { url: base, apiKey, pid } = server;
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const responses: IncomingMessage[] = [];

  async function call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; text: string }> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, text: await response.text() };
  }

  try {
    await call('POST', '/api/v1/prompts', {
      name: 'bench/live',
      version: { type: 'text', template: 'one {{x}}' },
    });
    await call('POST', '/api/v1/prompts/bench%2Flive/versions', { type: 'text', template: 'two {{x}}' });
    await call('PUT', '/api/v1/prompts/bench%2Flive/deployments/production', { version: 1 });
    // Warm the snapshot and the routes the way a running server would be.
    await call('GET', '/api/v1/environments/production/snapshot');
    await sleep(300);
    const rssBefore = rssMb(pid);

    // received[change][client] = performance.now() of that client's update for that change.
    const received: number[][] = Array.from({ length: CHANGES }, () =>
      new Array<number>(CLIENTS).fill(Number.NaN),
    );
    let connected = 0;
    const connectStarted = performance.now();
    const open = (index: number) =>
      new Promise<void>((resolve, reject) => {
        const req = request(
          `${base}/api/v1/environments/production/stream`,
          { agent, headers: { authorization: `Bearer ${apiKey}`, accept: 'text/event-stream' } },
          (res) => {
            if (res.statusCode !== 200) {
              reject(new Error(`stream answered ${res.statusCode}`));
              return;
            }
            responses.push(res);
            res.setEncoding('utf8');
            let first = true;
            let changesSeen = 0;
            let at = 0;
            const parser = createSseParser({
              onEvent: ({ event, data }) => {
                if (event !== 'update') return;
                if (first) {
                  first = false;
                  connected++;
                  resolve();
                  return;
                }
                // Changes are made one at a time: a client's n-th change event answers the n-th change.
                if ((JSON.parse(data) as { reason?: string }).reason !== 'change') return;
                const row = received[changesSeen++];
                if (row) row[index] = at;
              },
            });
            res.on('data', (chunk: string) => {
              at = performance.now();
              parser.push(chunk);
            });
          },
        );
        req.on('error', reject);
        req.end();
      });
    for (let i = 0; i < CLIENTS; i += 100) {
      await Promise.all(Array.from({ length: Math.min(100, CLIENTS - i) }, (_, j) => open(i + j)));
    }
    const connectMs = performance.now() - connectStarted;
    await sleep(500);
    const rssAfter = rssMb(pid);

    const fromResponse: number[] = [];
    const fromSend: number[] = [];
    const perChange: Array<{ p50: number; p99: number; max: number; missed: number }> = [];
    for (let change = 0; change < CHANGES; change++) {
      const version = change % 2 === 0 ? 2 : 1;
      const sentAt = performance.now();
      const put = await call('PUT', '/api/v1/prompts/bench%2Flive/deployments/production', { version });
      const answeredAt = performance.now();
      if (put.status !== 200) throw new Error(`deploy answered ${put.status}: ${put.text}`);
      const deadline = Date.now() + 10_000;
      const row = received[change] ?? [];
      while (row.some(Number.isNaN) && Date.now() < deadline) await sleep(20);
      const latencies = row.filter((t) => !Number.isNaN(t)).map((t) => t - answeredAt);
      fromResponse.push(...latencies);
      fromSend.push(...row.filter((t) => !Number.isNaN(t)).map((t) => t - sentAt));
      const sorted = [...latencies].sort((a, b) => a - b);
      perChange.push({
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        max: percentile(sorted, 100),
        missed: row.filter(Number.isNaN).length,
      });
      await sleep(200);
    }
    fromResponse.sort((a, b) => a - b);
    fromSend.sort((a, b) => a - b);

    console.log(
      JSON.stringify({
        benchmark: 'live-updates',
        clients: CLIENTS,
        connected,
        changes: CHANGES,
        connectAllMs: Math.round(connectMs),
        fromPutResponseMs: {
          p50: percentile(fromResponse, 50),
          p99: percentile(fromResponse, 99),
          max: percentile(fromResponse, 100),
        },
        fromPutSentMs: {
          p50: percentile(fromSend, 50),
          p99: percentile(fromSend, 99),
          max: percentile(fromSend, 100),
        },
        perChange,
        serverRssMiB: {
          before: rssBefore,
          after: rssAfter,
          perClientKiB: Math.round(((rssAfter - rssBefore) * 1024 * 10) / CLIENTS) / 10,
        },
        note: 'negative latencies: the event left right after the commit, before the PUT response reached the client',
      }),
    );
  } finally {
    for (const res of responses) res.destroy();
    agent.destroy();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
