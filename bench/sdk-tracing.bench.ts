/**
 * SDK tracing costs, in one process:
 * 1. `client.prompt(name, { unit }).render(vars)` ops/s with tracing off and on, interleaved
 *    rounds (best of each). "On" is a client whose tracing is live: a span is recorded every
 *    RECORD_EVERY renders and exported in the background over real HTTP to a collector, so the
 *    export timer, queue and sends run during the measurement. Goal: on ≤ 5% slower than off.
 * 2. The caller-side price of one span: `record()` and `trace()` (around a sync render) ops/s.
 * 3. SPANS spans recorded with the server down (connection refused): memory stays bounded by the
 *    queue (`maxQueueSize`, default 10 000): heap and RSS sampled along the way, drops counted.
 *
 * Run: npm exec -- node --conditions=source --expose-gc bench/sdk-tracing.bench.ts [spans]
 * (default 1 000 000 spans; pass a smaller number for a quick check)
 */
import { createClient } from '../packages/sdk/src/index.ts';
import { startSnapshotServer, textVersion } from '../packages/sdk/src/test-helpers/snapshot-server.ts';
import { startCollector } from '../packages/sdk/src/test-helpers/trace-collector.ts';

const SPANS = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = 5;
const RECORD_EVERY = 1_000;

const filler =
  'Answer in the customer language, keep a friendly and professional tone, never promise refunds that policy does not allow, cite the order number when you refer to it. ';
const template =
  `You are the support assistant of {{company}}. The customer is {{customer_name}} (plan: {{plan}}).
${filler.repeat(4)}
Order: {{order_id}}
Customer message:
{{message}}`.slice(0, 1024);
const variables = {
  company: 'Acme',
  customer_name: 'Ada Lovelace',
  plan: 'Pro',
  order_id: 'A-10042',
  message: 'My parcel has not arrived yet, can you check where it is?',
};
const UNITS = Array.from({ length: 1024 }, (_, i) => `user-${i}`);

function measure(op: (i: number) => number, ms: number): number {
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += op(i);
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 5_000; i++) sink += op(ops + i);
    ops += 5_000;
    elapsed = performance.now() - start;
  }
  if (sink === 42) process.stderr.write('');
  return Math.round((ops / elapsed) * 1000);
}

// --- SPANS spans with the server down -------------------------------------------------------
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const baseline = process.memoryUsage();
let dropReports = 0;
const down = createClient({
  url: 'http://127.0.0.1:9',
  apiKey: 'pl_bench_key_0123456789',
  environment: 'production',
  updates: 'off',
  readyTimeoutMs: 100,
  onError: (e) => {
    if (e.code === 'TELEMETRY_DROPPED') dropReports++;
  },
  fallbacks: { 'support/reply': { type: 'text', template } },
  tracing: { closeTimeoutMs: 100, retry: { baseMs: 50, maxMs: 200 } },
});
const prompt = down.prompt('support/reply');
const samples: { spans: number; heapMb: number; rssMb: number }[] = [];
const started = performance.now();
for (let i = 1; i <= SPANS; i++) {
  down.record({
    name: 'reply',
    prompt,
    model: 'gpt-4o-mini',
    usage: { input: 812, output: 64 },
    input: [{ role: 'user', content: variables.message }],
    output: { role: 'assistant', content: 'Your parcel ships today.' },
    durationMs: 640,
  });
  if (i % Math.max(1, Math.floor(SPANS / 10)) === 0) {
    // Let the export worker and the timers run, as they would between requests of an application.
    await new Promise((r) => setImmediate(r));
    gc?.();
    const m = process.memoryUsage();
    samples.push({ spans: i, heapMb: mb(m.heapUsed), rssMb: mb(m.rss) });
  }
}
const recordSeconds = (performance.now() - started) / 1000;
const stats = down.tracingStats();
await new Promise((r) => setTimeout(r, 1_100)); // one tick: the drop report
await down.close();

// --- render with tracing off and on, and the price of one span --------------------------------
const snapshots = await startSnapshotServer();
snapshots.deploy('support/reply', { variants: [{ version: 1, weight: 10_000 }] }, [textVersion(1, template)]);
const collector = await startCollector({ apiKey: snapshots.apiKey });
// The snapshot server does not take spans: tracing goes to the collector through `fetch`.
const routed: typeof fetch = (input, init) => {
  const url = String(input instanceof Request ? input.url : input);
  return fetch(url.includes('/api/v1/traces') ? url.replace(snapshots.url, collector.url) : input, init);
};
const options = {
  url: snapshots.url,
  apiKey: snapshots.apiKey,
  environment: 'production',
  updates: 'off' as const,
};
const off = createClient({ ...options, tracing: { enabled: false } });
// A queue large enough that the record/trace measurements below drop nothing while the
// collector (which validates every span with zod) catches up.
const on = createClient({
  ...options,
  fetch: routed,
  tracing: { flushIntervalMs: 200, maxQueueSize: 200_000 },
});
await Promise.all([off.ready(), on.ready()]);

const renderOff = (i: number) => {
  const p = off.prompt('support/reply', { unit: UNITS[i & 1023] });
  return p.type === 'text' ? p.render(variables).length : 0;
};
const renderOn = (i: number) => {
  const p = on.prompt('support/reply', { unit: UNITS[i & 1023] });
  const text = p.type === 'text' ? p.render(variables) : '';
  if (i % RECORD_EVERY === 0) on.record({ name: 'reply', prompt: p, unit: UNITS[i & 1023], durationMs: 1 });
  return text.length;
};
const recordOnly = (i: number) =>
  on.record({ name: 'reply', durationMs: 1, usage: { input: i & 1023, output: 5 } }).spanId.length;
const traced = (i: number) =>
  on.trace('render', () => {
    const p = on.prompt('support/reply', { unit: UNITS[i & 1023] });
    return p.type === 'text' ? p.render(variables).length : 0;
  });

let offOps = 0;
let onOps = 0;
for (let round = 0; round < ROUNDS; round++) {
  offOps = Math.max(offOps, measure(renderOff, 500));
  onOps = Math.max(onOps, measure(renderOn, 500));
}
// Fewer rounds: every op here queues a span, and the collector validates each one.
const recordOps = measure(recordOnly, 300);
await on.flush({ timeoutMs: 60_000 });
const traceOps = measure(traced, 300);
await on.flush({ timeoutMs: 60_000 });
const exported = on.tracingStats();
await Promise.all([on.close(), off.close()]);
await snapshots.stop();
await collector.stop();

process.stdout.write(
  `${JSON.stringify({
    render_ops_s_tracing_off: offOps,
    render_ops_s_tracing_on: onOps,
    render_on_vs_off: Number((onOps / offOps).toFixed(3)),
    span_recorded_every_renders: RECORD_EVERY,
    record_ops_s: recordOps,
    trace_sync_render_ops_s: traceOps,
    exported_to_collector: { sent: exported.sent, dropped: exported.dropped },
    server_down: {
      spans_recorded: SPANS,
      record_ops_s: Math.round(SPANS / recordSeconds),
      queued: stats.queued,
      dropped: stats.dropped,
      drop_reports_via_onError: dropReports,
      baseline_heap_mb: mb(baseline.heapUsed),
      baseline_rss_mb: mb(baseline.rss),
      samples,
      gc_exposed: gc !== undefined,
    },
  })}\n`,
);
