/**
 * The parts of a rollout plan that do not name its target, in a module of their own so the
 * policy schemas (a deployment request may carry a plan) can import them without a cycle.
 */
import { z } from 'zod';

export const RolloutStep = z.object({
  /** Candidate share in basis points (500 = 5 %); steps grow, the last may be 10 000. */
  weight: z.number().int().min(1).max(10_000),
  /** How long the step lasts at least before it advances (with enough samples). */
  durationSeconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 86_400),
});

export const RolloutGuardrail = z.object({
  /** `errorRate`, `contractViolationRate`, `latencyP95`, `costPerCall` or `score:<name>` (scores: higher is better). */
  metric: z.string().min(1).max(200),
  /** Tolerated regression relative to control: 0.05 = 5 % worse than control. */
  maxRegression: z.number().min(0).max(100),
});

/**
 * A rollout's plan without its target: what a deployment request carries when the environment's
 * policy needs approvals (the approval that completes the quorum starts the rollout).
 */
export const RolloutRequestPlan = z.object({
  /** Default 5 % → 25 % → 50 % → 100 %, 10 minutes each. */
  steps: z.array(RolloutStep).min(1).max(20).optional(),
  guardrails: z.array(RolloutGuardrail).max(20).default([]),
  /** Observations per arm before a step advances (default 100). */
  minSamples: z.number().int().min(0).max(10_000_000).optional(),
  onRegression: z.enum(['rollback', 'pause']).default('rollback'),
});

export type RolloutStep = z.infer<typeof RolloutStep>;
export type RolloutGuardrail = z.infer<typeof RolloutGuardrail>;
export type RolloutRequestPlan = z.infer<typeof RolloutRequestPlan>;
