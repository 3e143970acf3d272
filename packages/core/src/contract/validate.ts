/**
 * A JSON Schema validator for the keywords input schemas use (what Picoschema produces, plus the
 * common constraints), with ajv's wording. It runs anywhere (no code generation), so the SDK can
 * check inputs at render in a browser or an edge runtime; the server and the CLI use ajv, which
 * knows every keyword. Keywords outside this list are not checked here.
 */
import type { SchemaIssue, SchemaIssueFinder } from './check.ts';

/** The keywords {@link findSchemaIssues} checks. */
export const CHECKED_KEYWORDS = [
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'anyOf',
  'oneOf',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeMatches(type: string, data: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof data === 'string';
    case 'number':
      return typeof data === 'number' && Number.isFinite(data);
    case 'integer':
      return typeof data === 'number' && Number.isInteger(data);
    case 'boolean':
      return typeof data === 'boolean';
    case 'null':
      return data === null;
    case 'array':
      return Array.isArray(data);
    case 'object':
      return isRecord(data);
    default:
      return true;
  }
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function walk(schema: unknown, data: unknown, path: string[], out: SchemaIssue[]): void {
  if (!isRecord(schema)) return;
  const at = path.join('.');
  const types = Array.isArray(schema.type)
    ? schema.type.map(String)
    : typeof schema.type === 'string'
      ? [schema.type]
      : [];
  if (types.length > 0 && !types.some((t) => typeMatches(t, data))) {
    out.push({ path: at, message: `must be ${types.join(',')}` });
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((v) => equal(v, data)))
    out.push({ path: at, message: 'must be equal to one of the allowed values' });
  if (schema.const !== undefined && !equal(schema.const, data))
    out.push({ path: at, message: 'must be equal to constant' });
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (
      Array.isArray(options) &&
      !options.some((o) => {
        const sub: SchemaIssue[] = [];
        walk(o, data, path, sub);
        return sub.length === 0;
      })
    ) {
      out.push({ path: at, message: `must match a schema in ${key}` });
    }
  }
  if (typeof data === 'number') {
    if (typeof schema.minimum === 'number' && data < schema.minimum)
      out.push({ path: at, message: `must be >= ${schema.minimum}` });
    if (typeof schema.maximum === 'number' && data > schema.maximum)
      out.push({ path: at, message: `must be <= ${schema.maximum}` });
  }
  if (typeof data === 'string') {
    const length = [...data].length;
    if (typeof schema.minLength === 'number' && length < schema.minLength)
      out.push({ path: at, message: `must NOT have fewer than ${schema.minLength} characters` });
    if (typeof schema.maxLength === 'number' && length > schema.maxLength)
      out.push({ path: at, message: `must NOT have more than ${schema.maxLength} characters` });
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(data))
      out.push({ path: at, message: `must match pattern "${schema.pattern}"` });
  }
  if (Array.isArray(data)) {
    if (typeof schema.minItems === 'number' && data.length < schema.minItems)
      out.push({ path: at, message: `must NOT have fewer than ${schema.minItems} items` });
    if (typeof schema.maxItems === 'number' && data.length > schema.maxItems)
      out.push({ path: at, message: `must NOT have more than ${schema.maxItems} items` });
    if (isRecord(schema.items))
      for (const [i, item] of data.entries()) walk(schema.items, item, [...path, String(i)], out);
  }
  if (isRecord(data)) {
    const properties = isRecord(schema.properties) ? schema.properties : {};
    for (const name of Array.isArray(schema.required) ? schema.required.map(String) : []) {
      if (!Object.hasOwn(data, name) || data[name] === undefined)
        out.push({ path: [...path, name].join('.'), message: 'is required' });
    }
    for (const [name, value] of Object.entries(data)) {
      if (value === undefined) continue;
      if (Object.hasOwn(properties, name)) walk(properties[name], value, [...path, name], out);
      else if (schema.additionalProperties === false)
        out.push({ path: [...path, name].join('.'), message: 'must NOT have additional properties' });
      else if (isRecord(schema.additionalProperties))
        walk(schema.additionalProperties, value, [...path, name], out);
    }
  }
}

/**
 * A {@link SchemaIssueFinder} without code generation (see {@link CHECKED_KEYWORDS}).
 *
 * @example findSchemaIssues({ type: 'object', required: ['a'] }, {}) // [{ path: 'a', message: 'is required' }]
 */
export const findSchemaIssues: SchemaIssueFinder = (schema, data) => {
  const out: SchemaIssue[] = [];
  walk(schema, data, [], out);
  return out;
};
