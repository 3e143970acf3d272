/**
 * Alert rules and in-app notifications: a metric of a scope (the project, one prompt, one version,
 * optionally one environment) over a window, against a threshold or against the previous window,
 * with a minimum sample; states ok → firing → resolved, with a resolve level apart from the fire
 * level (hysteresis) so a value hovering at the threshold does not flap.
 */
import { z } from 'zod';
import { EnvironmentName, PageCursor, PromptName, RowId } from './schemas.ts';

export const AlertMetric = z.enum([
  'errorRate',
  'latencyP50',
  'latencyP95',
  'latencyP99',
  'costPerCall',
  'costPerDay',
  'scoreMean',
  'volume',
  'contractViolationRate',
]);

/**
 * `threshold`: fires when the value goes above (`gt`) or below (`lt`) `value`; resolves once it is
 * back past `resolveAt` (default 10 % inside the threshold). `change`: fires when the value moved
 * by more than `percent` against the previous window of the same length (`increase` or
 * `decrease`: a volume drop is `volume` + `decrease`); resolves once the move is under
 * `resolvePercent` (default half of `percent`).
 */
export const AlertCondition = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('threshold'),
    operator: z.enum(['gt', 'lt']),
    value: z.number().finite(),
    resolveAt: z.number().finite().optional(),
  }),
  z.object({
    type: z.literal('change'),
    direction: z.enum(['increase', 'decrease']),
    percent: z.number().positive().max(10_000),
    resolvePercent: z.number().min(0).max(10_000).optional(),
  }),
]);

const ruleFields = {
  name: z.string().trim().min(1).max(200),
  /** The prompt the rule watches; absent: every prompt of the project. */
  prompt: PromptName.optional(),
  /** One version of `prompt`. */
  version: RowId.optional(),
  environment: EnvironmentName.optional(),
  metric: AlertMetric,
  /** The score name, for `scoreMean`. */
  score: z.string().min(1).max(200).optional(),
  /** Window length in minutes (1 minute to 7 days). */
  windowMinutes: z.number().int().min(1).max(10_080),
  condition: AlertCondition,
  /** Fewer observations than this in the window (the previous one, for a change) decide nothing. */
  minSamples: z.number().int().min(1).max(1_000_000),
  enabled: z.boolean(),
};

export const CreateAlertRuleRequest = z
  .object({
    ...ruleFields,
    windowMinutes: ruleFields.windowMinutes.default(15),
    minSamples: ruleFields.minSamples.default(20),
    enabled: ruleFields.enabled.default(true),
  })
  .superRefine(checkRule);

/**
 * Body of `PATCH /api/v1/alerts/{id}`: the name, the metric (with its score name for `scoreMean`),
 * the condition, window, minimum sample and enabled flag. The scope (prompt, version, environment)
 * stays: a rule watching something else is a new rule. Moving off `scoreMean` drops the score name.
 */
export const UpdateAlertRuleRequest = z
  .object({
    name: ruleFields.name.optional(),
    metric: AlertMetric.optional(),
    score: ruleFields.score,
    windowMinutes: ruleFields.windowMinutes.optional(),
    condition: AlertCondition.optional(),
    minSamples: ruleFields.minSamples.optional(),
    enabled: ruleFields.enabled.optional(),
  })
  .strict()
  .superRefine((change, ctx) => {
    if (change.metric !== undefined && change.metric !== 'scoreMean' && change.score !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['score'], message: 'only scoreMean takes a score name' });
    }
    if (change.condition) checkCondition(change.condition, ctx);
  });

function checkRule(
  rule: {
    prompt?: string | undefined;
    version?: number | undefined;
    metric: string;
    score?: string | undefined;
    condition: AlertCondition;
  },
  ctx: z.RefinementCtx,
): void {
  if (rule.version !== undefined && rule.prompt === undefined) {
    ctx.addIssue({ code: 'custom', path: ['version'], message: 'a version needs its prompt' });
  }
  if (rule.metric === 'scoreMean' && rule.score === undefined) {
    ctx.addIssue({ code: 'custom', path: ['score'], message: 'scoreMean needs the score name' });
  }
  if (rule.metric !== 'scoreMean' && rule.score !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['score'], message: 'only scoreMean takes a score name' });
  }
  checkCondition(rule.condition, ctx);
}

/** The resolve level of a condition sits on the healthy side of its fire level. */
function checkCondition(c: AlertCondition, ctx: z.RefinementCtx): void {
  if (c.type === 'threshold' && c.resolveAt !== undefined) {
    const wrongSide = c.operator === 'gt' ? c.resolveAt > c.value : c.resolveAt < c.value;
    if (wrongSide) {
      ctx.addIssue({
        code: 'custom',
        path: ['condition', 'resolveAt'],
        message: `must be on the healthy side of the threshold (${c.operator === 'gt' ? '≤' : '≥'} value)`,
      });
    }
  }
  if (c.type === 'change' && c.resolvePercent !== undefined && c.resolvePercent > c.percent) {
    ctx.addIssue({ code: 'custom', path: ['condition', 'resolvePercent'], message: 'must be ≤ percent' });
  }
}

export const AlertState = z.enum(['ok', 'firing', 'resolved']);

export const AlertTransition = z.object({
  id: z.number().int().positive(),
  from: AlertState,
  to: AlertState,
  /** The metric's value that decided it, and the previous window's for a change rule. */
  value: z.number().nullable(),
  baseline: z.number().nullable(),
  samples: z.number().int().min(0),
  at: z.string(),
});

export const AlertRule = z.object({
  id: z.number().int().positive(),
  name: z.string(),
  prompt: z.string().nullable(),
  version: z.number().int().nullable(),
  environment: z.string().nullable(),
  metric: AlertMetric,
  score: z.string().nullable(),
  windowMinutes: z.number().int(),
  condition: AlertCondition,
  minSamples: z.number().int(),
  enabled: z.boolean(),
  state: AlertState,
  stateSince: z.string(),
  /** The last evaluation's value (null: too few samples, or never evaluated). */
  lastValue: z.number().nullable(),
  lastEvaluatedAt: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const AlertRuleDetail = AlertRule.extend({ transitions: z.array(AlertTransition) });

export const Notification = z.object({
  id: z.number().int().positive(),
  /** What it is about, e.g. `alert.fired`. */
  kind: z.string(),
  title: z.string(),
  body: z.string(),
  data: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  readAt: z.string().nullable(),
});

export const NotificationQuery = z.object({
  unread: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: PageCursor.optional(),
});

export const NotificationPage = z.object({
  items: z.array(Notification),
  nextCursor: z.string().nullable(),
  unread: z.number().int().min(0),
});

export type AlertMetric = z.infer<typeof AlertMetric>;
export type AlertCondition = z.infer<typeof AlertCondition>;
export type CreateAlertRuleRequest = z.infer<typeof CreateAlertRuleRequest>;
export type UpdateAlertRuleRequest = z.infer<typeof UpdateAlertRuleRequest>;
export type AlertState = z.infer<typeof AlertState>;
export type AlertTransition = z.infer<typeof AlertTransition>;
export type AlertRule = z.infer<typeof AlertRule>;
export type AlertRuleDetail = z.infer<typeof AlertRuleDetail>;
export type Notification = z.infer<typeof Notification>;
export type NotificationQuery = z.infer<typeof NotificationQuery>;
export type NotificationPage = z.infer<typeof NotificationPage>;
