/**
 * Online evaluations: rules that sample production spans of a prompt in an environment and grade
 * them with the eval engine's assertions (deterministic checks, model judges, inline code). The
 * results are scores with `source: 'eval'` on the sampled spans; a daily budget caps judge cost.
 */
import { z } from 'zod';
import { MODEL_GRADED_ASSERTIONS, parseAssertionType, validateAssertion } from './eval/assertions.ts';
import { AssertionSpec } from './eval/types.ts';
import { EnvironmentName, RowId } from './schemas.ts';

/** The model that answers every model-graded assertion of a rule: a stored provider, or `mock`. */
export const OnlineEvalJudge = z.object({
  provider: z.string().min(1).max(100),
  model: z.string().min(1).max(200),
});

/** A rule's name prefixes its score names (`<rule>.<assertion type>`), so it is spelled like one. */
export const OnlineEvalRuleName = z
  .string()
  .min(1)
  .max(60)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'use letters, digits, "_", ".", ":" and "-" (e.g. helpfulness)');

const MODEL_GRADED: readonly string[] = MODEL_GRADED_ASSERTIONS;

/** Whether an assertion needs the rule's judge (a model call). */
export function needsJudge(spec: AssertionSpec): boolean {
  return MODEL_GRADED.includes(parseAssertionType(spec.type).base);
}

/** Problems of one assertion as an online check; empty when it is fine. */
function assertionProblems(spec: AssertionSpec): string[] {
  const { base } = parseAssertionType(spec.type);
  if (base === 'select-best')
    return ['select-best compares outputs of one case; online spans have one output'];
  if (spec.provider !== undefined) return ['the rule’s `judge` grades every assertion: drop `provider`'];
  if (base === 'javascript' && typeof spec.value === 'string' && spec.value.startsWith('file://')) {
    return ['the server runs inline code only: put the function body in `value`'];
  }
  try {
    validateAssertion(spec, 'assertion');
    return [];
  } catch (error) {
    return [(error as Error).message.replace(/^assertion: /, '')];
  }
}

/** Each assertion valid online, and a judge whenever one of them is model-graded. */
function checkAssertions(
  rule: {
    assertions?: AssertionSpec[] | undefined;
    judge?: z.infer<typeof OnlineEvalJudge> | null | undefined;
  },
  ctx: z.RefinementCtx,
  judgeKnown: boolean,
): void {
  for (const [i, spec] of (rule.assertions ?? []).entries()) {
    for (const message of assertionProblems(spec)) {
      ctx.addIssue({ code: 'custom', path: ['assertions', i], message });
    }
  }
  const graded = (rule.assertions ?? []).some(needsJudge);
  if (graded && judgeKnown && !rule.judge) {
    ctx.addIssue({
      code: 'custom',
      path: ['judge'],
      message: 'model-graded assertions need a judge, e.g. {"provider": "mock", "model": "judge"}',
    });
  }
}

const fields = {
  name: OnlineEvalRuleName,
  environment: EnvironmentName,
  /** Only spans of this version; absent: every version the environment serves. */
  version: RowId.nullable(),
  /** Share of the matching spans graded, 0…1; the choice is a hash of the span id, never random. */
  samplingRate: z.number().min(0).max(1),
  assertions: z.array(AssertionSpec).min(1).max(20),
  judge: OnlineEvalJudge.nullable(),
  /** Judge spend per UTC day (USD); once reached, sampled spans are skipped until the next day. */
  dailyBudgetUsd: z.number().min(0).max(1_000_000),
  enabled: z.boolean(),
};

/** Body of `POST /api/v1/prompts/{name}/online-evals`. */
export const CreateOnlineEvalRequest = z
  .object({
    ...fields,
    version: fields.version.optional(),
    judge: fields.judge.optional(),
    dailyBudgetUsd: fields.dailyBudgetUsd.default(1),
    enabled: fields.enabled.default(true),
  })
  .superRefine((rule, ctx) => checkAssertions(rule, ctx, true));

/**
 * Body of `PATCH /api/v1/online-evals/{id}`: the fields to change. Whether the result still has a
 * judge where it needs one is checked against the stored rule by the service.
 */
export const UpdateOnlineEvalRequest = z
  .object({
    name: fields.name.optional(),
    environment: fields.environment.optional(),
    version: fields.version.optional(),
    samplingRate: fields.samplingRate.optional(),
    assertions: fields.assertions.optional(),
    judge: fields.judge.optional(),
    dailyBudgetUsd: fields.dailyBudgetUsd.optional(),
    enabled: fields.enabled.optional(),
  })
  .superRefine((rule, ctx) => checkAssertions(rule, ctx, rule.judge !== undefined));

/** A rule's counters for one UTC day. */
export const OnlineEvalDay = z.object({
  /** `YYYY-MM-DD` (UTC). */
  day: z.string(),
  /** Spans chosen at ingestion. */
  sampled: z.number().int().min(0),
  /** Spans graded (their scores written). */
  evaluated: z.number().int().min(0),
  /** Attempts that failed (a judge call, an evaluator): each is retried with backoff. */
  errors: z.number().int().min(0),
  /** Spans given up after the last attempt. */
  failed: z.number().int().min(0),
  /** Sampled spans not graded because the day’s judge budget was spent. */
  skippedBudget: z.number().int().min(0),
  /** Judge cost (USD) from the provider's usage and the price table. */
  costUsd: z.number().min(0),
});

export const OnlineEvalRule = z.object({
  id: RowId,
  prompt: z.string(),
  name: z.string(),
  environment: z.string(),
  version: z.number().int().nullable(),
  samplingRate: z.number(),
  assertions: z.array(AssertionSpec),
  judge: OnlineEvalJudge.nullable(),
  dailyBudgetUsd: z.number(),
  enabled: z.boolean(),
  /** Today's counters (UTC). */
  today: OnlineEvalDay,
  /** Sampled spans waiting for the job runner. */
  pending: z.number().int().min(0),
  /** The latest failed attempt, if any. */
  lastError: z.object({ message: z.string(), at: z.string() }).nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** `GET /api/v1/online-evals/{id}`: the rule with its counters of the last days, newest first. */
export const OnlineEvalRuleDetail = OnlineEvalRule.extend({ days: z.array(OnlineEvalDay) });

export type OnlineEvalJudge = z.infer<typeof OnlineEvalJudge>;
export type CreateOnlineEvalRequest = z.infer<typeof CreateOnlineEvalRequest>;
export type UpdateOnlineEvalRequest = z.infer<typeof UpdateOnlineEvalRequest>;
export type OnlineEvalDay = z.infer<typeof OnlineEvalDay>;
export type OnlineEvalRule = z.infer<typeof OnlineEvalRule>;
export type OnlineEvalRuleDetail = z.infer<typeof OnlineEvalRuleDetail>;
