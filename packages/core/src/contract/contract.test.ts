import { describe, expect, it } from 'vitest';
import { createSchemaIssueFinder } from '../eval-node/json-schema.ts';
import { ModelConfig } from '../schemas.ts';
import {
  checkOutput,
  findSchemaIssues,
  generateTypes,
  inputIssues,
  isJsonSchema,
  toJsonSchema,
} from './index.ts';

const find = createSchemaIssueFinder();

describe('Picoschema', () => {
  it('converts fields, optional fields (nullable), descriptions, arrays, enums, nested objects and wildcards', () => {
    expect(
      toJsonSchema({
        name: 'string, the full name',
        'age?': 'integer',
        'tags(array, labels)': 'string',
        'plan?(enum)': ['free', 'pro'],
        address: { street: 'string', 'zip?': 'string' },
        'meta(object)': { '(*)': 'number' },
        anything: 'any',
      }),
    ).toEqual({
      type: 'object',
      properties: {
        name: { type: 'string', description: 'the full name' },
        age: { type: ['integer', 'null'] },
        tags: { type: 'array', items: { type: 'string' }, description: 'labels' },
        plan: { enum: ['free', 'pro', null] },
        address: {
          type: 'object',
          properties: { street: { type: 'string' }, zip: { type: ['string', 'null'] } },
          required: ['street'],
        },
        meta: { type: 'object', properties: {}, additionalProperties: { type: 'number' } },
        anything: {},
      },
      required: ['name', 'tags', 'address', 'meta', 'anything'],
    });
  });

  it('tells JSON Schema from Picoschema (a field named "type" stays Picoschema)', () => {
    expect(isJsonSchema({ type: 'object', properties: { a: { type: 'string' } } })).toBe(true);
    expect(isJsonSchema({ type: 'string', maxLength: 3 })).toBe(true);
    expect(isJsonSchema({ type: 'string', title2: 'string' })).toBe(false);
    expect(toJsonSchema({ type: 'string', label: 'string' })).toMatchObject({
      properties: { type: { type: 'string' } },
    });
  });

  it('a version config refuses a malformed schema or contract, naming the field', () => {
    const bad = ModelConfig.safeParse({ input: { schema: { 'x(mystery)': 'string' } } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['input', 'schema', 'x']);
    expect(ModelConfig.safeParse({ output: { format: 'text', pattern: '(' } }).success).toBe(false);
    expect(ModelConfig.safeParse({ output: { format: 'json', schema: { ok: 'boolean' } } }).success).toBe(
      true,
    );
  });
});

describe('checks', () => {
  it('lists every offending input field under variables.', () => {
    expect(
      inputIssues({ schema: { user: { name: 'string' }, 'n?': 'number' } }, { user: {}, n: 'x' }, find),
    ).toEqual([
      { path: 'variables.user.name', message: 'is required' },
      { path: 'variables.n', message: 'must be number,null' },
    ]);
  });

  it('checks JSON outputs (fenced or not) against the contract schema, and text outputs against their constraints', () => {
    const json = { format: 'json' as const, schema: { queue: 'string', 'urgent?': 'boolean' } };
    expect(checkOutput(json, '{"queue": "billing"}', find)).toEqual({
      pass: true,
      reason: 'the output is JSON matching the contract schema',
    });
    expect(checkOutput(json, '```json\n{"queue": "billing", "urgent": true}\n```', find).pass).toBe(true);
    expect(checkOutput(json, '{"urgent": "yes"}', find)).toEqual({
      pass: false,
      reason: 'the output JSON breaks the contract schema: queue is required; urgent must be boolean,null',
    });
    expect(checkOutput(json, 'Billing.', find).reason).toBe(
      'the output is not JSON, but the contract says format: json',
    );
    const text = {
      format: 'text' as const,
      maxWords: 3,
      pattern: '^[A-Z]',
      contains: ['ok'],
      notContains: ['sorry'],
    };
    expect(checkOutput(text, 'Yes ok', find).pass).toBe(true);
    expect(checkOutput(text, 'sorry, not ok at all', find).reason).toBe(
      'the output has 5 words, over the 3 allowed, does not match /^[A-Z]/, contains "sorry"',
    );
  });
});

describe('generateTypes', () => {
  it('writes PromptInputs from schemas, and variable names typed unknown where no schema is declared', () => {
    const text = generateTypes([
      {
        name: 'support/triage',
        version: 3,
        variables: ['customer', 'ticket'],
        schema: { customer: { name: 'string, full name' }, ticket: 'string', 'tags?(array)': 'string' },
      },
      { name: 'plain', version: 1, variables: ['x'] },
    ]);
    expect(text).toContain(`export interface PromptInputs {
  /** v1: from its variables (no input schema declared). */
  "plain": {
    x: unknown;
  };
  /** v3: from its input schema. */
  "support/triage": {
    customer: {
      /** full name */
      name: string;
    };
    ticket: string;
    tags?: string[] | null;
  };
}`);
    expect(text).toContain('export type InputsOf<Name extends keyof PromptInputs> = PromptInputs[Name];');
  });
});

describe('findSchemaIssues (the SDK validator)', () => {
  it('names the same fields with the same messages as ajv over the keywords input schemas use', () => {
    const schema = toJsonSchema({
      user: { name: 'string', 'age?': 'integer' },
      'role(enum)': ['admin', 'viewer'],
      'tags?(array)': 'string',
    });
    const strict = {
      type: 'object',
      properties: {
        n: { type: 'number', minimum: 1, maximum: 9 },
        s: { type: 'string', minLength: 2, maxLength: 4, pattern: '^a' },
        l: { type: 'array', minItems: 1, maxItems: 2 },
      },
      required: ['n'],
      additionalProperties: false,
    };
    const cases: [unknown, unknown][] = [
      [schema, {}],
      [schema, { user: { name: 3, age: 1.5 }, role: 'root', tags: ['a', 2] }],
      [schema, { user: 'x', role: 'admin', tags: null }],
      [schema, { user: { name: 'a', age: null }, role: 'viewer' }],
      [strict, { n: 0, s: 'bcdef', l: [], extra: 1 }],
      [strict, { n: 10, s: 'a', l: [1, 2, 3] }],
      [strict, { n: '1' }],
    ];
    for (const [s, data] of cases) {
      const sort = (list: { path: string; message: string }[]) =>
        [...list].sort((a, b) => `${a.path}${a.message}`.localeCompare(`${b.path}${b.message}`));
      expect(sort(findSchemaIssues(s, data)), JSON.stringify(data)).toEqual(sort(find(s, data)));
    }
  });
});
