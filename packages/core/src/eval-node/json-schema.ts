/**
 * JSON Schema validation for assertions (`is-json`, `contains-json`, `json-schema`, tool-call
 * arguments) with ajv. Node-only: ajv compiles validators with `new Function`, which strict
 * browser/edge CSPs forbid.
 */
import { createRequire } from 'node:module';
import type { Ajv as AjvInstance, ValidateFunction } from 'ajv';
import { canonicalJson } from '../canonical.ts';
import type { SchemaIssueFinder } from '../contract/check.ts';

/** Validates data against a schema; compiled validators are cached by the schema's canonical JSON. */
export type JsonSchemaValidator = (schema: unknown, data: unknown) => { valid: boolean; errors: string };

// ajv is loaded and built on the first schema, not with the module: loading it and compiling its
// meta-schemas costs ~35 ms, paid by every eval run although most suites never validate a schema.
// A synchronous require keeps the validator synchronous (ajv is CommonJS).
const require = createRequire(import.meta.url);

/** Creates a {@link JsonSchemaValidator} with its own compile cache. */
export function createJsonSchemaValidator(): JsonSchemaValidator {
  let ajv: AjvInstance | null = null;
  const cache = new Map<string, ValidateFunction>();
  return (schema, data) => {
    if (!ajv) {
      const { Ajv } = require('ajv') as typeof import('ajv');
      ajv = new Ajv({ allErrors: true, strict: false });
    }
    const key = canonicalJson(schema);
    let validate = cache.get(key);
    if (!validate) {
      try {
        validate = ajv.compile(schema as object);
      } catch (err) {
        return { valid: false, errors: `invalid JSON Schema: ${(err as Error).message}` };
      }
      if (cache.size > 500) cache.clear();
      cache.set(key, validate);
    }
    const valid = validate(data) as boolean;
    return { valid, errors: valid ? '' : ajv.errorsText(validate.errors) };
  };
}

/**
 * A {@link SchemaIssueFinder} with ajv: every offending field with its dotted path
 * (`customer.name`, `tags.1`) and ajv's message; a missing required field is named itself.
 */
export function createSchemaIssueFinder(): SchemaIssueFinder {
  let ajv: AjvInstance | null = null;
  const cache = new Map<string, ValidateFunction>();
  // A caller that passes the same schema object again (a cached contract at span ingest) skips
  // the canonical JSON of the key, which cost more than the validation itself.
  const byObject = new WeakMap<object, ValidateFunction>();
  return (schema, data) => {
    if (!ajv) {
      const { Ajv } = require('ajv') as typeof import('ajv');
      ajv = new Ajv({ allErrors: true, strict: false });
    }
    const known = typeof schema === 'object' && schema !== null ? byObject.get(schema) : undefined;
    const key = known ? '' : canonicalJson(schema);
    let validate = known ?? cache.get(key);
    if (!validate) {
      try {
        validate = ajv.compile(schema as object);
      } catch (err) {
        return [{ path: '', message: `has an invalid JSON Schema: ${(err as Error).message}` }];
      }
      if (cache.size > 500) cache.clear();
      cache.set(key, validate);
    }
    if (!known && typeof schema === 'object' && schema !== null) byObject.set(schema, validate);
    if (validate(data)) return [];
    return (validate.errors ?? []).map((e) => {
      const base = e.instancePath
        .split('/')
        .slice(1)
        .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
      const params = e.params as { missingProperty?: string; additionalProperty?: string };
      if (e.keyword === 'required' && params.missingProperty !== undefined)
        return { path: [...base, params.missingProperty].join('.'), message: 'is required' };
      // Named by the field itself, like a missing one.
      if (e.keyword === 'additionalProperties' && params.additionalProperty !== undefined)
        return {
          path: [...base, params.additionalProperty].join('.'),
          message: e.message ?? 'is not allowed',
        };
      return { path: base.join('.'), message: e.message ?? 'is invalid' };
    });
  };
}
