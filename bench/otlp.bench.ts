/**
 * OTLP protobuf vs native JSON ingestion, in one run against one server process (SQLite): the same
 * GenAI spans (model, usage, prompt link, messages, a few attributes) sent in batches of
 * BENCH_OTLP_SPANS by BENCH_OTLP_SENDERS concurrent senders, as `POST /otel/v1/traces`
 * (application/x-protobuf, encoded by the OpenTelemetry exporter's own serialiser) and as
 * `POST /api/v1/traces`. Rounds alternate native / OTLP so both meet the same machine state; every
 * span has fresh ids (a re-sent span would be skipped, which is cheaper). Bodies are built before
 * the clock starts. Goal (issue 10): OTLP spans/s ≥ 70% of native.
 *
 *   npm exec -- node --conditions=source bench/otlp.bench.ts
 *   BENCH_OTLP_REQUESTS=80 BENCH_OTLP_ROUNDS=5 npm exec -- node --conditions=source bench/otlp.bench.ts
 *
 * BENCH_OTLP_REQUESTS: batches per round per encoding (default 24); BENCH_OTLP_SPANS: spans per
 * batch (default 500); BENCH_OTLP_SENDERS: concurrent senders (default 4); BENCH_OTLP_ROUNDS:
 * rounds per encoding (default 3). The senders run in this process and share the cores with the
 * server: `senderCpuShare` is this process's CPU time over the server's and its own.
 */
import { SpanKind } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { cpuSeconds, startServer } from './lib/server.ts';

const REQUESTS = Number(process.env.BENCH_OTLP_REQUESTS ?? 24);
const SPANS = Number(process.env.BENCH_OTLP_SPANS ?? 500);
const SENDERS = Number(process.env.BENCH_OTLP_SENDERS ?? 4);
const ROUNDS = Number(process.env.BENCH_OTLP_ROUNDS ?? 3);

const MESSAGES_IN = JSON.stringify([
  { role: 'user', parts: [{ type: 'text', content: 'Where is my order 1234?' }] },
]);
const MESSAGES_OUT = JSON.stringify([
  { role: 'assistant', parts: [{ type: 'text', content: 'It left the warehouse this morning.' }] },
]);

/** `count` spans recorded by the real SDK, each a GenAI call with fresh ids. */
function sdkSpans(count: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-app' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('bench');
  for (let i = 0; i < count; i++) {
    tracer
      .startSpan('chat gpt-4o-mini', {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.input_tokens': 120 + (i % 50),
          'gen_ai.usage.output_tokens': 30 + (i % 20),
          'gen_ai.response.finish_reasons': ['stop'],
          'gen_ai.input.messages': MESSAGES_IN,
          'gen_ai.output.messages': MESSAGES_OUT,
          'promptline.prompt.name': 'support/triage',
          'promptline.prompt.version': 1 + (i % 2),
          'promptline.environment': 'production',
          'user.id': `user-${i % 100}`,
        },
      })
      .end();
  }
  return memory.getFinishedSpans();
}

const nsOf = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;

/** The same spans in the native batch shape. */
function nativeBody(spans: ReadableSpan[]): string {
  return JSON.stringify({
    spans: spans.map((s) => {
      const a = s.attributes;
      return {
        traceId: s.spanContext().traceId,
        spanId: s.spanContext().spanId,
        name: s.name,
        startTime: nsOf(s.startTime),
        endTime: nsOf(s.endTime),
        provider: 'openai',
        model: 'gpt-4o-mini',
        usage: { input: a['gen_ai.usage.input_tokens'], output: a['gen_ai.usage.output_tokens'] },
        prompt: {
          name: 'support/triage',
          version: a['promptline.prompt.version'],
          environment: 'production',
        },
        userId: a['user.id'],
        input: JSON.parse(MESSAGES_IN),
        output: JSON.parse(MESSAGES_OUT),
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.response.finish_reasons': ['stop'],
          'service.name': 'bench-app',
        },
      };
    }),
  });
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

const server = await startServer({ logLevel: 'warn' });
try {
  const send = async (path: string, type: string, body: string | Uint8Array<ArrayBuffer>) => {
    const started = performance.now();
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': type },
      body,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${path}: ${response.status} ${text.slice(0, 300)}`);
    return performance.now() - started;
  };

  async function round(kind: 'native' | 'otlp') {
    const bodies = Array.from({ length: REQUESTS }, () => {
      const spans = sdkSpans(SPANS);
      return kind === 'native'
        ? nativeBody(spans)
        : new Uint8Array(ProtobufTraceSerializer.serializeRequest(spans) ?? []);
    });
    const bytes = bodies.reduce(
      (n, b) => n + (typeof b === 'string' ? Buffer.byteLength(b) : b.byteLength),
      0,
    );
    const latencies: number[] = [];
    const serverCpu = cpuSeconds(server.pid);
    const ownCpu = process.cpuUsage();
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        for (let i = next++; i < bodies.length; i = next++) {
          const body = bodies[i] as string | Uint8Array<ArrayBuffer>;
          latencies.push(
            kind === 'native'
              ? await send('/api/v1/traces', 'application/json', body)
              : await send('/otel/v1/traces', 'application/x-protobuf', body),
          );
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const own = process.cpuUsage(ownCpu);
    const senderCpu = (own.user + own.system) / 1e6;
    const serverCpuUsed = cpuSeconds(server.pid) - serverCpu;
    latencies.sort((a, b) => a - b);
    return {
      spansPerSecond: Math.round((REQUESTS * SPANS) / seconds),
      p50Ms: Math.round(quantile(latencies, 0.5)),
      p99Ms: Math.round(quantile(latencies, 0.99)),
      bytesPerSpan: Math.round(bytes / (REQUESTS * SPANS)),
      senderCpuShare: Math.round((senderCpu / (senderCpu + serverCpuUsed)) * 100) / 100,
    };
  }

  // One warm-up batch each: JIT, prepared statements, the price book.
  await round('native');
  await round('otlp');
  const native: Awaited<ReturnType<typeof round>>[] = [];
  const otlp: Awaited<ReturnType<typeof round>>[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    native.push(await round('native'));
    otlp.push(await round('otlp'));
  }
  const median = (runs: typeof native) =>
    [...runs].sort((a, b) => a.spansPerSecond - b.spansPerSecond)[Math.floor(runs.length / 2)];
  const nativeMedian = median(native);
  const otlpMedian = median(otlp);
  process.stdout.write(
    `${JSON.stringify({
      database: 'sqlite',
      spansPerBatch: SPANS,
      batchesPerRound: REQUESTS,
      senders: SENDERS,
      rounds: ROUNDS,
      native: nativeMedian,
      otlpProtobuf: otlpMedian,
      otlpVsNative:
        nativeMedian && otlpMedian
          ? Math.round((otlpMedian.spansPerSecond / nativeMedian.spansPerSecond) * 100) / 100
          : null,
      goal: 'otlpVsNative >= 0.7',
    })}\n`,
  );
} finally {
  await server.stop();
}
