/**
 * The contract of targeting: rules on a release that decide what a unit gets before the weighted
 * split, reusable segments, and pinned units. No imports from schemas.ts (which imports this).
 * The evaluator is targeting.ts; the Python SDK mirrors it (packages/python/src/promptline/targeting.py).
 */
import { z } from 'zod';

/** A context attribute's value: what `prompt(name, { attributes })` and `attr.<k>=v` pass. */
export const ContextValue = z.union([z.string().max(2000), z.number(), z.boolean()]);

/** Context attributes of one call: a flat object (`plan`, `country`, `email`, `seats`…). */
export const ContextAttributes = z.record(z.string().min(1).max(100), ContextValue);

/** Operators of a leaf condition. */
export const ConditionOp = z.enum([
  'eq',
  'neq',
  'in',
  'notIn',
  'contains',
  'startsWith',
  'endsWith',
  'gt',
  'gte',
  'lt',
  'lte',
  'exists',
]);

/** Names of segments: lowercase letters, digits, `-`, `_`, `.`. */
export const SegmentName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'use lowercase letters, digits, "-", "_" and "." (e.g. internal-users)');

const NUMERIC_OPS = new Set(['gt', 'gte', 'lt', 'lte']);
const TEXT_OPS = new Set(['contains', 'startsWith', 'endsWith']);
const LIST_OPS = new Set(['in', 'notIn']);

/** `{attribute, op, value}`: compares one attribute of the context; a missing attribute never matches. */
export const AttributeCondition = z
  .object({
    attribute: z.string().min(1).max(100),
    op: ConditionOp,
    value: z.union([ContextValue, z.array(ContextValue).max(1000)]).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const fail = (message: string) => ctx.addIssue({ code: 'custom', path: ['value'], message });
    if (c.op === 'exists') {
      if (c.value !== undefined) fail('"exists" takes no value');
    } else if (LIST_OPS.has(c.op)) {
      if (!Array.isArray(c.value)) fail(`"${c.op}" takes a list, e.g. ["fr", "de"]`);
    } else if (NUMERIC_OPS.has(c.op)) {
      if (typeof c.value !== 'number' || !Number.isFinite(c.value)) fail(`"${c.op}" takes a number`);
    } else if (TEXT_OPS.has(c.op)) {
      if (typeof c.value !== 'string') fail(`"${c.op}" takes a string`);
    } else if (c.value === undefined || Array.isArray(c.value)) {
      fail(`"${c.op}" takes one string, number or boolean`);
    }
  });

/**
 * A condition over the context: a leaf comparison, `all`/`any` of conditions, `not`, or a
 * reference to a project segment (`{segment: "internal-users"}`).
 */
export type Condition =
  | z.infer<typeof AttributeCondition>
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | { segment: string };

export const Condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    AttributeCondition,
    z.object({ all: z.array(Condition).min(1).max(50) }).strict(),
    z.object({ any: z.array(Condition).min(1).max(50) }).strict(),
    z.object({ not: Condition }).strict(),
    z.object({ segment: SegmentName }).strict(),
  ]),
);

/** A rule: the units whose context matches `when` get `version`. Rules are tried in order. */
export const TargetingRule = z
  .object({
    /** A label shown in history, diffs and resolve answers. */
    name: z.string().max(100).optional(),
    when: Condition,
    version: z.number().int().positive().max(2_147_483_647),
  })
  .strict();

/** One unit pinned to one version, whatever the rules and the split say. */
export const Pin = z
  .object({ unit: z.string().min(1).max(500), version: z.number().int().positive().max(2_147_483_647) })
  .strict();

/** The targeting of a release: pins first, then the first matching rule, else the weighted split. */
export const Targeting = z
  .object({
    rules: z.array(TargetingRule).max(100).optional(),
    pins: z.array(Pin).max(10_000).optional(),
  })
  .strict();

/** What a segment matches: its listed units, or any unit whose context matches `when`. */
export const SegmentDefinition = z
  .object({
    when: Condition.optional(),
    units: z.array(z.string().min(1).max(500)).max(10_000).optional(),
  })
  .strict();

/** A project's reusable segment as the API answers it. */
export const Segment = z.object({
  name: SegmentName,
  description: z.string(),
  when: Condition.nullable(),
  units: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});

/** Body of `PUT /api/v1/segments/{name}`. */
export const PutSegmentRequest = SegmentDefinition.extend({
  description: z.string().max(2000).optional(),
});

export type ContextValue = z.infer<typeof ContextValue>;
export type ContextAttributes = z.infer<typeof ContextAttributes>;
export type ConditionOp = z.infer<typeof ConditionOp>;
export type TargetingRule = z.infer<typeof TargetingRule>;
export type Pin = z.infer<typeof Pin>;
export type Targeting = z.infer<typeof Targeting>;
export type SegmentDefinition = z.infer<typeof SegmentDefinition>;
export type Segment = z.infer<typeof Segment>;
export type PutSegmentRequest = z.infer<typeof PutSegmentRequest>;
