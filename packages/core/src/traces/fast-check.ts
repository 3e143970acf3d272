/**
 * A fast acceptance check of a native trace batch, for the ingestion hot path: zod's general
 * object and union machinery costs ~10 µs of CPU per span, more than the rest of the request
 * outside the database. The check only ever accepts: it answers exactly the value `TraceBatch`
 * would parse `data` to, or undefined whenever it is not sure (anything invalid, an unknown key,
 * an odd shape), and then zod parses as before — so zod stays the contract, and every error with
 * its `spans.<i>.<field>` path is still zod's. `fast-check.test.ts` checks the two agree.
 */
import { EnvironmentName, IsoInstant, MAX_INT32, PromptName } from '../schemas.ts';
import {
  MAX_ATTRIBUTE_KEY_LENGTH,
  MAX_ATTRIBUTE_VALUE_LENGTH,
  MAX_SPAN_ATTRIBUTES,
  MAX_SPAN_TEXT_LENGTH,
  MAX_SPANS_PER_BATCH,
} from './limits.ts';
import type { SpanInput, TraceBatch } from './schemas.ts';

type Fields = Record<string, unknown>;

const SPAN_KEYS = new Set([
  'traceId',
  'spanId',
  'parentSpanId',
  'name',
  'startTime',
  'endTime',
  'status',
  'statusMessage',
  'prompt',
  'unit',
  'provider',
  'model',
  'usage',
  'costUsd',
  'timeToFirstTokenMs',
  'input',
  'output',
  'variables',
  'userId',
  'sessionId',
  'attributes',
]);
const BATCH_KEYS = new Set(['spans']);
const PROMPT_KEYS = new Set(['name', 'version', 'environment', 'variant']);
const USAGE_KEYS = new Set(['input', 'output', 'cachedInput', 'reasoning', 'estimated']);
const MAX_ATTRIBUTE_ARRAY = 128;

/** A plain object (what zod's object and record accept), not an array. */
const isRecord = (v: unknown): v is Fields =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/**
 * Only `known` keys (when given), none of them an own `__proto__` nor holding `undefined`: JSON
 * never has those, and zod's answer for them (a stripped key, a default) is left to zod.
 */
function plainKeys(v: Fields, known?: ReadonlySet<string>): boolean {
  for (const key in v) if ((known !== undefined && !known.has(key)) || v[key] === undefined) return false;
  return !Object.hasOwn(v, '__proto__');
}

/** Lowercase hex of `length` digits, not all zero (W3C trace and span ids). */
function isHexId(v: unknown, length: number): boolean {
  if (typeof v !== 'string' || v.length !== length) return false;
  let nonZero = false;
  for (let i = 0; i < length; i++) {
    const c = v.charCodeAt(i);
    if (c === 48 /* 0 */) continue;
    if (!((c > 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
    nonZero = true;
  }
  return nonZero;
}

const isText = (v: unknown, max = MAX_SPAN_TEXT_LENGTH) =>
  typeof v === 'string' && v.length >= 1 && v.length <= max;
const isIntIn = (v: unknown, min: number, max: number) =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
const isNonNegative = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/**
 * Names and environments repeat from span to span: each distinct string is checked once by its
 * zod schema and remembered (bounded), so the rule itself is never written twice.
 */
function memoized(schema: { safeParse(v: unknown): { success: boolean; data?: unknown } }) {
  const accepted = new Set<string>();
  return (v: unknown): boolean => {
    if (typeof v !== 'string') return false;
    if (accepted.has(v)) return true;
    const parsed = schema.safeParse(v);
    if (!parsed.success || parsed.data !== v) return false;
    if (accepted.size < 1024) accepted.add(v);
    return true;
  };
}
const isPromptName = memoized(PromptName);
const isEnvironment = memoized(EnvironmentName);

/** Epoch ms as a number is checked here; an ISO string by zod (its rule is a regex and a parse). */
function isSpanTime(v: unknown): boolean {
  if (typeof v === 'number') return isNonNegative(v) && v <= 8_640_000_000_000_000;
  return typeof v === 'string' && IsoInstant.safeParse(v).success;
}

function isPrompt(v: unknown): boolean {
  if (!isRecord(v) || !plainKeys(v, PROMPT_KEYS)) return false;
  return (
    isPromptName(v.name) &&
    isIntIn(v.version, 1, MAX_INT32) &&
    (v.environment === undefined || isEnvironment(v.environment)) &&
    (v.variant === undefined || isIntIn(v.variant, 0, 1_000))
  );
}

function isUsage(v: unknown): boolean {
  if (!isRecord(v) || !plainKeys(v, USAGE_KEYS)) return false;
  const tokens = (t: unknown) => isIntIn(t, 0, Number.MAX_SAFE_INTEGER);
  return (
    tokens(v.input) &&
    tokens(v.output) &&
    (v.cachedInput === undefined || tokens(v.cachedInput)) &&
    (v.reasoning === undefined || tokens(v.reasoning)) &&
    (v.estimated === undefined || typeof v.estimated === 'boolean')
  );
}

const isAttributePrimitive = (v: unknown) =>
  v === null ||
  typeof v === 'boolean' ||
  (typeof v === 'number' && Number.isFinite(v)) ||
  (typeof v === 'string' && v.length <= MAX_ATTRIBUTE_VALUE_LENGTH);

function isAttributes(v: unknown): boolean {
  if (!isRecord(v) || !plainKeys(v)) return false;
  let count = 0;
  for (const key in v) {
    if (++count > MAX_SPAN_ATTRIBUTES || key.length < 1 || key.length > MAX_ATTRIBUTE_KEY_LENGTH)
      return false;
    const value = v[key];
    if (Array.isArray(value)) {
      if (value.length > MAX_ATTRIBUTE_ARRAY) return false;
      for (const item of value) if (!isAttributePrimitive(item)) return false;
    } else if (!isAttributePrimitive(value)) return false;
  }
  return true;
}

/**
 * One span as `SpanInput.parse` answers it (its own fields, `status` defaulted) when the check
 * recognises it as valid; undefined otherwise (parse it with zod, which says what is wrong).
 * The gateway's span recorder checks each span it built with this before writing.
 * @example acceptSpanInput(span) ?? SpanInput.parse(span)
 */
export function acceptSpanInput(v: unknown): SpanInput | undefined {
  if (!isRecord(v) || !plainKeys(v, SPAN_KEYS)) return undefined;
  const ok =
    isHexId(v.traceId, 32) &&
    isHexId(v.spanId, 16) &&
    (v.parentSpanId === undefined || isHexId(v.parentSpanId, 16)) &&
    isText(v.name) &&
    isSpanTime(v.startTime) &&
    isSpanTime(v.endTime) &&
    (v.status === undefined || v.status === 'ok' || v.status === 'error') &&
    (v.statusMessage === undefined ||
      (typeof v.statusMessage === 'string' && v.statusMessage.length <= MAX_ATTRIBUTE_VALUE_LENGTH)) &&
    (v.prompt === undefined || isPrompt(v.prompt)) &&
    (v.unit === undefined || isText(v.unit)) &&
    (v.provider === undefined || isText(v.provider)) &&
    (v.model === undefined || isText(v.model)) &&
    (v.usage === undefined || isUsage(v.usage)) &&
    (v.costUsd === undefined || isNonNegative(v.costUsd)) &&
    (v.timeToFirstTokenMs === undefined || isNonNegative(v.timeToFirstTokenMs)) &&
    (v.variables === undefined || (isRecord(v.variables) && plainKeys(v.variables))) &&
    (v.userId === undefined || isText(v.userId)) &&
    (v.sessionId === undefined || isText(v.sessionId)) &&
    (v.attributes === undefined || isAttributes(v.attributes));
  if (!ok) return undefined;
  // Parsed values are fresh objects, as zod's are; `input`, `output` and the values of
  // `variables` are any JSON, which zod passes through as they are.
  const span: Fields = {};
  for (const key in v) {
    const value = v[key];
    span[key] = isRecord(value) ? { ...value } : value;
  }
  span.status ??= 'ok';
  return span as SpanInput;
}

/**
 * `data` as `TraceBatch.parse` answers it when `data` is a valid batch the check recognises;
 * undefined otherwise (invalid or unusual: parse it with zod, which says what is wrong).
 */
export function acceptTraceBatch(data: unknown): TraceBatch | undefined {
  if (!isRecord(data) || !plainKeys(data, BATCH_KEYS)) return undefined;
  const spans = data.spans;
  if (!Array.isArray(spans) || spans.length < 1 || spans.length > MAX_SPANS_PER_BATCH) return undefined;
  const out: SpanInput[] = new Array(spans.length);
  for (let i = 0; i < spans.length; i++) {
    const span = acceptSpanInput(spans[i]);
    if (span === undefined) return undefined;
    out[i] = span;
  }
  return { spans: out };
}
