/**
 * Soak: N minutes of mixed load on a real server process (`main.ts`, SQLite): resolves at a steady
 * rate (autocannon, one run per minute so each minute has its own latency figures), writes (version
 * creates and deploys) from a few sequential writers, and SSE clients on the environment's stream
 * that connect, stay a random few seconds and leave. The server's RSS is sampled every 5 s. Prints
 * each minute's figures and the first and last minute side by side, the error counts, and whether
 * the server is still healthy with a valid audit chain at the end.
 *
 *   npm exec -- node --conditions=source bench/soak.bench.ts
 *   BENCH_SOAK_MINUTES=1 npm exec -- node --conditions=source bench/soak.bench.ts
 *
 * BENCH_SOAK_MINUTES (default 10, fractions allowed), BENCH_SOAK_RPS (resolves per second, default
 * 200), BENCH_SOAK_SSE (SSE clients at any moment, default 50), BENCH_SOAK_WRITERS (default 2).
 */
import { type IncomingMessage, request } from 'node:http';
import autocannon from 'autocannon';
import { rssMb, sleep, startServer } from './lib/server.ts';

const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 10);
const RPS = Number(process.env.BENCH_SOAK_RPS ?? 200);
const SSE_CLIENTS = Number(process.env.BENCH_SOAK_SSE ?? 50);
const WRITERS = Number(process.env.BENCH_SOAK_WRITERS ?? 2);
const SEGMENT_S = Math.min(60, Math.max(5, Math.round(MINUTES * 60)));
const SEGMENTS = Math.max(1, Math.round((MINUTES * 60) / SEGMENT_S));
const PROMPT = 'soak';
const ENV = 'staging';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round((sorted[index] ?? Number.NaN) * 10) / 10;
}

interface Segment {
  minute: number;
  resolves: number;
  resolveRps: number;
  resolveP50Ms: number;
  resolveP99Ms: number;
  resolveMaxMs: number;
  resolveErrors: number;
  writes: number;
  writeP99Ms: number;
  writeErrors: number;
  sseConnects: number;
  sseEvents: number;
  sseErrors: number;
  rssMb: { avg: number; max: number };
}

const server = await startServer({ logLevel: 'warn' });
const { url: base, apiKey, pid } = server;
const auth = { authorization: `Bearer ${apiKey}` };

async function call(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${base}${path}`, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function must(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await call(method, path, body);
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** What the current minute has seen so far; swapped out at each minute's end. */
let current = {
  writeMs: [] as number[],
  writeErrors: 0,
  sseConnects: 0,
  sseEvents: 0,
  sseErrors: 0,
  rss: [] as number[],
};
const fresh = () => ({ writeMs: [], writeErrors: 0, sseConnects: 0, sseEvents: 0, sseErrors: 0, rss: [] });
const stop = { now: false };

/** Refused or failed writes by status and code, over the whole run. */
const writeErrorKinds: Record<string, number> = {};
function noteWriteError(status: number, code: string | undefined) {
  current.writeErrors++;
  const kind = `${status} ${code ?? ''}`.trim();
  writeErrorKinds[kind] = (writeErrorKinds[kind] ?? 0) + 1;
}

/** Sequential writes: a new version, then deploying a random recent one. */
async function writer(): Promise<void> {
  let latest = 2;
  while (!stop.now) {
    const started = performance.now();
    try {
      if (Math.random() < 0.5) {
        const response = await call('POST', `/api/v1/prompts/${PROMPT}/versions`, {
          type: 'text',
          template: `Answer {{question}} for {{customer}} (${Math.random().toString(36).slice(2)}).`,
        });
        const body = (await response.json()) as { number?: number; code?: string };
        if (!response.ok) noteWriteError(response.status, body.code);
        else latest = Math.max(latest, body.number ?? latest);
      } else {
        const version = Math.max(1, latest - Math.floor(Math.random() * 3));
        // A 20/80 rollout of a recent version against version 1 (or version 1 alone).
        const response = await call(
          'PUT',
          `/api/v1/prompts/${PROMPT}/deployments/${ENV}`,
          version === 1
            ? { version: 1 }
            : {
                variants: [
                  { version, weight: 2000 },
                  { version: 1, weight: 8000 },
                ],
              },
        );
        const body = (await response.json()) as { code?: string };
        if (!response.ok) noteWriteError(response.status, body.code);
      }
      current.writeMs.push(performance.now() - started);
    } catch (error) {
      noteWriteError(0, String(error));
    }
    await sleep(100);
  }
}

/** One SSE client slot: connect, read events for 1–10 s, leave, again. */
async function sseClient(): Promise<void> {
  while (!stop.now) {
    const stay = 1000 + Math.random() * 9000;
    await new Promise<void>((resolve) => {
      const req = request(
        `${base}/api/v1/environments/${ENV}/stream`,
        { headers: { ...auth, accept: 'text/event-stream' } },
        (res: IncomingMessage) => {
          if (res.statusCode !== 200) {
            current.sseErrors++;
            res.resume();
            res.on('end', resolve);
            return;
          }
          current.sseConnects++;
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            current.sseEvents += chunk.split('event: update').length - 1;
          });
          res.on('error', () => {});
          res.on('close', resolve);
          setTimeout(() => req.destroy(), stay);
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        // Leaving on purpose destroys the socket; anything else is an error.
        if (error.code !== 'ECONNRESET' && error.message !== 'socket hang up') current.sseErrors++;
        resolve();
      });
      req.end();
    });
  }
}

const segments: Segment[] = [];
let finalHealth: unknown;
try {
  await must('POST', '/api/v1/prompts', {
    name: PROMPT,
    version: { type: 'text', template: 'Answer {{question}} for {{customer}}.' },
  });
  await must('POST', `/api/v1/prompts/${PROMPT}/versions`, {
    type: 'text',
    template: 'Answer {{question}} for {{customer}} politely.',
  });
  await must('PUT', `/api/v1/prompts/${PROMPT}/deployments/${ENV}`, { version: 2 });
  const rssStart = rssMb(pid);
  const rssTimer = setInterval(() => current.rss.push(rssMb(pid)), 5000);
  const background = [
    ...Array.from({ length: WRITERS }, () => writer()),
    ...Array.from({ length: SSE_CLIENTS }, () => sseClient()),
  ];
  for (let minute = 0; minute < SEGMENTS; minute++) {
    const result = await autocannon({
      url: `${base}/api/v1/prompts/${PROMPT}/resolve?env=${ENV}`,
      connections: 10,
      overallRate: RPS,
      duration: SEGMENT_S,
      headers: auth,
      requests: [
        {
          setupRequest: (req: autocannon.Request) => ({
            ...req,
            path: `/api/v1/prompts/${PROMPT}/resolve?env=${ENV}&unit=user-${Math.floor(Math.random() * 1e6)}`,
          }),
        },
      ],
    });
    const seen = current;
    current = fresh();
    seen.rss.push(rssMb(pid));
    const writes = [...seen.writeMs].sort((a, b) => a - b);
    segments.push({
      minute: minute + 1,
      resolves: result.requests.total,
      resolveRps: Math.round(result.requests.average),
      resolveP50Ms: result.latency.p50,
      resolveP99Ms: result.latency.p99,
      resolveMaxMs: result.latency.max,
      resolveErrors: result.non2xx + result.errors + result.timeouts,
      writes: writes.length,
      writeP99Ms: percentile(writes, 99),
      writeErrors: seen.writeErrors,
      sseConnects: seen.sseConnects,
      sseEvents: seen.sseEvents,
      sseErrors: seen.sseErrors,
      rssMb: {
        avg: Math.round((seen.rss.reduce((a, b) => a + b, 0) / seen.rss.length) * 10) / 10,
        max: Math.max(...seen.rss),
      },
    });
    process.stderr.write(`soak: minute ${minute + 1}/${SEGMENTS} ${JSON.stringify(segments.at(-1))}\n`);
  }
  stop.now = true;
  clearInterval(rssTimer);
  await Promise.all(background);
  const health = await call('GET', '/healthz');
  const chain = (await must('GET', '/api/v1/audit/verify')) as { ok: boolean; checked: number };
  finalHealth = { healthz: health.status, auditChainOk: chain.ok, auditEvents: chain.checked };
  const first = segments[0];
  const last = segments.at(-1);
  const total = (
    key: 'resolveErrors' | 'writeErrors' | 'sseErrors' | 'resolves' | 'writes' | 'sseConnects',
  ) => segments.reduce((sum, s) => sum + s[key], 0);
  process.stdout.write(
    `${JSON.stringify({
      minutes: MINUTES,
      segmentS: SEGMENT_S,
      targetResolveRps: RPS,
      sseClients: SSE_CLIENTS,
      writers: WRITERS,
      rssStartMb: rssStart,
      first,
      last,
      totals: {
        resolves: total('resolves'),
        resolveErrors: total('resolveErrors'),
        writes: total('writes'),
        writeErrors: total('writeErrors'),
        writeErrorKinds,
        sseConnects: total('sseConnects'),
        sseErrors: total('sseErrors'),
      },
      end: finalHealth,
      perMinute: segments.map((s) => ({
        minute: s.minute,
        rssMb: s.rssMb.max,
        resolveP99Ms: s.resolveP99Ms,
        writeP99Ms: s.writeP99Ms,
      })),
    })}\n`,
  );
} finally {
  stop.now = true;
  await server.stop();
}
