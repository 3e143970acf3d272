import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.ts';
import { nanosToMs, readOtlpJson } from './model.ts';

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';

function exportOf(span: Record<string, unknown>) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
        scopeSpans: [{ scope: { name: 'my-lib', version: '1.2.0' }, spans: [span] }],
      },
    ],
  };
}

describe('OTLP/JSON reader', () => {
  it('reads hex ids case-insensitively, nanosecond strings and numbers, integer enums', () => {
    const [rs] = readOtlpJson(
      exportOf({
        traceId: TRACE.toUpperCase(),
        spanId: SPAN,
        parentSpanId: '',
        name: 'chat gpt-4o',
        kind: 3,
        startTimeUnixNano: '1796032800123456789',
        endTimeUnixNano: 1_796_032_801_000_000_000,
        status: { code: 2, message: 'boom' },
      }),
    );
    const span = rs?.scopeSpans[0]?.spans[0];
    expect(rs?.resource).toEqual({ 'service.name': 'checkout' });
    expect(rs?.scopeSpans[0]?.scope).toEqual({ name: 'my-lib', version: '1.2.0' });
    expect(span?.traceId).toBe(TRACE);
    expect(span?.spanId).toBe(SPAN);
    expect(span?.parentSpanId).toBe('');
    expect(span?.kind).toBe(3);
    expect(span?.startMs).toBeCloseTo(1_796_032_800_123.4568, 3);
    expect(Math.floor(span?.startMs ?? 0)).toBe(1_796_032_800_123);
    expect(span?.endMs).toBe(1_796_032_801_000);
    expect(span?.status).toEqual({ code: 2, message: 'boom' });
  });

  it('accepts base64 ids of the right size (the protobuf JSON default some exporters use)', () => {
    const traceB64 = Buffer.from(TRACE, 'hex').toString('base64');
    const spanB64 = Buffer.from(SPAN, 'hex').toString('base64');
    const span = readOtlpJson(exportOf({ traceId: traceB64, spanId: spanB64 }))[0]?.scopeSpans[0]?.spans[0];
    expect(span?.traceId).toBe(TRACE);
    expect(span?.spanId).toBe(SPAN);
  });

  it('reads every AnyValue kind; int64 beyond 2^53 keeps its digits', () => {
    const attributes = [
      { key: 's', value: { stringValue: 'x' } },
      { key: 'b', value: { boolValue: true } },
      { key: 'i', value: { intValue: '42' } },
      { key: 'big', value: { intValue: '9223372036854775807' } },
      { key: 'd', value: { doubleValue: 0.5 } },
      { key: 'inf', value: { doubleValue: 'Infinity' } },
      { key: 'bytes', value: { bytesValue: 'AQI=' } },
      { key: 'arr', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }] } } },
      { key: 'kv', value: { kvlistValue: { values: [{ key: 'role', value: { stringValue: 'user' } }] } } },
      { key: 'empty', value: {} },
      { key: 'dup', value: { stringValue: 'first' } },
      { key: 'dup', value: { stringValue: 'last' } },
    ];
    const span = readOtlpJson(exportOf({ traceId: TRACE, spanId: SPAN, attributes }))[0]?.scopeSpans[0]
      ?.spans[0];
    expect({ ...span?.attributes }).toEqual({
      s: 'x',
      b: true,
      i: 42,
      big: '9223372036854775807',
      d: 0.5,
      inf: 'Infinity',
      bytes: 'AQI=',
      arr: ['a', 1],
      kv: { role: 'user' },
      empty: null,
      dup: 'last',
    });
  });

  it('reads events and the pre-1.0 instrumentationLibrarySpans spelling; ignores unknown fields', () => {
    const traces = readOtlpJson({
      future: true,
      resourceSpans: [
        {
          instrumentationLibrarySpans: [
            {
              instrumentationLibrary: { name: 'old-lib' },
              spans: [
                {
                  traceId: TRACE,
                  spanId: SPAN,
                  unknownField: { x: 1 },
                  events: [
                    {
                      name: 'gen_ai.user.message',
                      timeUnixNano: '1796032800000000000',
                      attributes: [{ key: 'content', value: { stringValue: 'hi' } }],
                    },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    const scope = traces[0]?.scopeSpans[0];
    expect(scope?.scope.name).toBe('old-lib');
    expect(scope?.spans[0]?.events).toEqual([
      { name: 'gen_ai.user.message', timeMs: 1_796_032_800_000, attributes: { content: 'hi' } },
    ]);
  });

  it('refuses a structure that is not a trace export, naming the field', () => {
    expect(() => readOtlpJson({ resourceSpans: {} })).toThrow(AppError);
    try {
      readOtlpJson({ resourceSpans: [{ scopeSpans: [{ spans: [{ attributes: [{ key: 1 }] }] }] }] });
      expect.unreachable();
    } catch (error) {
      expect((error as AppError).code).toBe('OTLP_MALFORMED');
      expect((error as AppError).errors?.[0]?.path).toBe(
        'resourceSpans.0.scopeSpans.0.spans.0.attributes.0.key',
      );
    }
    expect(() => readOtlpJson('nope')).toThrow(/must be an object/);
  });

  it('keeps a __proto__ attribute key as data', () => {
    const span = readOtlpJson(
      exportOf({
        traceId: TRACE,
        spanId: SPAN,
        attributes: [{ key: '__proto__', value: { stringValue: 'x' } }],
      }),
    )[0]?.scopeSpans[0]?.spans[0];
    expect(Object.getOwnPropertyDescriptor(span?.attributes, '__proto__')?.value).toBe('x');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('converts nanoseconds to milliseconds without rounding the milliseconds away', () => {
    expect(nanosToMs('1796032800999999999')).toBe(1_796_032_800_999 + 999_999 / 1e6);
    expect(nanosToMs('500000')).toBe(0.5);
    expect(nanosToMs('-1')).toBeNaN();
  });
});
