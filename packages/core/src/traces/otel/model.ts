/**
 * OTLP trace data after decoding, in one neutral shape whatever the wire encoding: the server's
 * protobuf decoder and {@link readOtlpJson} both produce it, and {@link mapOtlpTraces} maps it to
 * spans. Ids are lowercase hex as received (checked when mapping, so one bad span is rejected
 * alone), times are epoch milliseconds (fractions keep the nanoseconds), attribute lists are
 * plain objects.
 */
import { AppError } from '../../errors.ts';

/** An attribute value: OTLP's AnyValue (a kvlist becomes an object, bytes a base64 string). */
export type OtlpValue = string | number | boolean | null | OtlpValue[] | { [key: string]: OtlpValue };
/** An attribute list; a key repeated on the wire keeps its last value. */
export type OtlpAttributes = Record<string, OtlpValue>;

export interface OtlpEvent {
  name: string;
  timeMs: number;
  attributes: OtlpAttributes;
}

export interface OtlpSpan {
  /** Lowercase hex of the bytes received; may be malformed (the span is then rejected). */
  traceId: string;
  spanId: string;
  /** Empty when the span is a root. */
  parentSpanId: string;
  name: string;
  /** SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** Epoch milliseconds; 0 when the sender left the time unset. */
  startMs: number;
  endMs: number;
  attributes: OtlpAttributes;
  droppedAttributesCount: number;
  events: OtlpEvent[];
  /** StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
}

export interface OtlpScopeSpans {
  scope: { name: string; version: string };
  spans: OtlpSpan[];
}

export interface OtlpResourceSpans {
  resource: OtlpAttributes;
  scopeSpans: OtlpScopeSpans[];
}

/** The content of one ExportTraceServiceRequest. */
export type OtlpTraces = OtlpResourceSpans[];

/** Epoch milliseconds of a count of nanoseconds written in decimal, without losing the milliseconds to float rounding. */
export function nanosToMs(nanos: string): number {
  if (!/^\d+$/.test(nanos)) return Number.NaN;
  if (nanos.length <= 6) return Number(nanos) / 1e6;
  return Number(nanos.slice(0, -6)) + Number(nanos.slice(-6)) / 1e6;
}

/** The hex of a base64 string, or undefined when it is not base64. */
function base64ToHex(text: string): string | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  let hex = '';
  for (const char of atob(text)) hex += char.charCodeAt(0).toString(16).padStart(2, '0');
  return hex;
}

/**
 * An id of the JSON encoding: hex (case-insensitive, as the OTLP spec says). Some exporters send
 * base64 (the protobuf JSON mapping's default for bytes); it is accepted when it decodes to an id
 * of the right size, since a hex id of that size cannot be confused with it.
 */
function jsonId(value: unknown, bytes: number): string {
  if (typeof value !== 'string' || value === '') return '';
  if (value.length !== bytes * 2) {
    const hex = base64ToHex(value);
    if (hex?.length === bytes * 2) return hex;
  }
  return value.toLowerCase();
}

function malformed(path: string, what: string): never {
  throw new AppError(
    'OTLP_MALFORMED',
    `The OTLP/JSON body is not an ExportTraceServiceRequest: ${path} ${what}. Send what an OpenTelemetry exporter sends (protobuf or JSON encoding).`,
    { errors: [{ path, message: what }] },
  );
}

function list(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) malformed(path, 'must be an array');
  return value;
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) malformed(path, 'must be an object');
  return value as Record<string, unknown>;
}

/** An int64 or fixed64 of the JSON encoding: a decimal string or a number. */
function jsonInt64(value: unknown): number | string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || !/^-?\d+$/.test(value)) return undefined;
  const n = Number(value);
  // Beyond 2^53 a number would silently change the value: keep the digits.
  return Number.isSafeInteger(n) ? n : value;
}

function jsonTimeMs(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value / 1e6 : Number.NaN;
  if (typeof value === 'string') return nanosToMs(value);
  return Number.NaN;
}

/** One AnyValue of the JSON encoding. */
export function jsonAnyValue(value: unknown, path: string): OtlpValue {
  const v = object(value, path);
  if ('stringValue' in v) return typeof v.stringValue === 'string' ? v.stringValue : String(v.stringValue);
  if ('boolValue' in v) return v.boolValue === true || v.boolValue === 'true';
  if ('intValue' in v) return jsonInt64(v.intValue) ?? null;
  if ('doubleValue' in v) {
    const d = typeof v.doubleValue === 'string' ? Number(v.doubleValue) : v.doubleValue;
    return typeof d === 'number' && Number.isFinite(d)
      ? d
      : typeof v.doubleValue === 'string'
        ? v.doubleValue
        : null;
  }
  if ('bytesValue' in v) return typeof v.bytesValue === 'string' ? v.bytesValue : null;
  // Nesting is bounded by the JSON depth limit the server applies before parsing.
  if ('arrayValue' in v) {
    const values = list(object(v.arrayValue, `${path}.arrayValue`).values, `${path}.arrayValue.values`);
    return values.map((item, i) => jsonAnyValue(item, `${path}.arrayValue.values.${i}`));
  }
  if ('kvlistValue' in v) {
    const values = list(object(v.kvlistValue, `${path}.kvlistValue`).values, `${path}.kvlistValue.values`);
    return jsonAttributes(values, `${path}.kvlistValue.values`);
  }
  return null;
}

/** A KeyValue list of the JSON encoding. */
export function jsonAttributes(value: unknown, path: string): OtlpAttributes {
  // No prototype: a key named `__proto__` stays an attribute instead of changing the object.
  const attributes: OtlpAttributes = Object.create(null);
  const entries = list(value, path);
  for (let i = 0; i < entries.length; i++) {
    const entry = object(entries[i], `${path}.${i}`);
    if (typeof entry.key !== 'string') malformed(`${path}.${i}.key`, 'must be a string');
    attributes[entry.key] = jsonAnyValue(entry.value, `${path}.${i}.value`);
  }
  return attributes;
}

function count(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 0;
}

function jsonSpan(value: unknown, path: string): OtlpSpan {
  const s = object(value, path);
  const status = object(s.status, `${path}.status`);
  return {
    traceId: jsonId(s.traceId, 16),
    spanId: jsonId(s.spanId, 8),
    parentSpanId: jsonId(s.parentSpanId, 8),
    name: typeof s.name === 'string' ? s.name : '',
    kind: count(s.kind),
    startMs: jsonTimeMs(s.startTimeUnixNano),
    endMs: jsonTimeMs(s.endTimeUnixNano),
    attributes: jsonAttributes(s.attributes, `${path}.attributes`),
    droppedAttributesCount: count(s.droppedAttributesCount),
    events: list(s.events, `${path}.events`).map((event, i) => {
      const e = object(event, `${path}.events.${i}`);
      return {
        name: typeof e.name === 'string' ? e.name : '',
        timeMs: jsonTimeMs(e.timeUnixNano),
        attributes: jsonAttributes(e.attributes, `${path}.events.${i}.attributes`),
      };
    }),
    status: { code: count(status.code), message: typeof status.message === 'string' ? status.message : '' },
  };
}

/**
 * Reads the OTLP/JSON encoding of an ExportTraceServiceRequest (already parsed from JSON): hex ids,
 * 64-bit integers as strings or numbers, integer enums, unknown fields ignored. The pre-1.0
 * `instrumentationLibrarySpans` spelling is read as `scopeSpans`.
 *
 * @throws AppError `OTLP_MALFORMED` when the structure is not a trace export (a field of the wrong type).
 */
export function readOtlpJson(body: unknown): OtlpTraces {
  const request = object(body, '(body)');
  return list(request.resourceSpans, 'resourceSpans').map((rs, i) => {
    const path = `resourceSpans.${i}`;
    const resourceSpans = object(rs, path);
    const resource = object(resourceSpans.resource, `${path}.resource`);
    const scopeKey = 'scopeSpans' in resourceSpans ? 'scopeSpans' : 'instrumentationLibrarySpans';
    return {
      resource: jsonAttributes(resource.attributes, `${path}.resource.attributes`),
      scopeSpans: list(resourceSpans[scopeKey], `${path}.${scopeKey}`).map((ss, j) => {
        const scopePath = `${path}.${scopeKey}.${j}`;
        const scopeSpans = object(ss, scopePath);
        const scope = object(scopeSpans.scope ?? scopeSpans.instrumentationLibrary, `${scopePath}.scope`);
        return {
          scope: {
            name: typeof scope.name === 'string' ? scope.name : '',
            version: typeof scope.version === 'string' ? scope.version : '',
          },
          spans: list(scopeSpans.spans, `${scopePath}.spans`).map((span, k) =>
            jsonSpan(span, `${scopePath}.spans.${k}`),
          ),
        };
      }),
    };
  });
}
