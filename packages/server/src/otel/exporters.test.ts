/**
 * The OpenTelemetry JS exporters themselves, both encodings, gzip or not, sending to a listening
 * server on both databases; the spans are read back from the traces feature's tables.
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
import { describe, expect, it } from 'vitest';
import { describeServer } from '../test-helpers/index.ts';
import { traceDb } from '../traces/migration.ts';

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
    const spansOf = (traceId: string) =>
      traceDb(ctx().server.database.db)
        .selectFrom('spans')
        .selectAll()
        .where('trace_id', '=', traceId)
        .orderBy('start_ms')
        .execute();

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
        const rows = await spansOf(traceId);
        expect(rows).toHaveLength(2);
        const parent = rows.find((r) => r.name === 'POST /chat');
        const child = rows.find((r) => r.name === 'chat gpt-4o-mini');
        expect(parent).toMatchObject({
          parent_span_id: null,
          model: null,
          prompt_name: null,
          source: 'otel',
        });
        expect(child).toMatchObject({
          parent_span_id: parent?.span_id,
          status: 'ok',
          provider: 'openai',
          model: 'gpt-4o-mini',
          prompt_name: 'support/triage',
          prompt_version: 3,
          environment: 'production',
          variant: 1,
          unit: 'user-42',
          user_id: 'user-42',
          session_id: 'conv-7',
          source: 'otel',
        });
        expect(Number(child?.input_tokens)).toBe(1000);
        expect(Number(child?.output_tokens)).toBe(200);
        expect(Number(child?.cached_input_tokens)).toBe(400);
        // No cost sent: computed from the price table for gpt-4o-mini.
        expect(child?.cost_usd).toBeGreaterThan(0);
        expect(JSON.parse(child?.input ?? 'null')).toEqual([
          { role: 'user', parts: [{ type: 'text', content: 'Where is my order?' }] },
        ]);
        const attributes = JSON.parse(child?.attributes ?? '{}');
        expect(attributes).toMatchObject({
          'gen_ai.response.finish_reasons': ['stop'],
          'service.name': 'support-bot',
          'otel.scope.name': 'promptline-test',
          'otel.span.kind': 'client',
        });
        const first = spans.find((s) => s.name === 'chat gpt-4o-mini');
        const startMs = (first?.startTime[0] ?? 0) * 1000 + Math.floor((first?.startTime[1] ?? 0) / 1e6);
        expect(Number(child?.start_ms)).toBe(startMs);
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
        const [row] = await spansOf(spans[0]?.spanContext().traceId ?? '');
        expect(row).toMatchObject({
          status: 'error',
          status_message: '529 overloaded',
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
