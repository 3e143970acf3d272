/**
 * The request validator: the zod schemas of core decide, as everywhere (fastify-type-provider-zod),
 * with a shortcut for path parameters and query strings. Those are flat objects of strings whose
 * values repeat from request to request (a prompt name, an environment), yet zod would check every
 * field of every request again — on `resolve`, the hot path, a visible share of its CPU.
 *
 * The shortcut accepts an input only when each of its fields, checked on its own by the field's
 * schema, came out as the very string that went in (no coercion, no default, no transform); the
 * strings accepted so far are remembered per field, and a plain string field with length limits only
 * (`unit`, the `attr.*` catch-all of resolve) is checked by its length without zod. Anything else — an unknown key, a missing
 * required field, a non-string, a value the field refuses or changes — goes to the full zod parse,
 * so what is accepted, the parsed value and every error stay exactly what zod answers.
 *
 * Bodies with a hot path of their own (a native trace batch: up to 1 000 spans, zod's object
 * machinery ~10 µs of CPU a span) are first offered to an acceptance check of core that answers
 * zod's parsed value for input it recognises as valid, and nothing otherwise; zod then parses as
 * before, so refusals and their field paths are zod's alone.
 */
import { acceptTraceBatch, TraceBatch } from '@promptline/core';
import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler as zodValidatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** Accepted strings remembered per field; beyond this a field is checked without remembering. */
const MEMO_LIMIT = 1024;

type Validate = (data: unknown) => { value: unknown } | { error: Error };

/** Body schemas with a fast acceptance check: the parsed value, or undefined to let zod decide. */
const FAST_BODY_CHECKS = new Map<unknown, (data: unknown) => unknown>([[TraceBatch, acceptTraceBatch]]);

/** How one field (or the catch-all) of a flat object is checked on its own. */
interface FieldCheck {
  schema: z.ZodType;
  /** Length bounds when the schema is a plain string with length checks only: no zod call at all. */
  length: { min: number; max: number } | undefined;
  /** Strings the schema accepted unchanged (schemas without length bounds). */
  accepted: Set<string>;
}

/**
 * The length bounds of a plain string schema (`z.string().max(500)`, optional or not) whose only
 * checks are on its length, or undefined for anything else (a regex, a format, a transform, coercion).
 * For such a schema a string is accepted, unchanged, exactly when its length is within the bounds.
 */
function lengthBoundsOf(schema: z.ZodType): { min: number; max: number } | undefined {
  const inner = schema instanceof z.ZodOptional ? (schema.def.innerType as z.ZodType) : schema;
  if (!(inner instanceof z.ZodString) || (inner.def as { coerce?: boolean }).coerce) return undefined;
  let min = 0;
  let max = Number.POSITIVE_INFINITY;
  for (const check of inner.def.checks ?? []) {
    const def = check._zod.def as { check: string; minimum?: number; maximum?: number; length?: number };
    if (def.check === 'min_length' && typeof def.minimum === 'number') min = Math.max(min, def.minimum);
    else if (def.check === 'max_length' && typeof def.maximum === 'number') max = Math.min(max, def.maximum);
    else if (def.check === 'length_equals' && typeof def.length === 'number') {
      min = Math.max(min, def.length);
      max = Math.min(max, def.length);
    } else return undefined;
  }
  return { min, max };
}

function fieldCheck(schema: z.ZodType): FieldCheck {
  return { schema, length: lengthBoundsOf(schema), accepted: new Set() };
}

/** Whether `value` is accepted by the field unchanged (false: let zod decide and explain). */
function passes(check: FieldCheck, value: string): boolean {
  const { length } = check;
  if (length) return value.length >= length.min && value.length <= length.max;
  if (check.accepted.has(value)) return true;
  const parsed = check.schema.safeParse(value);
  if (!parsed.success || parsed.data !== value) return false;
  if (check.accepted.size < MEMO_LIMIT) check.accepted.add(value);
  return true;
}

/**
 * A validator for `schema` answering plain valid input without a full zod parse, or undefined when
 * the schema is not a flat object the shortcut can serve (object-level checks, a catch-all that is
 * not a string schema).
 */
function shortcutFor(schema: unknown, full: Validate): Validate | undefined {
  if (!(schema instanceof z.ZodObject)) return undefined;
  if ((schema.def.checks?.length ?? 0) > 0) return undefined;
  const catchallSchema = schema.def.catchall as z.ZodType | undefined;
  // `resolve` takes `attr.<name>` parameters through a catch-all of strings.
  if (catchallSchema !== undefined && !(catchallSchema instanceof z.ZodString)) return undefined;
  const catchall = catchallSchema === undefined ? undefined : fieldCheck(catchallSchema);
  const fields = Object.entries(schema.shape as Record<string, z.ZodType>).map(([key, field]) => {
    const absent = field.safeParse(undefined);
    return {
      key,
      // An absent key is fine as it is only when the field is optional without a default.
      mayBeAbsent: absent.success && absent.data === undefined,
      ...fieldCheck(field),
    };
  });
  const keys = new Set(fields.map((f) => f.key));
  return (data) => {
    if (typeof data !== 'object' || data === null) return full(data);
    const record = data as Record<string, unknown>;
    for (const key in record) {
      if (keys.has(key)) continue;
      // Extra keys: zod's to refuse, unless a catch-all takes them (and they are plain strings).
      const value = record[key];
      if (!catchall || key === '__proto__' || typeof value !== 'string' || !passes(catchall, value))
        return full(data);
    }
    for (const f of fields) {
      const value = record[f.key];
      if (value === undefined) {
        if (!f.mayBeAbsent || Object.hasOwn(record, f.key)) return full(data);
        continue;
      }
      if (typeof value !== 'string' || !passes(f, value)) return full(data);
    }
    return { value: data };
  };
}

/**
 * Fastify's validator compiler: zod for every part of every route, with the shortcut above for
 * `params` and `querystring` and the fast acceptance checks of hot bodies.
 */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = (route) => {
  const full = zodValidatorCompiler(route) as Validate;
  const accept = route.httpPart === 'body' ? FAST_BODY_CHECKS.get(route.schema) : undefined;
  if (accept) {
    return (data) => {
      const value = accept(data);
      return value === undefined ? full(data) : { value };
    };
  }
  if (route.httpPart !== 'params' && route.httpPart !== 'querystring') return full;
  return shortcutFor(route.schema, full) ?? full;
};
