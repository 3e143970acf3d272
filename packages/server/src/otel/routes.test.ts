/**
 * The OTLP/HTTP answers: success and partial success in the request's encoding, and the errors
 * (400 undecodable, 401, 413, 415) — as protobuf google.rpc.Status to protobuf clients, as
 * problem+json to the others. Both databases.
 */
import { gzipSync } from 'node:zlib';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { MAX_OTLP_BODY_BYTES } from '@promptline/core';
import { expect, it } from 'vitest';
import { describeServer } from '../test-helpers/index.ts';
import { traceDb } from '../traces/migration.ts';
import { newSpanId, newTraceId } from '../traces/test-spans.ts';
import { RpcStatus } from './proto.ts';

const URL = '/otel/v1/traces';
const PROTOBUF = 'application/x-protobuf';

/** Two spans recorded by the real SDK: the second one's trace id forced to all zeros (invalid). */
async function spansWithOneInvalid(): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('t');
  tracer.startSpan('good', { attributes: { 'gen_ai.request.model': 'gpt-4o' } }).end();
  tracer.startSpan('bad').end();
  const [good, bad] = memory.getFinishedSpans();
  await provider.shutdown();
  if (!good || !bad) throw new Error('no spans');
  const zeroContext = { ...bad.spanContext(), traceId: '0'.repeat(32) };
  return [good, Object.assign(Object.create(bad), { spanContext: () => zeroContext })];
}

function jsonSpan(overrides: Record<string, unknown> = {}) {
  const startNs = BigInt(Date.now() - 60_000) * 1_000_000n;
  return {
    traceId: newTraceId().toUpperCase(),
    spanId: newSpanId(),
    name: 'chat',
    kind: 3,
    startTimeUnixNano: startNs.toString(),
    endTimeUnixNano: (startNs + 500_000_000n).toString(),
    attributes: [{ key: 'gen_ai.system', value: { stringValue: 'openai' } }],
    ...overrides,
  };
}

const exportOf = (...spans: unknown[]) => ({ resourceSpans: [{ scopeSpans: [{ spans }] }] });

describeServer((ctx) => {
  const send = (payload: string | Buffer, headers: Record<string, string>) =>
    ctx().server.app.inject({
      method: 'POST',
      url: URL,
      headers: { authorization: `Bearer ${ctx().server.apiKey}`, ...headers },
      payload,
    });
  const spanRows = (traceId: string) =>
    traceDb(ctx().server.database.db)
      .selectFrom('spans')
      .selectAll()
      .where('trace_id', '=', traceId)
      .execute();

  it('answers a full success with an empty ExportTraceServiceResponse in JSON', async () => {
    const span = jsonSpan();
    const response = await send(JSON.stringify(exportOf(span)), { 'content-type': 'application/json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toEqual({});
    // Upper-case hex is accepted and stored lower-case.
    expect(await spanRows((span.traceId as string).toLowerCase())).toHaveLength(1);
  });

  it('keeps the valid spans and reports the rejected ones as partialSuccess (protobuf)', async () => {
    const spans = await spansWithOneInvalid();
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) ?? new Uint8Array());
    const response = await send(body, { 'content-type': PROTOBUF });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(PROTOBUF);
    // Decoded by the OpenTelemetry exporter's own response decoder.
    const decoded = ProtobufTraceSerializer.deserializeResponse(response.rawPayload);
    expect(Number(decoded.partialSuccess?.rejectedSpans)).toBe(1);
    expect(decoded.partialSuccess?.errorMessage).toMatch(/1 span\(s\) rejected: .*traceId/);
    expect(await spanRows(spans[0]?.spanContext().traceId ?? '')).toHaveLength(1);
  });

  it('reports partialSuccess in JSON with rejectedSpans as a decimal string', async () => {
    const good = jsonSpan();
    const response = await send(
      JSON.stringify(exportOf(good, jsonSpan({ spanId: 'xyz' }), jsonSpan({ startTimeUnixNano: '0' }))),
      { 'content-type': 'application/json; charset=utf-8' },
    );
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.partialSuccess.rejectedSpans).toBe('2');
    expect(body.partialSuccess.errorMessage).toMatch(/^2 span\(s\) rejected/);
    expect(await spanRows((good.traceId as string).toLowerCase())).toHaveLength(1);
  });

  it('rejects spans older than the retention alone, keeping the others', async () => {
    const oldStart = BigInt(Date.now() - 40 * 86_400_000) * 1_000_000n;
    const fresh = jsonSpan();
    const old = jsonSpan({
      startTimeUnixNano: oldStart.toString(),
      endTimeUnixNano: (oldStart + 1n).toString(),
    });
    const response = await send(JSON.stringify(exportOf(old, fresh)), { 'content-type': 'application/json' });
    expect(response.statusCode).toBe(200);
    expect(response.json().partialSuccess).toMatchObject({ rejectedSpans: '1' });
    expect(response.json().partialSuccess.errorMessage).toMatch(/retention/);
    expect(await spanRows((fresh.traceId as string).toLowerCase())).toHaveLength(1);
    expect(await spanRows((old.traceId as string).toLowerCase())).toHaveLength(0);
  });

  it('counts trimmed attributes in a partialSuccess with 0 rejected spans', async () => {
    const attributes = Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: { intValue: i } }));
    const span = jsonSpan({ attributes });
    const response = await send(JSON.stringify(exportOf(span)), { 'content-type': 'application/json' });
    expect(response.json().partialSuccess).toMatchObject({ rejectedSpans: '0' });
    const [row] = await spanRows((span.traceId as string).toLowerCase());
    expect(Object.keys(JSON.parse(row?.attributes ?? '{}'))).toHaveLength(128);
  });

  it('stores NUL characters as U+FFFD instead of refusing the export', async () => {
    const span = jsonSpan({ attributes: [{ key: 'note', value: { stringValue: 'a\u0000b' } }] });
    const response = await send(JSON.stringify(exportOf(span)), { 'content-type': 'application/json' });
    expect(response.statusCode).toBe(200);
    const [row] = await spanRows((span.traceId as string).toLowerCase());
    expect(JSON.parse(row?.attributes ?? '{}').note).toBe('a\uFFFDb');
  });

  it('400: an undecodable protobuf body is answered with a protobuf Status', async () => {
    const response = await send(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), {
      'content-type': PROTOBUF,
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toBe(PROTOBUF);
    const status = RpcStatus.toObject(RpcStatus.decode(response.rawPayload)) as {
      code: number;
      message: string;
    };
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/^OTLP_MALFORMED: The body is not a protobuf ExportTraceServiceRequest/);
  });

  it('400: bad JSON and a wrong structure are problem+json OTLP_MALFORMED carrying Status.message', async () => {
    const notJson = await send('{"resourceSpans": [', { 'content-type': 'application/json' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(notJson.json()).toMatchObject({
      code: 'OTLP_MALFORMED',
      message: expect.stringMatching(/not JSON/),
    });
    const wrong = await send(JSON.stringify({ resourceSpans: [{ scopeSpans: 'x' }] }), {
      'content-type': 'application/json',
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().errors).toEqual([
      { path: 'resourceSpans.0.scopeSpans', message: 'must be an array' },
    ]);
  });

  it('400: a body that says gzip but is not', async () => {
    const response = await send(Buffer.from('plain'), {
      'content-type': PROTOBUF,
      'content-encoding': 'gzip',
    });
    expect(response.statusCode).toBe(400);
    expect(RpcStatus.decode(response.rawPayload).toJSON().message).toMatch(/not valid gzip/);
  });

  it('accepts gzip bodies and refuses what expands beyond the bound (413)', async () => {
    const span = jsonSpan();
    const ok = await send(gzipSync(JSON.stringify(exportOf(span))), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(ok.statusCode).toBe(200);
    expect(await spanRows((span.traceId as string).toLowerCase())).toHaveLength(1);
    const bomb = gzipSync(Buffer.alloc(21 * 1024 * 1024, 0x20));
    const refused = await send(bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(refused.statusCode).toBe(413);
    expect(refused.json().code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('413: a body larger than the limit as sent', async () => {
    const response = await send(Buffer.alloc(MAX_OTLP_BODY_BYTES + 1, 0x20), {
      'content-type': 'application/json',
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      detail: expect.stringMatching(/5 MiB/),
    });
  });

  it('415: another content type or content encoding', async () => {
    const text = await send('hello', { 'content-type': 'text/plain' });
    expect(text.statusCode).toBe(415);
    expect(text.json()).toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: expect.stringMatching(/x-protobuf/),
    });
    const brotli = await send('{}', { 'content-type': 'application/json', 'content-encoding': 'br' });
    expect(brotli.statusCode).toBe(415);
    expect(brotli.json().code).toBe('UNSUPPORTED_CONTENT_ENCODING');
  });

  it('401: no key or a bad key, as a protobuf Status to a protobuf client', async () => {
    const response = await ctx().server.app.inject({
      method: 'POST',
      url: URL,
      headers: { 'content-type': PROTOBUF, authorization: 'Bearer wrong' },
      payload: Buffer.alloc(0),
    });
    expect(response.statusCode).toBe(401);
    expect(RpcStatus.decode(response.rawPayload).toJSON()).toMatchObject({ code: 16 });
    const json = await ctx().server.app.inject({
      method: 'POST',
      url: URL,
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(json.statusCode).toBe(401);
    expect(json.json().code).toBe('UNAUTHORIZED');
  });
});
