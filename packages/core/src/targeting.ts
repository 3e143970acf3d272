/**
 * The targeting evaluator: which version a unit gets from a release's pins and rules, before the
 * weighted split. Pure and shared: the server's resolve/render, the TypeScript SDK and the Python
 * SDK (packages/python/src/promptline/targeting.py) give the same answer for every entry of
 * targeting-vectors.json.
 *
 * Semantics (the same in every implementation):
 * - Pins are tried first (the unit's pin wins), then rules in order; the first match wins; no
 *   match → the weighted split.
 * - A missing attribute makes every leaf false (`neq` and `notIn` too); wrap in `not` to match
 *   units without it.
 * - Numbers: an attribute that is a number, or a string of plain decimal digits (`-12`, `3.5`), is
 *   numeric. `gt/gte/lt/lte` need a numeric attribute. `eq` against a number compares numerically;
 *   against a boolean, the attribute must be that boolean or its text (`"true"`); against a string,
 *   a string attribute compares exactly, a boolean by its text, a number with the numeric value of
 *   the string.
 * - `contains`, `startsWith`, `endsWith` need a string attribute and are case-sensitive.
 * - `{segment}` matches when the project's segment lists the unit or its `when` matches; an
 *   unknown segment matches nothing, and a segment cannot refer to another segment (such a
 *   reference inside a segment matches nothing).
 */
import { AppError, type FieldIssue } from './errors.ts';
import { chooseVariant } from './release.ts';
import type {
  Condition,
  ContextAttributes,
  ContextValue,
  SegmentDefinition,
  Targeting,
} from './targeting-schema.ts';

/** Who is asking: the bucketing unit and the context attributes. */
export interface TargetingContext {
  unit?: string | undefined;
  attributes?: ContextAttributes | undefined;
}

/** Why a unit got a version: its pin, or the rule (index in `rules`, with its name). */
export type TargetMatch =
  | { kind: 'pin'; version: number }
  | { kind: 'rule'; version: number; rule: number; name?: string };

const NUMERIC = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;

function numberOf(value: ContextValue): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && NUMERIC.test(value)) return Number(value);
  return undefined;
}

function equals(attribute: ContextValue, value: ContextValue): boolean {
  if (typeof value === 'number') return numberOf(attribute) === value;
  if (typeof value === 'boolean') return attribute === value || attribute === String(value);
  if (typeof attribute === 'string') return attribute === value;
  if (typeof attribute === 'boolean') return String(attribute) === value;
  return NUMERIC.test(value) && Number(value) === attribute;
}

function leaf(
  op: string,
  attribute: ContextValue | undefined,
  value: ContextValue | ContextValue[] | undefined,
): boolean {
  if (attribute === undefined || attribute === null) return false;
  switch (op) {
    case 'exists':
      return true;
    case 'eq':
      return value !== undefined && !Array.isArray(value) && equals(attribute, value);
    case 'neq':
      return value !== undefined && !Array.isArray(value) && !equals(attribute, value);
    case 'in':
      return Array.isArray(value) && value.some((v) => equals(attribute, v));
    case 'notIn':
      return Array.isArray(value) && !value.some((v) => equals(attribute, v));
    case 'contains':
      return typeof attribute === 'string' && typeof value === 'string' && attribute.includes(value);
    case 'startsWith':
      return typeof attribute === 'string' && typeof value === 'string' && attribute.startsWith(value);
    case 'endsWith':
      return typeof attribute === 'string' && typeof value === 'string' && attribute.endsWith(value);
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const n = numberOf(attribute);
      if (n === undefined || typeof value !== 'number') return false;
      if (op === 'gt') return n > value;
      if (op === 'gte') return n >= value;
      if (op === 'lt') return n < value;
      return n <= value;
    }
    default:
      return false;
  }
}

/**
 * Whether a condition matches a context. `segments` are the project's segments by name (only
 * those the condition names are needed).
 *
 * @example
 * matchesCondition({ attribute: 'plan', op: 'eq', value: 'enterprise' }, {}, { attributes: { plan: 'enterprise' } }); // true
 */
export function matchesCondition(
  condition: Condition,
  segments: Readonly<Record<string, SegmentDefinition>>,
  context: TargetingContext,
  inSegment = false,
): boolean {
  if ('all' in condition)
    return condition.all.every((c) => matchesCondition(c, segments, context, inSegment));
  if ('any' in condition) return condition.any.some((c) => matchesCondition(c, segments, context, inSegment));
  if ('not' in condition) return !matchesCondition(condition.not, segments, context, inSegment);
  if ('segment' in condition) {
    if (inSegment || !Object.hasOwn(segments, condition.segment)) return false;
    const segment = segments[condition.segment];
    if (!segment) return false;
    if (context.unit !== undefined && segment.units?.includes(context.unit)) return true;
    return segment.when !== undefined && matchesCondition(segment.when, segments, context, true);
  }
  const attributes = context.attributes;
  const attribute =
    attributes !== undefined && Object.hasOwn(attributes, condition.attribute)
      ? attributes[condition.attribute]
      : undefined;
  return leaf(condition.op, attribute, condition.value);
}

/**
 * The pin or first rule of `targeting` that matches the context, or undefined (then the weighted
 * split decides).
 */
export function matchTargeting(
  targeting: Targeting | undefined,
  segments: Readonly<Record<string, SegmentDefinition>>,
  context: TargetingContext,
): TargetMatch | undefined {
  if (targeting === undefined) return undefined;
  const { unit } = context;
  if (unit !== undefined && targeting.pins) {
    for (const pin of targeting.pins) if (pin.unit === unit) return { kind: 'pin', version: pin.version };
  }
  const rules = targeting.rules ?? [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (rule && matchesCondition(rule.when, segments, context)) {
      return rule.name === undefined
        ? { kind: 'rule', version: rule.version, rule: i }
        : { kind: 'rule', version: rule.version, rule: i, name: rule.name };
    }
  }
  return undefined;
}

/**
 * The versions a release serves only through targeting (rules, then pins, each once, in order),
 * leaving out those its variants already name. The "served list" of a release is its variants'
 * versions followed by these: `resolve` answers the index into it as `variant`.
 */
export function targetedVersions(
  variants: readonly { version: number }[],
  targeting: Targeting | undefined,
): number[] {
  if (!targeting) return [];
  const seen = new Set(variants.map((v) => v.version));
  const out: number[] = [];
  const add = (version: number) => {
    if (!seen.has(version)) {
      seen.add(version);
      out.push(version);
    }
  };
  for (const rule of targeting.rules ?? []) add(rule.version);
  for (const pin of targeting.pins ?? []) add(pin.version);
  return out;
}

/** Every segment name a targeting refers to (rules only; segments cannot nest). */
export function segmentsOf(targeting: Targeting | undefined): string[] {
  const names = new Set<string>();
  const walk = (c: Condition): void => {
    if ('all' in c) c.all.forEach(walk);
    else if ('any' in c) c.any.forEach(walk);
    else if ('not' in c) walk(c.not);
    else if ('segment' in c) names.add(c.segment);
  };
  for (const rule of targeting?.rules ?? []) walk(rule.when);
  return [...names].sort();
}

/** A release as resolution sees it. */
export interface TargetableRelease {
  variants: readonly { version: number; weight: number }[];
  targeting?: Targeting | undefined;
}

/**
 * The index in the release's served list (variants, then `targetedVersions`) of what a unit gets:
 * its pin or first matching rule, else the weighted split (`chooseVariant`). Without targeting this
 * is exactly `chooseVariant`.
 *
 * @example
 * chooseServed('support/triage', { variants: [{ version: 3, weight: 10000 }],
 *   targeting: { rules: [{ when: { attribute: 'plan', op: 'eq', value: 'enterprise' }, version: 4 }] } },
 *   {}, { unit: 'u1', attributes: { plan: 'enterprise' } }); // 1 (version 4)
 */
export function chooseServed(
  prompt: string,
  release: TargetableRelease,
  segments: Readonly<Record<string, SegmentDefinition>>,
  context: TargetingContext,
  random: () => number = Math.random,
): number {
  const { targeting, variants } = release;
  if (targeting !== undefined) {
    const match = matchTargeting(targeting, segments, context);
    if (match !== undefined) {
      const index = variants.findIndex((v) => v.version === match.version);
      if (index >= 0) return index;
      return variants.length + targetedVersions(variants, targeting).indexOf(match.version);
    }
  }
  return chooseVariant(prompt, variants, context.unit, random);
}

/** Whether a targeting has anything in it. */
export function hasTargeting(targeting: Targeting | undefined): targeting is Targeting {
  return targeting !== undefined && ((targeting.rules?.length ?? 0) > 0 || (targeting.pins?.length ?? 0) > 0);
}

/** The deepest nesting of conditions the server accepts (a deeper one is refused at deploy). */
export const MAX_CONDITION_DEPTH = 8;

/** How deep a condition nests (a leaf is 1). */
export function conditionDepth(c: Condition): number {
  if ('all' in c) return 1 + Math.max(0, ...c.all.map(conditionDepth));
  if ('any' in c) return 1 + Math.max(0, ...c.any.map(conditionDepth));
  if ('not' in c) return 1 + conditionDepth(c.not);
  return 1;
}

/**
 * Checks a deploy's targeting beyond its shape: conditions nest at most MAX_CONDITION_DEPTH deep and
 * a unit is pinned once. Answers undefined for an empty targeting (nothing to store).
 *
 * @throws AppError `INVALID_TARGETING` listing each offending field (`targeting.rules.0.when`…).
 */
export function normalizeTargeting(targeting: Targeting | undefined): Targeting | undefined {
  if (!hasTargeting(targeting)) return undefined;
  const errors: FieldIssue[] = [];
  (targeting.rules ?? []).forEach((rule, i) => {
    if (conditionDepth(rule.when) > MAX_CONDITION_DEPTH)
      errors.push({
        path: `targeting.rules.${i}.when`,
        message: `conditions nest at most ${MAX_CONDITION_DEPTH} deep; move a part into a segment`,
      });
  });
  const pinned = new Map<string, number>();
  (targeting.pins ?? []).forEach((pin, i) => {
    const first = pinned.get(pin.unit);
    if (first !== undefined)
      errors.push({
        path: `targeting.pins.${i}.unit`,
        message: `unit "${pin.unit}" is already pinned by pins.${first}`,
      });
    else pinned.set(pin.unit, i);
  });
  if (errors.length > 0) {
    throw new AppError(
      'INVALID_TARGETING',
      `Invalid targeting: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}.`,
      { errors },
    );
  }
  return {
    ...((targeting.rules?.length ?? 0) > 0 ? { rules: targeting.rules } : {}),
    ...((targeting.pins?.length ?? 0) > 0 ? { pins: targeting.pins } : {}),
  };
}

/**
 * The context attributes of a query: every `attr.<name>=<value>` parameter (values stay text;
 * numeric comparisons read decimal text as numbers). Undefined when there is none.
 */
export function attributesFromQuery(query: Readonly<Record<string, unknown>>): ContextAttributes | undefined {
  let out: ContextAttributes | undefined;
  for (const key in query) {
    if (!key.startsWith('attr.') || key.length === 5) continue;
    const value = query[key];
    if (typeof value !== 'string') continue;
    out ??= {};
    out[key.slice(5)] = value;
  }
  return out;
}
