import { acceptTraceBatch, MAX_ATTRIBUTE_VALUE_LENGTH, TraceBatch } from '@promptline/core';
import fc from 'fast-check';
import { validatorCompiler as zodValidatorCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { validatorCompiler } from './validation.ts';

type Result = { value?: unknown; error?: unknown };
const compile = (compiler: typeof validatorCompiler) =>
  compiler({ schema: TraceBatch, method: 'POST', url: '/api/v1/traces', httpPart: 'body' }) as (
    data: unknown,
  ) => Result;
const ours = compile(validatorCompiler);
const zods = compile(zodValidatorCompiler as typeof validatorCompiler);

/** What a validator answered, comparable: the parsed value, or every issue (path, code, message). */
const outcome = (r: Result) => (r.error ? { error: JSON.stringify(r.error) } : { value: r.value });

/** A field's values: ones the contract accepts, and ones it refuses. */
type Field = { valid: fc.Arbitrary<unknown>; invalid?: fc.Arbitrary<unknown> };

/**
 * An object's arbitraries: `valid` (every field valid, optional ones sometimes absent) and
 * `oneBad` (a valid object with exactly one field refused, a required one missing, or a key the
 * contract does not name, which zod strips and the check must leave to zod).
 */
function object(fields: Record<string, Field>, required: string[]): Field {
  const valid = fc.record(Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.valid])), {
    requiredKeys: required,
  }) as fc.Arbitrary<Record<string, unknown>>;
  const mutation = fc.oneof(
    ...Object.entries(fields).flatMap(([k, f]) =>
      f.invalid ? [f.invalid.map((bad) => (o: Record<string, unknown>) => ({ ...o, [k]: bad }))] : [],
    ),
    fc.constantFrom(...required).map((k) => (o: Record<string, unknown>) => {
      const { [k]: _, ...rest } = o;
      return rest;
    }),
    fc.constant((o: Record<string, unknown>) => ({ ...o, extra: 'unknown' })),
  );
  return { valid, invalid: fc.tuple(valid, mutation).map(([o, mutate]) => mutate(o)) };
}

const wrongType = fc.constantFrom(null, true, 1, 'x', [], {}, -1, 1.5, '', 'A'.repeat(40));
const hex = (n: number): Field => ({
  valid: fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`)).filter((id) => !/^0+$/.test(id)),
  invalid: fc.constantFrom('0'.repeat(n), 'F'.repeat(n), 'a'.repeat(n - 1), 'g'.repeat(n), 1, null),
});
const text = (max: number): Field => ({
  valid: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constant('x'.repeat(max))),
  invalid: fc.oneof(
    wrongType.filter((v) => typeof v !== 'string'),
    fc.constantFrom('', 'x'.repeat(max + 1)),
  ),
});
const int = (min: number, max: number): Field => ({
  valid: fc.oneof(fc.integer({ min, max: Math.min(max, 1e6) }), fc.constantFrom(min, max)),
  invalid: fc.constantFrom(min - 1, max + 1, 0.5, '1', null, true),
});
const time: Field = {
  valid: fc.oneof(
    fc.integer({ min: 0, max: 4_102_444_800_000 }),
    fc.constantFrom(
      0.5,
      8_640_000_000_000_000,
      '2026-03-01T10:00:00Z',
      '2026-03-01T10:00:00.123+02:00',
      '2026-03-01T10:00+0530',
    ),
  ),
  invalid: fc.constantFrom(
    -1,
    8_640_000_000_000_001,
    '2026-03-01',
    '2026-13-01T10:00:00Z',
    'yesterday',
    null,
  ),
};
const json = fc.jsonValue({ maxDepth: 3 });
/** Any JSON (`input`, `output`): nothing is refused. */
const any: Field = { valid: json };
const nonNegative: Field = {
  valid: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
  invalid: fc.constantFrom(-0.1, 'x', null),
};
const attributeValue = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constant('x'.repeat(MAX_ATTRIBUTE_VALUE_LENGTH)),
  fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.boolean(), fc.constant(null)), {
    maxLength: 3,
  }),
);
const attributes: Field = {
  valid: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), attributeValue, { maxKeys: 5 }),
  invalid: fc.oneof(
    wrongType.filter((v) => typeof v !== 'object' || Array.isArray(v) || v === null),
    fc.constantFrom(
      { '': 1 },
      { ['k'.repeat(257)]: 1 },
      { k: 'x'.repeat(MAX_ATTRIBUTE_VALUE_LENGTH + 1) },
      { k: [[1]] },
      { k: { nested: 1 } },
      { k: Array.from({ length: 129 }, () => 1) },
      Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, i])),
    ),
  ),
};
const prompt = object(
  {
    name: {
      valid: fc.constantFrom('support/triage', 'a', 'x.y-z_1/b'),
      invalid: fc.constantFrom('Support', '/a', 'a//b', '', 1),
    },
    version: int(1, 2_147_483_647),
    environment: {
      valid: fc.constantFrom('production', 'dev_1'),
      invalid: fc.constantFrom('Prod', '-x', '', null),
    },
    variant: int(0, 1_000),
  },
  ['name', 'version'],
);
const tokens = int(0, Number.MAX_SAFE_INTEGER);
const usage = object(
  {
    input: tokens,
    output: tokens,
    cachedInput: tokens,
    reasoning: tokens,
    estimated: { valid: fc.boolean(), invalid: wrongType.filter((v) => typeof v !== 'boolean') },
  },
  ['input', 'output'],
);
const span = object(
  {
    traceId: hex(32),
    spanId: hex(16),
    parentSpanId: hex(16),
    name: text(1_024),
    startTime: time,
    endTime: time,
    status: { valid: fc.constantFrom('ok', 'error'), invalid: fc.constantFrom('OK', 'unset', null) },
    statusMessage: {
      valid: fc.string({ maxLength: 10 }),
      invalid: fc.constantFrom(null, 1, 'x'.repeat(16_385)),
    },
    prompt: { valid: prompt.valid, invalid: fc.oneof(prompt.invalid ?? wrongType, wrongType) },
    unit: text(1_024),
    provider: text(1_024),
    model: text(1_024),
    usage: { valid: usage.valid, invalid: fc.oneof(usage.invalid ?? wrongType, wrongType) },
    costUsd: nonNegative,
    timeToFirstTokenMs: nonNegative,
    input: any,
    output: any,
    variables: {
      valid: fc.dictionary(fc.string({ maxLength: 6 }), json, { maxKeys: 3 }),
      invalid: fc.constantFrom([], 'x', null),
    },
    userId: text(1_024),
    sessionId: text(1_024),
    attributes,
  },
  ['traceId', 'spanId', 'name', 'startTime', 'endTime'],
);
const batch = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      spans: fc.array(
        fc.oneof({ weight: 3, arbitrary: span.valid }, { weight: 1, arbitrary: span.invalid ?? span.valid }),
        { minLength: 1, maxLength: 4 },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom({ spans: [] }, { spans: {} }, [], null, { spans: [{}], more: 1 }) },
);

describe('the trace batch body: the fast acceptance check never changes what zod answers', () => {
  it('our validator and zod answer the same value or the same errors, on random batches (property)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(batch, (data) => {
        // JSON round trip: what a parsed body is (no undefined, no -0, plain objects).
        const body: unknown = JSON.parse(JSON.stringify(data));
        const fast = acceptTraceBatch(body);
        if (fast !== undefined) {
          accepted++;
          expect(fast).toStrictEqual(TraceBatch.parse(body));
        }
        expect(outcome(ours(body))).toStrictEqual(outcome(zods(body)));
      }),
      { numRuns: 3_000, seed: 10 },
    );
    // The check must actually serve valid batches, or it proves nothing and speeds nothing.
    expect(accepted).toBeGreaterThan(30);
  });

  it('a plain valid batch is accepted by the check, with the default status applied as zod does', () => {
    const span = {
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      name: 'chat',
      startTime: '2026-03-01T10:00:00Z',
      endTime: 1_772_359_201_000,
      prompt: { name: 'support/triage', version: 2, environment: 'production', variant: 0 },
      usage: { input: 10, output: 2 },
      input: [{ role: 'user', content: 'hi' }],
      attributes: { 'gen_ai.response.finish_reasons': ['stop'], n: 1, ok: true, none: null },
    };
    const fast = acceptTraceBatch({ spans: [span] });
    expect(fast).toStrictEqual(TraceBatch.parse({ spans: [span] }));
    expect(fast?.spans[0]?.status).toBe('ok');
  });

  it('an invalid span is refused by zod with its index and field', () => {
    const good = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), name: 'x', startTime: 1, endTime: 2 };
    const result = ours({ spans: [good, { ...good, usage: { input: -1, output: 0 } }] });
    expect(acceptTraceBatch({ spans: [good, { ...good, usage: { input: -1, output: 0 } }] })).toBeUndefined();
    expect(result.error).toBeDefined();
    expect(result.error).toMatchObject([{ instancePath: '/spans/1/usage/input', keyword: 'too_small' }]);
  });
});
