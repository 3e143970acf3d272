/**
 * The two decoders agree: the same spans, serialised by the OpenTelemetry exporters' own protobuf
 * and JSON serialisers, decode to the same neutral shape.
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { AppError } from '@promptline/core';
import { describe, expect, it } from 'vitest';
import { decodeOtlpJson, decodeOtlpProtobuf } from './decode.ts';

async function sdkSpans() {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'svc', 'host.cores': 2 }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('scope', '0.1.0');
  const parent = tracer.startSpan('parent', { kind: SpanKind.SERVER });
  const child = tracer.startSpan(
    'child',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        str: 'text',
        int: 42,
        negative: -7,
        double: 0.25,
        bool: false,
        strings: ['a', 'b'],
        numbers: [1, 2.5],
        'gen_ai.response.finish_reasons': ['stop'],
      },
    },
    trace.setSpan(context.active(), parent),
  );
  child.addEvent('gen_ai.user.message', { content: 'Hi', 'gen_ai.system': 'openai' });
  child.recordException(new Error('boom'));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
  child.end();
  parent.end();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

describe('OTLP decoders', () => {
  it('decode the exporters’ protobuf and JSON encodings of the same spans to the same shape', async () => {
    const spans = await sdkSpans();
    const proto = decodeOtlpProtobuf(ProtobufTraceSerializer.serializeRequest(spans) ?? new Uint8Array());
    const json = decodeOtlpJson(Buffer.from(JsonTraceSerializer.serializeRequest(spans) ?? new Uint8Array()));
    // JSON.stringify drops the prototype-less objects' difference from plain ones, nothing else.
    expect(JSON.parse(JSON.stringify(proto))).toEqual(JSON.parse(JSON.stringify(json)));

    const scope = proto[0]?.scopeSpans[0];
    expect(scope?.scope).toEqual({ name: 'scope', version: '0.1.0' });
    expect(proto[0]?.resource).toMatchObject({ 'service.name': 'svc', 'host.cores': 2 });
    const child = scope?.spans.find((s) => s.name === 'child');
    const parent = scope?.spans.find((s) => s.name === 'parent');
    expect(child?.parentSpanId).toBe(parent?.spanId);
    expect(parent?.parentSpanId).toBe('');
    expect(child?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(child?.kind).toBe(3);
    expect({ ...child?.attributes }).toEqual({
      str: 'text',
      int: 42,
      negative: -7,
      double: 0.25,
      bool: false,
      strings: ['a', 'b'],
      numbers: [1, 2.5],
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(child?.status).toEqual({ code: 2, message: 'failed' });
    expect(child?.events.map((e) => e.name)).toEqual(['gen_ai.user.message', 'exception']);
    const sdkChild = spans.find((s) => s.name === 'child');
    const startMs = (sdkChild?.startTime[0] ?? 0) * 1000 + (sdkChild?.startTime[1] ?? 0) / 1e6;
    expect(child?.startMs).toBeCloseTo(startMs, 3);
    expect(child?.endMs ?? 0).toBeGreaterThanOrEqual(child?.startMs ?? 0);
  });

  it('refuses bytes that are not a protobuf request, and text that is not JSON', () => {
    expect(() => decodeOtlpProtobuf(Buffer.from('not protobuf at all'))).toThrow(AppError);
    expect(() => decodeOtlpJson(Buffer.from('{'))).toThrow(/not JSON/);
    expect(() => decodeOtlpJson(Buffer.from(`${'['.repeat(100)}${']'.repeat(100)}`))).toThrow(/levels deep/);
  });
});
