/**
 * Live updates through the real SDK: one server process (`main.ts`, SQLite), N `createClient`s
 * (each `ready()` and streaming), then deployment changes through the REST API. For each change,
 * the time from the PUT's response (and from sending it) to each client's `update` event — which
 * the SDK emits once the new snapshot is in memory (from the event's delta, or fetched when the
 * event carries the ETag only), so this is "change → new version servable in the app", not just
 * "event received". Plus the snapshot requests the changes caused, and the server's RSS (VmRSS
 * from /proc) before the clients connected, after, and after the changes.
 *
 * `filler` deploys that many more prompts (~1 KiB template each) to the environment, to show that
 * the cost of a change does not grow with the environment (the event carries the changed release).
 *
 * The clients run in this process, or split over child processes (`workers=2`: 500 each) when one
 * process is itself the bottleneck; times are then compared on the shared wall clock
 * (`performance.timeOrigin + performance.now()`).
 *
 * Run: npm exec -- node --conditions=source bench/sdk-updates.bench.ts [clients=1000] [changes=5] [workers=1] [warmup=2] [filler=0]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient, type PromptlineClient } from '../packages/sdk/src/index.ts';
import { root, rssMb, sleep, startServer } from './lib/server.ts';

const PROMPT = 'bench/sdk-live';
const PROMPT_PATH = `/api/v1/prompts/${encodeURIComponent(PROMPT)}`;
const self = fileURLToPath(import.meta.url);

/** Wall-clock milliseconds with sub-millisecond resolution, comparable between processes. */
const now = () => performance.timeOrigin + performance.now();

/** What a group of clients reports back. */
type WorkerMessage =
  | {
      type: 'ready';
      clients: number;
      notServer: number;
      notStreaming: number;
      readyMs: number;
      rssMiB: number;
    }
  | { type: 'change'; change: number; times: ClientTimes[]; wrongVersion: number; snapshotRequests: number };

/**
 * One client's wall-clock times for one change: its snapshot request sent (after the stream's event,
 * when it carried no usable delta), the response headers in, the `update` event. NaN when it did not
 * happen (within 10 s).
 */
interface ClientTimes {
  fetchSent: number;
  fetchAnswered: number;
  update: number;
}
const MISSING: ClientTimes = { fetchSent: Number.NaN, fetchAnswered: Number.NaN, update: Number.NaN };

/** The parent's orders. */
type ParentMessage = { type: 'expect'; change: number; version: number } | { type: 'close' };

interface Group {
  ready: Promise<Extract<WorkerMessage, { type: 'ready' }>>;
  /** Resolves with each client's times for `change`. */
  change(change: number, version: number): Promise<Extract<WorkerMessage, { type: 'change' }>>;
  close(): Promise<void>;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round((sorted[index] ?? Number.NaN) * 100) / 100;
}

/**
 * N SDK clients in this process. `received[change][i]` is client i's update time for that change:
 * changes are made one at a time, so a client's n-th update naming the prompt answers change n.
 */
function startLocalGroup(url: string, apiKey: string, count: number): Group {
  const clients: PromptlineClient[] = [];
  const received: ClientTimes[][] = [];
  const seen = new Array<number>(count).fill(0);
  // Per client: when its last snapshot request left and when its response headers came back.
  const lastSent = new Array<number>(count).fill(Number.NaN);
  const lastAnswered = new Array<number>(count).fill(Number.NaN);
  let snapshotRequests = 0;
  const timedFetch =
    (j: number): typeof fetch =>
    async (input, init) => {
      const snapshot = String(input).endsWith('/snapshot');
      if (snapshot) {
        snapshotRequests++;
        lastSent[j] = now();
      }
      const response = await fetch(input, init);
      if (snapshot) lastAnswered[j] = now();
      return response;
    };
  let failures = 0;

  const ready = (async () => {
    const started = now();
    // Batches of 100: a thousand simultaneous connects would measure the listen backlog instead.
    for (let i = 0; i < count; i += 100) {
      const batch: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(count, i + 100); j++) {
        const client = createClient({
          url,
          apiKey,
          environment: 'production',
          readyTimeoutMs: 30_000,
          fetch: timedFetch(j),
          onError: () => {
            failures++;
          },
        });
        client.on('update', (event) => {
          if (!event.changed.includes(PROMPT)) return;
          const at = now();
          const change = seen[j] ?? 0;
          seen[j] = change + 1;
          // The first update naming the prompt is the initial load, not a change.
          if (change === 0) return;
          const row = received[change - 1];
          if (row)
            row[j] = {
              fetchSent: lastSent[j] ?? Number.NaN,
              fetchAnswered: lastAnswered[j] ?? Number.NaN,
              update: at,
            };
        });
        clients.push(client);
        batch.push(client.ready());
      }
      await Promise.all(batch);
    }
    const deadline = Date.now() + 30_000;
    while (clients.some((c) => c.connection !== 'streaming') && Date.now() < deadline) await sleep(50);
    return {
      type: 'ready' as const,
      clients: count,
      notServer: clients.filter((c) => c.etag === null).length,
      notStreaming: clients.filter((c) => c.connection !== 'streaming').length,
      readyMs: Math.round(now() - started),
      rssMiB: rssMb(process.pid),
    };
  })();

  return {
    ready,
    async change(change, version) {
      const row = new Array<ClientTimes>(count).fill(MISSING);
      received[change] = row;
      const requestsBefore = snapshotRequests;
      // A client that fetched for an earlier change must not have that request counted for this one.
      lastSent.fill(Number.NaN);
      lastAnswered.fill(Number.NaN);
      const deadline = Date.now() + 10_000;
      while (row.includes(MISSING) && Date.now() < deadline) await sleep(10);
      const wrongVersion = clients.filter((c) => c.prompt(PROMPT, { unit: 'u' }).version !== version).length;
      return {
        type: 'change',
        change,
        times: row,
        wrongVersion,
        snapshotRequests: snapshotRequests - requestsBefore,
      };
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      if (failures > 0) process.stderr.write(`sdk-updates: ${failures} client errors reported to onError\n`);
    },
  };
}

/** The same group in a child process (this file with `--worker`), driven over IPC. */
function startChildGroup(url: string, apiKey: string, count: number): Group {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=source', '--no-warnings', self, '--worker', url, apiKey, String(count)],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const waiting = new Map<string, (message: WorkerMessage) => void>();
  child.on('message', (message: WorkerMessage) => {
    const key = message.type === 'ready' ? 'ready' : `change:${message.change}`;
    waiting.get(key)?.(message);
    waiting.delete(key);
  });
  const next = <T extends WorkerMessage>(key: string) =>
    new Promise<T>((resolve) => waiting.set(key, (m) => resolve(m as T)));
  return {
    ready: next('ready'),
    change(change, version) {
      const answer = next<Extract<WorkerMessage, { type: 'change' }>>(`change:${change}`);
      child.send({ type: 'expect', change, version } satisfies ParentMessage);
      return answer;
    },
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'close' } satisfies ParentMessage);
      await exited;
    },
  };
}

async function worker(url: string, apiKey: string, count: number): Promise<void> {
  const group = startLocalGroup(url, apiKey, count);
  const send = (message: WorkerMessage) => process.send?.(message);
  send(await group.ready);
  process.on('message', async (message: ParentMessage) => {
    if (message.type === 'expect') send(await group.change(message.change, message.version));
    else {
      await group.close();
      process.disconnect();
    }
  });
}

async function main(): Promise<void> {
  const clients = Number(process.argv[2] ?? 1000);
  const changes = Number(process.argv[3] ?? 5);
  const workers = Number(process.argv[4] ?? 1);
  const warmupChanges = Number(process.argv[5] ?? 2);
  const filler = Number(process.argv[6] ?? 0);
  const server = await startServer();
  const { url: base, apiKey, pid } = server;

  async function call(method: string, path: string, body?: unknown): Promise<void> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  }

  const groups: Group[] = [];
  try {
    await call('POST', '/api/v1/prompts', { name: PROMPT, version: { type: 'text', template: 'one {{x}}' } });
    await call('POST', `${PROMPT_PATH}/versions`, { type: 'text', template: 'two {{x}}' });
    await call('PUT', `${PROMPT_PATH}/deployments/production`, { version: 1 });
    for (let i = 0; i < filler; i++) {
      const name = `bench/filler-${i}`;
      await call('POST', '/api/v1/prompts', {
        name,
        version: { type: 'text', template: `Filler ${i}: ${'lorem ipsum '.repeat(85)}{{x}}` },
      });
      await call('PUT', `/api/v1/prompts/${encodeURIComponent(name)}/deployments/production`, { version: 1 });
    }
    const snapshotBytes = Buffer.byteLength(
      await (
        await fetch(`${base}/api/v1/environments/production/snapshot`, {
          headers: { authorization: `Bearer ${apiKey}` },
        })
      ).text(),
    );
    await sleep(300);
    const rssBefore = rssMb(pid);

    const perGroup = Math.ceil(clients / workers);
    for (let i = 0; i < workers; i++) {
      const count = Math.min(perGroup, clients - i * perGroup);
      groups.push(
        workers === 1 ? startLocalGroup(base, apiKey, count) : startChildGroup(base, apiKey, count),
      );
    }
    const ready = await Promise.all(groups.map((g) => g.ready));
    await sleep(500);
    const rssConnected = rssMb(pid);

    const fromResponse: number[] = [];
    const fromSend: number[] = [];
    // Where the time goes when clients fetch (events above the inline limit): PUT answered →
    // snapshot request sent (the stream event's trip), → snapshot response in (the server's queue
    // of 1 000 requests), → `update` emitted (the SDK). Empty when every client applied the delta.
    const toRequest: number[] = [];
    const requestToResponse: number[] = [];
    const responseToUpdate: number[] = [];
    const perChange: Array<{
      p50: number;
      p99: number;
      max: number;
      missed: number;
      wrongVersion: number;
      snapshotRequests: number;
    }> = [];
    // The first changes are measured apart: they include JIT warm-up of every code path involved.
    const warmup: Array<{ p50: number; p99: number }> = [];
    for (let change = 0; change < warmupChanges + changes; change++) {
      const version = change % 2 === 0 ? 2 : 1;
      const answers = groups.map((g) => g.change(change, version));
      // Let the workers arm their rows before the change can arrive.
      await sleep(50);
      const sentAt = now();
      await call('PUT', `${PROMPT_PATH}/deployments/production`, { version });
      const answeredAt = now();
      const results = await Promise.all(answers);
      const times = results.flatMap((r) => r.times);
      const arrived = times.filter((t) => !Number.isNaN(t.update));
      const latencies = arrived.map((t) => t.update - answeredAt).sort((a, b) => a - b);
      if (change < warmupChanges) {
        warmup.push({ p50: percentile(latencies, 50), p99: percentile(latencies, 99) });
      } else {
        fromResponse.push(...latencies);
        fromSend.push(...arrived.map((t) => t.update - sentAt));
        const fetched = arrived.filter((t) => !Number.isNaN(t.fetchAnswered));
        toRequest.push(...fetched.map((t) => t.fetchSent - answeredAt));
        requestToResponse.push(...fetched.map((t) => t.fetchAnswered - t.fetchSent));
        responseToUpdate.push(...fetched.map((t) => t.update - t.fetchAnswered));
        perChange.push({
          p50: percentile(latencies, 50),
          p99: percentile(latencies, 99),
          max: percentile(latencies, 100),
          missed: times.length - arrived.length,
          wrongVersion: results.reduce((sum, r) => sum + r.wrongVersion, 0),
          snapshotRequests: results.reduce((sum, r) => sum + r.snapshotRequests, 0),
        });
      }
      await sleep(300);
    }
    const rssAfter = rssMb(pid);
    const summary = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
    };

    console.log(
      JSON.stringify({
        benchmark: 'sdk-updates',
        clients,
        clientProcesses: workers,
        changes,
        environmentPrompts: filler + 1,
        snapshotBytes,
        readyAllMs: Math.max(...ready.map((r) => r.readyMs)),
        clientsWithoutSnapshot: ready.reduce((sum, r) => sum + r.notServer, 0),
        clientsNotStreaming: ready.reduce((sum, r) => sum + r.notStreaming, 0),
        fromPutResponseMs: { ...summary(fromResponse), max: Math.max(...fromResponse) },
        fromPutSentMs: summary(fromSend),
        breakdownMs: {
          putAnsweredToSnapshotRequest: summary(toRequest),
          snapshotRequestToResponse: summary(requestToResponse),
          snapshotResponseToUpdate: summary(responseToUpdate),
        },
        perChange,
        warmupChanges: warmup,
        goalP99Ms: 250,
        serverRssMiB: { before: rssBefore, connected: rssConnected, afterChanges: rssAfter },
        clientProcessRssMiB: ready.map((r) => r.rssMiB),
        node: process.version,
      }),
    );
  } finally {
    await Promise.all(groups.map((g) => g.close()));
    await server.stop();
  }
}

if (process.argv[2] === '--worker') {
  await worker(process.argv[3] ?? '', process.argv[4] ?? '', Number(process.argv[5] ?? 0));
} else {
  await main();
}
