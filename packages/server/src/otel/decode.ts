/**
 * The two OTLP/HTTP encodings of an ExportTraceServiceRequest → core's neutral OTLP shape.
 */
import {
  AppError,
  type OtlpAttributes,
  type OtlpTraces,
  type OtlpValue,
  readOtlpJson,
} from '@promptline/core';
import { assertJsonDepth } from '../http/input-guards.ts';
import { ExportTraceServiceRequest } from './proto.ts';

/** protobufjs's 64-bit integers: a Long (the `long` package is installed) or a number. */
type Int64 = number | { low: number; high: number; unsigned: boolean; toString(): string };

interface DecodedValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Int64;
  doubleValue?: number;
  arrayValue?: { values: DecodedValue[] };
  kvlistValue?: { values: DecodedKeyValue[] };
  bytesValue?: Uint8Array;
}
interface DecodedKeyValue {
  key: string;
  value?: DecodedValue;
}
interface DecodedSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId: Uint8Array;
  name: string;
  kind: number;
  startTimeUnixNano: Int64;
  endTimeUnixNano: Int64;
  attributes: DecodedKeyValue[];
  droppedAttributesCount: number;
  events: Array<{ timeUnixNano: Int64; name: string; attributes: DecodedKeyValue[] }>;
  status?: { code: number; message: string };
}
interface DecodedRequest {
  resourceSpans: Array<{
    resource?: { attributes: DecodedKeyValue[] };
    scopeSpans: Array<{ scope?: { name: string; version: string }; spans: DecodedSpan[] }>;
  }>;
}

/** Deepest nesting of array and kvlist values read; deeper values are kept as null. */
const MAX_VALUE_DEPTH = 32;

/** Hex of an id; an absent bytes field decodes to protobufjs's shared empty array, not a buffer. */
function hex(bytes: Uint8Array | readonly number[] | undefined): string {
  if (!bytes || bytes.length === 0) return '';
  if (Buffer.isBuffer(bytes)) return bytes.toString('hex');
  return Buffer.from(bytes).toString('hex');
}

/**
 * Unsigned nanoseconds (fixed64, two 32-bit halves) → epoch milliseconds, exactly: 2^32 ns is
 * 4294 ms + 967 296 ns, and every product below stays under 2^53.
 */
function nanosToMs(value: Int64): number {
  if (typeof value === 'number') return value / 1e6;
  const high = value.high >>> 0;
  const rest = high * 967_296 + (value.low >>> 0);
  const restMs = Math.floor(rest / 1e6);
  return high * 4294 + restMs + (rest - restMs * 1e6) / 1e6;
}

function int64(value: Int64): number | string {
  if (typeof value === 'number') return value;
  const n = (value.high | 0) * 4_294_967_296 + (value.low >>> 0);
  return Number.isSafeInteger(n) ? n : value.toString();
}

const own = (value: object, key: string) => Object.hasOwn(value, key);

function anyValue(value: DecodedValue | undefined, depth: number): OtlpValue {
  if (!value) return null;
  if (own(value, 'stringValue')) return value.stringValue ?? '';
  if (own(value, 'boolValue')) return value.boolValue === true;
  if (own(value, 'intValue') && value.intValue !== undefined) return int64(value.intValue);
  if (own(value, 'doubleValue')) {
    const d = value.doubleValue ?? 0;
    return Number.isFinite(d) ? d : String(d);
  }
  if (own(value, 'bytesValue') && value.bytesValue) return Buffer.from(value.bytesValue).toString('base64');
  if (depth >= MAX_VALUE_DEPTH) return null;
  if (own(value, 'arrayValue')) return (value.arrayValue?.values ?? []).map((v) => anyValue(v, depth + 1));
  if (own(value, 'kvlistValue')) return attributes(value.kvlistValue?.values ?? [], depth + 1);
  return null;
}

function attributes(list: readonly DecodedKeyValue[], depth = 0): OtlpAttributes {
  // No prototype: a key named `__proto__` stays an attribute instead of changing the object.
  const out: OtlpAttributes = Object.create(null);
  for (const kv of list) out[kv.key] = anyValue(kv.value, depth);
  return out;
}

function undecodable(cause: unknown): AppError {
  return new AppError(
    'OTLP_MALFORMED',
    'The body is not a protobuf ExportTraceServiceRequest. Send what an OpenTelemetry OTLP/HTTP exporter sends (Content-Type: application/x-protobuf), gzip only with Content-Encoding: gzip.',
    { cause },
  );
}

/**
 * Decodes the binary protobuf encoding.
 *
 * @throws AppError `OTLP_MALFORMED` when the bytes are not an ExportTraceServiceRequest.
 */
export function decodeOtlpProtobuf(body: Uint8Array): OtlpTraces {
  let request: DecodedRequest;
  try {
    request = ExportTraceServiceRequest.decode(body) as unknown as DecodedRequest;
  } catch (error) {
    // A truncated message, a wrong wire type, or nesting deep enough to exhaust the stack.
    throw undecodable(error);
  }
  return request.resourceSpans.map((rs) => ({
    resource: attributes(rs.resource?.attributes ?? []),
    scopeSpans: rs.scopeSpans.map((ss) => ({
      scope: { name: ss.scope?.name ?? '', version: ss.scope?.version ?? '' },
      spans: ss.spans.map((s) => ({
        traceId: hex(s.traceId),
        spanId: hex(s.spanId),
        parentSpanId: hex(s.parentSpanId),
        name: s.name,
        kind: s.kind,
        startMs: nanosToMs(s.startTimeUnixNano),
        endMs: nanosToMs(s.endTimeUnixNano),
        attributes: attributes(s.attributes),
        droppedAttributesCount: s.droppedAttributesCount,
        events: s.events.map((e) => ({
          name: e.name,
          timeMs: nanosToMs(e.timeUnixNano),
          attributes: attributes(e.attributes),
        })),
        status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
      })),
    })),
  }));
}

/**
 * Decodes the JSON encoding (depth-bounded like every JSON body of the server).
 *
 * @throws AppError `OTLP_MALFORMED` for text that is not JSON or not a trace export; `JSON_TOO_DEEP`.
 */
export function decodeOtlpJson(body: Buffer): OtlpTraces {
  const text = body.toString('utf8');
  assertJsonDepth(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new AppError(
      'OTLP_MALFORMED',
      `The body is not JSON: ${(error as Error).message}. Send an OTLP/JSON ExportTraceServiceRequest with Content-Type: application/json.`,
      { cause: error },
    );
  }
  return readOtlpJson(parsed);
}
