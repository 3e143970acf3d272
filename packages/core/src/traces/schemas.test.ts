import { describe, expect, it } from 'vitest';
import { MAX_SPAN_ATTRIBUTES } from './limits.ts';
import { CreateScoreRequest, SpanInput, spanTimeMs, TraceBatch } from './schemas.ts';

const span = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  name: 'chat',
  startTime: '2026-11-30T10:00:00.000Z',
  endTime: 1_796_032_800_250,
};

describe('span contract', () => {
  it('accepts ISO and epoch-ms times and defaults the status to ok', () => {
    const parsed = SpanInput.parse(span);
    expect(parsed.status).toBe('ok');
    expect(spanTimeMs(parsed.startTime)).toBe(Date.parse('2026-11-30T10:00:00.000Z'));
    expect(spanTimeMs(parsed.endTime)).toBe(1_796_032_800_250);
  });

  it('refuses malformed and all-zero ids, naming the field', () => {
    const bad = TraceBatch.safeParse({ spans: [span, { ...span, traceId: '0'.repeat(32) }] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['spans', 1, 'traceId']);
    expect(SpanInput.safeParse({ ...span, spanId: 'XYZ' }).success).toBe(false);
  });

  it('bounds the attribute count and keeps attributes flat', () => {
    const many = Object.fromEntries(Array.from({ length: MAX_SPAN_ATTRIBUTES + 1 }, (_, i) => [`k${i}`, i]));
    expect(SpanInput.safeParse({ ...span, attributes: many }).success).toBe(false);
    expect(SpanInput.safeParse({ ...span, attributes: { nested: { a: 1 } } }).success).toBe(false);
    expect(SpanInput.safeParse({ ...span, attributes: { list: ['a', 1, true] } }).success).toBe(true);
  });

  it('takes numeric, boolean and categorical scores with api as the default source', () => {
    for (const value of [0.5, true, 'good']) {
      const parsed = CreateScoreRequest.parse({ traceId: span.traceId, name: 'helpfulness', value });
      expect(parsed.source).toBe('api');
    }
    expect(CreateScoreRequest.safeParse({ traceId: span.traceId, name: 'bad name', value: 1 }).success).toBe(
      false,
    );
  });
});
