/**
 * Picoschema (Dotprompt's compact schema notation) to JSON Schema, and telling the two apart.
 *
 * ```yaml
 * customer:
 *   name: string, the customer's full name
 *   plan?(enum): [free, pro]
 * ticket: string
 * tags(array): string
 * ```
 * Every field is required unless its name ends in `?`; an optional field also accepts null.
 */

const SCALARS = new Set(['string', 'number', 'integer', 'boolean', 'null', 'any']);
const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null', 'object', 'array']);
const JSON_SCHEMA_KEYWORDS = new Set([
  '$schema',
  '$id',
  '$ref',
  '$defs',
  'definitions',
  'type',
  'properties',
  'required',
  'items',
  'additionalProperties',
  'enum',
  'const',
  'description',
  'title',
  'default',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minItems',
  'maxItems',
  'examples',
  'nullable',
  'patternProperties',
  'exclusiveMinimum',
  'exclusiveMaximum',
]);

/** A JSON Schema or Picoschema could not be read; `path` names the field. */
export class SchemaError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.path = path;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a schema is JSON Schema (a `$schema`, `properties`, or a JSON type with only JSON Schema keywords beside it). */
export function isJsonSchema(schema: Record<string, unknown>): boolean {
  if ('$schema' in schema || ('properties' in schema && isRecord(schema.properties))) return true;
  const type = schema.type;
  const typed =
    typeof type === 'string'
      ? JSON_TYPES.has(type)
      : Array.isArray(type) && type.every((t) => JSON_TYPES.has(String(t)));
  return typed && Object.keys(schema).every((k) => JSON_SCHEMA_KEYWORDS.has(k));
}

function scalar(spec: string, path: string): Record<string, unknown> {
  const comma = spec.indexOf(',');
  const type = (comma === -1 ? spec : spec.slice(0, comma)).trim();
  const description = comma === -1 ? undefined : spec.slice(comma + 1).trim();
  if (!SCALARS.has(type)) {
    throw new SchemaError(
      path,
      `"${type}" is not a Picoschema type (use string, number, integer, boolean, null, any, or a nested map)`,
    );
  }
  const out: Record<string, unknown> = type === 'any' ? {} : { type };
  if (description) out.description = description;
  return out;
}

function value(spec: unknown, path: string): Record<string, unknown> {
  if (typeof spec === 'string') return scalar(spec, path);
  if (isRecord(spec)) return isJsonSchema(spec) ? spec : object(spec, path);
  throw new SchemaError(path, 'expected a type name ("string, a description") or a nested map');
}

const KEY = /^([^?(]+)(\?)?(?:\(([^,)]*)(?:,\s*([^)]*))?\))?$/;

function object(fields: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  let additional: unknown;
  for (const [key, spec] of Object.entries(fields)) {
    if (key === '(*)') {
      additional = value(spec, `${prefix}(*)`);
      continue;
    }
    const m = KEY.exec(key.trim());
    const name = m?.[1]?.trim();
    if (!m || !name)
      throw new SchemaError(
        `${prefix}${key}`,
        `"${key}" is not a Picoschema field name (name, name?, name(array), name(enum), name(object))`,
      );
    const path = `${prefix}${name}`;
    const kind = m[3]?.trim();
    const description = m[4]?.trim();
    let schema: Record<string, unknown>;
    if (kind === undefined || kind === '') schema = value(spec, path);
    else if (kind === 'array') schema = { type: 'array', items: value(spec, `${path}[]`) };
    else if (kind === 'object') {
      if (!isRecord(spec)) throw new SchemaError(path, 'an (object) field needs a nested map');
      schema = object(spec, `${path}.`);
    } else if (kind === 'enum') {
      if (!Array.isArray(spec) || spec.length === 0)
        throw new SchemaError(path, 'an (enum) field needs a list of values');
      schema = { enum: m[2] ? [...spec, null] : spec };
    } else if (SCALARS.has(kind)) schema = scalar(kind, path);
    else
      throw new SchemaError(
        path,
        `"(${kind})" is not a Picoschema kind (array, object, enum or a type name)`,
      );
    if (description) schema = { ...schema, description };
    if (m[2]) {
      if (typeof schema.type === 'string') schema = { ...schema, type: [schema.type, 'null'] };
    } else required.push(name);
    properties[name] = schema;
  }
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    ...(additional !== undefined ? { additionalProperties: additional } : {}),
  };
}

/**
 * The JSON Schema a Picoschema (or a JSON Schema, returned as is) describes.
 *
 * @throws SchemaError naming the field that cannot be read.
 * @example toJsonSchema({ 'name': 'string', 'age?': 'integer' })
 * // { type: 'object', properties: { name: { type: 'string' }, age: { type: ['integer', 'null'] } }, required: ['name'] }
 */
export function toJsonSchema(schema: Record<string, unknown>): Record<string, unknown> {
  return isJsonSchema(schema) ? schema : object(schema, '');
}
