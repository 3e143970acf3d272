import {
  AuditQuery,
  DatasetExportQuery,
  DatasetItemsQuery,
  DiffQuery,
  HistoryQuery,
  ResolveQuery,
} from '@promptline/core';
import { validatorCompiler as zodValidatorCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EnvParams, PromptEnvParams, PromptParams } from './schemas.ts';
import { validatorCompiler } from './validation.ts';

type Part = 'params' | 'querystring' | 'body';
const compile = (compiler: typeof validatorCompiler, schema: z.ZodType, httpPart: Part) =>
  compiler({ schema, method: 'GET', url: '/x', httpPart }) as (data: unknown) => {
    value?: unknown;
    error?: Error & { validation?: unknown };
  };

/** What a validator answered, comparable: the value, or the error's message and per-field issues. */
function outcome(result: { value?: unknown; error?: Error & { validation?: unknown } }) {
  if (result.error) return { error: result.error.message, validation: result.error.validation };
  return { value: { ...(result.value as object) } };
}

/** A query string object as Fastify's parser makes it (no prototype). */
const query = (fields: Record<string, unknown>) => Object.assign(Object.create(null), fields);

const long = (n: number) => 'a'.repeat(n);
const INPUTS: Record<string, unknown>[] = [
  { name: 'support' },
  { name: 'support/triage' },
  { name: '' },
  { name: 'Support' },
  { name: long(200) },
  { name: long(201) },
  { name: 'a\u0000b' },
  { name: 'x', extra: 'y' },
  {},
  { name: undefined },
  { name: ['a', 'b'] },
  { env: 'production' },
  { env: 'Production' },
  { env: long(65) },
  { name: 'x', env: 'staging' },
  query({ env: 'production' }),
  query({ env: 'production', unit: 'user-1' }),
  query({ env: 'production', unit: long(500) }),
  query({ env: 'production', unit: long(501) }),
  query({ env: 'production', unit: '' }),
  query({ unit: 'user-1' }),
  query({ env: ['production', 'staging'] }),
  query({ env: 'production', unit: 'u', other: '1' }),
  query({ from: '1', to: '2' }),
  query({ from: 'one', to: '2' }),
  query({ limit: '10' }),
  query({ format: 'csv' }),
  query({ format: 'xml' }),
  query({}),
  query({ at: '2026-01-01T00:00:00.000Z' }),
  query({ cursor: '12' }),
  query({ cursor: 'x' }),
  query({ env: 'production', unit: 'user-1', 'attr.plan': 'enterprise' }),
  query({ env: 'production', 'attr.plan': long(2000) }),
  query({ env: 'production', 'attr.plan': long(2001) }),
  query({ env: 'production', 'attr.plan': ['a', 'b'] }),
  query({ env: 'production', 'attr.': '' }),
  query({ a: 'x' }),
  query({ a: 'xy', b: 'ab' }),
  query({ a: 'xyzw' }),
  query({ b: 'abc' }),
  query({ b: '' }),
];

const SCHEMAS: Record<string, z.ZodType> = {
  PromptParams,
  PromptEnvParams,
  EnvParams,
  ResolveQuery,
  DiffQuery,
  DatasetItemsQuery,
  DatasetExportQuery,
  HistoryQuery,
  AuditQuery,
  refined: z.object({ a: z.string().optional(), b: z.string().optional() }).refine((v) => v.a !== v.b),
  trimmed: z.object({ name: z.string().trim() }),
  lengths: z.object({ a: z.string().min(2).max(3).optional(), b: z.string().length(2).optional() }),
  coerced: z.object({ a: z.coerce.string().max(3).optional() }),
  numberCatchall: z.object({ env: z.string() }).catchall(z.coerce.number()),
};

describe('the params/querystring shortcut answers exactly what zod answers', () => {
  for (const [schemaName, schema] of Object.entries(SCHEMAS)) {
    it(`${schemaName}: same value or same error for every input, first seen and remembered`, () => {
      const ours = compile(validatorCompiler, schema, 'querystring');
      const zods = compile(zodValidatorCompiler as typeof validatorCompiler, schema, 'querystring');
      // Twice: the second pass answers from the remembered strings.
      for (const pass of [1, 2]) {
        for (const input of INPUTS) {
          expect(outcome(ours(input)), `${schemaName} pass ${pass}: ${JSON.stringify(input)}`).toEqual(
            outcome(zods(input)),
          );
        }
      }
    });
  }

  it('a value the field changes (trim) is never answered as it came', () => {
    const ours = compile(validatorCompiler, SCHEMAS.trimmed as z.ZodType, 'params');
    expect(ours({ name: ' x ' }).value).toEqual({ name: 'x' });
    expect(ours({ name: ' x ' }).value).toEqual({ name: 'x' });
  });

  it('an object-level check still runs on input the fields accept', () => {
    const ours = compile(validatorCompiler, SCHEMAS.refined as z.ZodType, 'querystring');
    expect(ours(query({ a: 'same', b: 'same' })).error).toBeDefined();
  });

  it('a length-only string field and the catch-all are checked by length, without remembering', () => {
    const ours = compile(validatorCompiler, ResolveQuery, 'querystring');
    for (let i = 0; i < 2000; i++) {
      const input = query({ env: 'production', unit: `user-${i}`, [`attr.k${i}`]: `v${i}` });
      // The very object that came in: zod was not asked (its parse answers a new object).
      expect(ours(input).value).toBe(input);
    }
    expect(ours(query({ env: 'production', 'attr.plan': long(2001) })).error).toBeDefined();
  });

  it('beyond the remembered strings, fields are still checked', () => {
    const ours = compile(validatorCompiler, ResolveQuery, 'querystring');
    for (let i = 0; i < 3000; i++) {
      expect(ours(query({ env: 'production', unit: `user-${i}` })).value).toBeDefined();
    }
    expect(ours(query({ env: 'production', unit: long(501) })).error).toBeDefined();
    expect(ours(query({ env: 'Nope', unit: 'user-1' })).error).toBeDefined();
  });
});
