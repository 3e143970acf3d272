/**
 * JSON Schema validation for assertions (`is-json`, `contains-json`, `json-schema`, tool-call
 * arguments) with ajv. Node-only: ajv compiles validators with `new Function`, which strict
 * browser/edge CSPs forbid.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { canonicalJson } from '../canonical.ts';

/** Validates data against a schema; compiled validators are cached by the schema's canonical JSON. */
export type JsonSchemaValidator = (schema: unknown, data: unknown) => { valid: boolean; errors: string };

/** Creates a {@link JsonSchemaValidator} with its own compile cache. */
export function createJsonSchemaValidator(): JsonSchemaValidator {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const cache = new Map<string, ValidateFunction>();
  return (schema, data) => {
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
