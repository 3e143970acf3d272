/**
 * The OpenTelemetry JS exporters themselves, both encodings, gzip or not, sending to a listening
 * server on both databases; the spans are read back through `GET /api/v1/traces/{traceId}`.
 */
import { type Attributes, context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as OTLPHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { TraceDetail, TraceSpan } from '@promptline/core';
import { describe, expect, it } from 'vitest';
import { describeServer } from '../test-helpers/index.ts';

type Exporter = OTLPHttpJsonExporter | OTLPProtoExporter;

/** Spans recorded by a real tracer (ids, times, resource as the SDK makes them). */
async function recordSpans(build: (tracer: ReturnType<BasicTracerProvider['getTracer']>) => void) {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'support-bot', 'service.version': '2.1.0' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  build(provider.getTracer('promptline-test', '1.0.0'));
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

function exportWith(exporter: Exporter, spans: ReadableSpan[]) {
  return new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(spans, resolve));
}

const GENAI: Attributes = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o-mini',
  'gen_ai.usage.input_tokens': 1000,
  'gen_ai.usage.output_tokens': 200,
  'gen_ai.usage.cache_read.input_tokens': 400,
  'gen_ai.response.finish_reasons': ['stop'],
  'gen_ai.input.messages': JSON.stringify([
    { role: 'user', parts: [{ type: 'text', content: 'Where is my order?' }] },
  ]),
  'gen_ai.output.messages': JSON.stringify([
    { role: 'assistant', parts: [{ type: 'text', content: 'On its way.' }] },
  ]),
  'gen_ai.conversation.id': 'conv-7',
  'user.id': 'user-42',
  'promptline.prompt.name': 'support/triage',
  'promptline.prompt.version': 3,
  'promptline.environment': 'production',
  'promptline.variant': 1,
  'promptline.unit': 'user-42',
};

describeServer(
  (ctx) => {
    /** The trace's spans as `GET /api/v1/traces/{traceId}` answers them (none when it is unknown). */
    const spansOf = async (traceId: string): Promise<TraceSpan[]> => {
      const response = await fetch(`${ctx().server.url}/api/v1/traces/${traceId}`, { headers: headers() });
      if (response.status === 404) return [];
      expect(response.status).toBe(200);
      return ((await response.json()) as TraceDetail).spans;
    };

    const endpoint = () => `${ctx().server.url}/otel/v1/traces`;
    const headers = () => ({ authorization: `Bearer ${ctx().server.apiKey}` });

    const cases = [
      ['protobuf', () => new OTLPProtoExporter({ url: endpoint(), headers: headers() })],
      [
        'protobuf + gzip',
        () =>
          new OTLPProtoExporter({
            url: endpoint(),
            headers: headers(),
            compression: CompressionAlgorithm.GZIP,
          }),
      ],
      ['JSON', () => new OTLPHttpJsonExporter({ url: endpoint(), headers: headers() })],
      [
        'JSON + gzip',
        () =>
          new OTLPHttpJsonExporter({
            url: endpoint(),
            headers: headers(),
            compression: CompressionAlgorithm.GZIP,
          }),
      ],
    ] as const;

    it("an exported GenAI span counts in the prompt version's metrics at once, once even if re-exported", async () => {
      const spans = await recordSpans((tracer) => {
        tracer
          .startSpan('chat', {
            kind: SpanKind.CLIENT,
            attributes: {
              ...GENAI,
              'promptline.prompt.name': 'otel/metrics',
              'promptline.prompt.version': 5,
            },
          })
          .end();
      });
      for (let i = 0; i < 2; i++) {
        const exporter = new OTLPProtoExporter({ url: endpoint(), headers: headers() });
        expect((await exportWith(exporter, spans)).code).toBe(0);
        await exporter.shutdown();
      }
      const from = new Date(Date.now() - 600_000).toISOString();
      const response = await fetch(
        `${ctx().server.url}/api/v1/prompts/${encodeURIComponent('otel/metrics')}/metrics?env=production&interval=1m&from=${from}`,
        { headers: headers() },
      );
      expect(response.status).toBe(200);
      const { versions } = (await response.json()) as { versions: Array<Record<string, unknown>> };
      expect(versions).toHaveLength(1);
      expect(versions[0]).toMatchObject({
        version: 5,
        count: 1,
        errors: 0,
        tokens: { input: 1000, output: 200 },
      });
    });

    describe.each(cases)('the real %s exporter', (_label, makeExporter) => {
      it('delivers a GenAI span under its parent, mapped to the span model, with a plain parent span', async () => {
        const spans = await recordSpans((tracer) => {
          const parent = tracer.startSpan('POST /chat', {
            kind: SpanKind.SERVER,
            attributes: { 'http.route': '/chat' },
          });
          const ctxWithParent = trace.setSpan(context.active(), parent);
          const child = tracer.startSpan(
            'chat gpt-4o-mini',
            { kind: SpanKind.CLIENT, attributes: GENAI },
            ctxWithParent,
          );
          child.end();
          parent.end();
        });
        const exporter = makeExporter();
        const result = await exportWith(exporter, spans);
        await exporter.shutdown();
        expect(result.error).toBeUndefined();
        expect(result.code).toBe(0);

        const traceId = spans[0]?.spanContext().traceId ?? '';
        const stored = await spansOf(traceId);
        expect(stored).toHaveLength(2);
        const parent = stored.find((s) => s.name === 'POST /chat');
        const child = stored.find((s) => s.name === 'chat gpt-4o-mini');
        expect(parent?.parentSpanId).toBeUndefined();
        expect(parent).toMatchObject({ source: 'otel', status: 'ok', depth: 0 });
        expect(parent?.model ?? parent?.prompt).toBeUndefined();
        expect(child).toMatchObject({
          parentSpanId: parent?.spanId,
          depth: 1,
          status: 'ok',
          provider: 'openai',
          model: 'gpt-4o-mini',
          prompt: { name: 'support/triage', version: 3, environment: 'production', variant: 1 },
          unit: 'user-42',
          userId: 'user-42',
          sessionId: 'conv-7',
          usage: { input: 1000, output: 200, cachedInput: 400 },
          source: 'otel',
          // No cost sent: computed from the price table for gpt-4o-mini.
          costComputed: true,
          input: [{ role: 'user', parts: [{ type: 'text', content: 'Where is my order?' }] }],
          output: [{ role: 'assistant', parts: [{ type: 'text', content: 'On its way.' }] }],
        });
        expect(child?.costUsd).toBeGreaterThan(0);
        expect(child?.attributes).toMatchObject({
          'gen_ai.response.finish_reasons': ['stop'],
          'service.name': 'support-bot',
          'otel.scope.name': 'promptline-test',
          'otel.span.kind': 'client',
        });
        const sdkChild = spans.find((s) => s.name === 'chat gpt-4o-mini');
        const startMs =
          (sdkChild?.startTime[0] ?? 0) * 1000 + Math.floor((sdkChild?.startTime[1] ?? 0) / 1e6);
        expect(Date.parse(child?.startTime ?? '')).toBe(startMs);
      });

      it('records an error status with its message', async () => {
        const spans = await recordSpans((tracer) => {
          const span = tracer.startSpan('chat', { attributes: { 'gen_ai.system': 'anthropic' } });
          span.recordException(new Error('overloaded'));
          span.setStatus({ code: SpanStatusCode.ERROR, message: '529 overloaded' });
          span.end();
        });
        const exporter = makeExporter();
        expect((await exportWith(exporter, spans)).code).toBe(0);
        await exporter.shutdown();
        const [stored] = await spansOf(spans[0]?.spanContext().traceId ?? '');
        expect(stored).toMatchObject({
          status: 'error',
          statusMessage: '529 overloaded',
          provider: 'anthropic',
        });
      });

      it('fails the export with a bad key (401), storing nothing', async () => {
        const spans = await recordSpans((tracer) => tracer.startSpan('x').end());
        const exporter =
          makeExporter() instanceof OTLPProtoExporter
            ? new OTLPProtoExporter({ url: endpoint(), headers: { authorization: 'Bearer nope' } })
            : new OTLPHttpJsonExporter({ url: endpoint(), headers: { authorization: 'Bearer nope' } });
        const result = await exportWith(exporter, spans);
        await exporter.shutdown();
        expect(result.code).toBe(1);
        expect(String(result.error)).toMatch(/401|Unauthorized/i);
        expect(await spansOf(spans[0]?.spanContext().traceId ?? '')).toHaveLength(0);
      });
    });
  },
  { listen: true },
);
