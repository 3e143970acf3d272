/**
 * Reading OTLP attributes by their several spellings, and fitting what is left into the span
 * contract's attribute bounds deterministically: the same input always keeps the same attributes.
 */
import { MAX_ATTRIBUTE_KEY_LENGTH, MAX_ATTRIBUTE_VALUE_LENGTH, MAX_SPAN_ATTRIBUTES } from '../limits.ts';
import type { AttributeValue, SpanAttributes } from '../schemas.ts';
import type { OtlpAttributes, OtlpValue } from './model.ts';

/** Most elements kept of an array attribute (the contract's bound). */
const MAX_ARRAY_LENGTH = 128;

/** PostgreSQL cannot store NUL in text: it becomes the replacement character instead of failing the batch. */
export function clean(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}

/** The first of `keys` present with a non-empty string (numbers are written as decimal). */
export function firstString(attributes: OtlpAttributes, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = attributes[key];
    if (typeof value === 'string' && value.trim() !== '') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return undefined;
}

/** The first of `keys` holding a non-negative whole number (or a decimal string of one). */
export function firstCount(attributes: OtlpAttributes, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = attributes[key];
    const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) return n;
  }
  return undefined;
}

/** The first of `keys` holding a finite non-negative number. */
export function firstAmount(attributes: OtlpAttributes, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = attributes[key];
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n === 'number' && Number.isFinite(n) && n >= 0) return n;
  }
  return undefined;
}

/** A JSON string parsed, or the value itself when it is not JSON text (instrumentations write both). */
export function parseMaybeJson(value: OtlpValue | undefined): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (!(text.startsWith('{') || text.startsWith('['))) return value;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Text that only looks like JSON is kept as the text it is: content, not a malformed request.
    return value;
  }
}

/** A string cut to the contract's longest value; counts when it cut. */
function bounded(text: string, trimmed: { count: number }): string {
  if (text.length <= MAX_ATTRIBUTE_VALUE_LENGTH) return clean(text);
  trimmed.count++;
  return clean(text.slice(0, MAX_ATTRIBUTE_VALUE_LENGTH));
}

function primitive(value: OtlpValue, trimmed: { count: number }): string | number | boolean | null {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'string') return bounded(value, trimmed);
  // Nested arrays and kvlists have no flat form: their JSON text keeps them readable.
  return bounded(JSON.stringify(value), trimmed);
}

/** An OTLP value in the contract's flat form: primitives and arrays of primitives. */
export function flatValue(value: OtlpValue, trimmed: { count: number }): AttributeValue {
  if (!Array.isArray(value)) return primitive(value, trimmed);
  if (value.length > MAX_ARRAY_LENGTH) trimmed.count++;
  return value.slice(0, MAX_ARRAY_LENGTH).map((item) => primitive(item, trimmed));
}

/** Attributes fitted to the contract, and how many were dropped or cut to fit. */
export interface FittedAttributes {
  attributes: SpanAttributes;
  /** Attributes dropped (beyond the count, over-long keys) plus values cut short. */
  trimmed: number;
}

/**
 * Fits attribute sources, in priority order, into at most {@link MAX_SPAN_ATTRIBUTES} keys: the
 * first source to name a key wins, keys beyond the bound are dropped in source order, over-long
 * keys are dropped, long strings and arrays are cut. When anything was dropped or cut (here or by
 * the sender, `droppedBySender`), the last slot holds `otel.dropped_attributes_count`.
 */
export function fitAttributes(
  sources: ReadonlyArray<Iterable<[string, OtlpValue]>>,
  droppedBySender: number,
): FittedAttributes {
  const trimmed = { count: 0 };
  const attributes: SpanAttributes = {};
  let size = 0;
  let dropped = 0;
  for (const source of sources) {
    for (const [key, value] of source) {
      if (Object.hasOwn(attributes, key)) continue;
      // `__proto__` cannot be an own key of a plain object without changing what the object is.
      const unusable = key === '' || key === '__proto__' || key.length > MAX_ATTRIBUTE_KEY_LENGTH;
      if (unusable || size >= MAX_SPAN_ATTRIBUTES - 1) {
        dropped++;
        continue;
      }
      attributes[clean(key)] = flatValue(value, trimmed);
      size++;
    }
  }
  const total = dropped + trimmed.count;
  if (total + droppedBySender > 0) attributes['otel.dropped_attributes_count'] = total + droppedBySender;
  return { attributes, trimmed: total };
}
