/**
 * The shared input schema vectors (input-vectors.json): the Python SDK's tests read the same file,
 * so the TypeScript SDK's validator, the server's (ajv) and the Python SDK's name the same fields
 * with the same messages.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createSchemaIssueFinder } from '../eval-node/json-schema.ts';
import { inputIssues, type SchemaIssueFinder } from './check.ts';
import { findSchemaIssues } from './validate.ts';

interface Vector {
  description: string;
  schema: Record<string, unknown>;
  variables: Record<string, unknown>;
  errors: { path: string; message: string }[];
}

const vectors: Vector[] = JSON.parse(
  readFileSync(new URL('./input-vectors.json', import.meta.url), 'utf8'),
).cases;

describe('shared input schema vectors', () => {
  it('has cases that pass and cases that fail', () => {
    expect(vectors.filter((v) => v.errors.length === 0).length).toBeGreaterThan(2);
    expect(vectors.filter((v) => v.errors.length > 0).length).toBeGreaterThan(10);
  });

  for (const v of vectors) {
    it(`SDK validator: ${v.description}`, () => {
      expect(inputIssues({ schema: v.schema }, v.variables, findSchemaIssues)).toEqual(v.errors);
    });
  }

  it('the server’s validator (ajv) refuses the same variables, naming at least the same fields and messages', () => {
    const ajv: SchemaIssueFinder = createSchemaIssueFinder();
    for (const v of vectors) {
      const issues = inputIssues({ schema: v.schema }, v.variables, ajv);
      expect(issues.length === 0, v.description).toBe(v.errors.length === 0);
      // ajv also lists why each anyOf/oneOf option failed; the SDKs name the field once.
      expect(issues, v.description).toEqual(expect.arrayContaining(v.errors));
    }
  });
});
