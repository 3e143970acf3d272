/**
 * Guarded rollouts: the request that starts one and the shape the API answers. The decisions
 * themselves are in stats/ (guardrail.ts, rollout.ts).
 */
import { z } from 'zod';
import { RolloutGuardrail, RolloutRequestPlan, RolloutStep } from './rollout-plan.ts';
import { EnvironmentName, RowId } from './schemas.ts';

export * from './rollout-plan.ts';

export const CreateRolloutRequest = RolloutRequestPlan.extend({
  env: EnvironmentName,
  /** The candidate version; control is the single version live in `env` now. */
  version: RowId,
  reason: z.string().max(2000).optional(),
});

export const RolloutStatus = z.enum(['running', 'paused', 'completed', 'rolled_back', 'aborted']);

export const GuardrailState = RolloutGuardrail.extend({
  verdict: z.enum(['pass', 'regression', 'insufficient', 'pending']),
  control: z.number().nullable(),
  candidate: z.number().nullable(),
  n: z.object({ control: z.number().int(), candidate: z.number().int() }),
  /** Anytime-valid interval of candidate − control (for latencyP95: share of calls above the limit). */
  interval: z.tuple([z.number(), z.number()]).nullable(),
  threshold: z.number().nullable(),
  evidence: z.string(),
});

export const RolloutEvent = z.object({
  at: z.string(),
  kind: z.enum(['start', 'advance', 'pause', 'resume', 'abort', 'complete', 'rollback', 'regression']),
  step: z.number().int(),
  actor: z.string(),
  message: z.string(),
  historyId: z.number().int().nullable(),
});

export const Rollout = z.object({
  id: z.number().int(),
  prompt: z.string(),
  environment: z.string(),
  candidate: z.number().int(),
  control: z.number().int(),
  status: RolloutStatus,
  /** Index into `steps` of the step live now. */
  step: z.number().int(),
  currentStep: RolloutStep.extend({ index: z.number().int(), startedAt: z.string() }),
  steps: z.array(RolloutStep),
  guardrails: z.array(GuardrailState),
  minSamples: z.number().int(),
  onRegression: z.enum(['rollback', 'pause']),
  createdBy: z.string(),
  startedAt: z.string(),
  updatedAt: z.string(),
  lastCheckAt: z.string().nullable(),
  /** Why it ended or paused. */
  reason: z.string().nullable(),
  /** The deployment request whose approval started it (its steps need no new approvals). */
  requestId: z.number().int().nullable(),
  events: z.array(RolloutEvent),
});

/** One recorded check of one guardrail: where its interval stood, on how many samples. */
export const GuardrailPoint = z.object({
  at: z.string(),
  /** Index of the step live at the check. */
  step: z.number().int(),
  verdict: GuardrailState.shape.verdict,
  control: z.number().nullable(),
  candidate: z.number().nullable(),
  interval: z.tuple([z.number(), z.number()]).nullable(),
  threshold: z.number().nullable(),
  n: z.object({ control: z.number().int(), candidate: z.number().int() }),
});

/**
 * A rollout's guardrail history, oldest point first. Checks whose figures did not change, and
 * checks closer together than 1 % of the rollout's age, are not recorded (verdict changes always
 * are), so a rollout of days keeps hundreds of points per guardrail, not tens of thousands.
 */
export const RolloutChecks = z.object({
  rollout: z.number().int(),
  guardrails: z.array(z.object({ metric: z.string(), points: z.array(GuardrailPoint) })),
});

export const RolloutQuery = z.object({
  prompt: z.string().max(500).optional(),
  status: RolloutStatus.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const RolloutActionBody = z.object({ reason: z.string().max(2000).optional() });

export type CreateRolloutRequest = z.infer<typeof CreateRolloutRequest>;
export type RolloutStatus = z.infer<typeof RolloutStatus>;
export type GuardrailState = z.infer<typeof GuardrailState>;
export type RolloutEvent = z.infer<typeof RolloutEvent>;
export type Rollout = z.infer<typeof Rollout>;
export type RolloutQuery = z.infer<typeof RolloutQuery>;
export type GuardrailPoint = z.infer<typeof GuardrailPoint>;
export type RolloutChecks = z.infer<typeof RolloutChecks>;

export const PromoteRequest = z.object({
  from: EnvironmentName,
  to: EnvironmentName,
  /** The source must have served the version this long (default 0: no minimum). */
  minSoakSeconds: z
    .number()
    .int()
    .min(0)
    .max(365 * 86_400)
    .default(0),
  /** Evaluate and show the gates, change nothing. */
  dryRun: z.boolean().default(false),
  /**
   * Where the target's policy needs approvals and every other gate passes: open a deployment
   * request for the version (it deploys once approved) instead of being refused.
   */
  request: z.boolean().default(false),
  reason: z.string().max(2000).optional(),
});

export const PromotionGate = z.object({
  /** `source`, `soak`, `guardrails`, `target` (the target's policy, eval gate and partials). */
  name: z.string(),
  ok: z.boolean(),
  detail: z.string(),
});

export const Promotion = z.object({
  prompt: z.string(),
  from: z.string(),
  to: z.string(),
  version: z.number().int().nullable(),
  gates: z.array(PromotionGate),
  promoted: z.boolean(),
  historyId: z.number().int().nullable(),
  /** The deployment request opened with `request: true` where the target needs approvals. */
  requestId: z.number().int().nullable(),
});

export type PromoteRequest = z.infer<typeof PromoteRequest>;
export type PromotionGate = z.infer<typeof PromotionGate>;
export type Promotion = z.infer<typeof Promotion>;
