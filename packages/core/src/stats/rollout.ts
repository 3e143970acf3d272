/**
 * The decision a guarded rollout takes at each check, as a pure function of its plan, where it
 * stands, the time and the guardrails' verdicts — the server's check job and the simulation bench
 * run this same code.
 */
import type { GuardrailVerdict } from './guardrail.ts';

export interface RolloutStepSpec {
  /** Candidate share in basis points (out of 10 000). */
  weight: number;
  durationSeconds: number;
}

export interface RolloutPlan {
  steps: readonly RolloutStepSpec[];
  /** Observations per arm (spans) before a step may advance. */
  minSamples: number;
}

/** The steps used when a rollout names none: 5 % → 25 % → 50 % → 100 %, 10 minutes each. */
export const DEFAULT_ROLLOUT_STEPS: readonly RolloutStepSpec[] = [
  { weight: 500, durationSeconds: 600 },
  { weight: 2500, durationSeconds: 600 },
  { weight: 5000, durationSeconds: 600 },
  { weight: 10_000, durationSeconds: 0 },
];

export const DEFAULT_MIN_SAMPLES = 100;

export type RolloutDecision =
  | { action: 'hold'; reason: string }
  | { action: 'advance'; toStep: number; reason: string }
  | { action: 'complete'; reason: string }
  | { action: 'regression'; verdicts: GuardrailVerdict[]; reason: string };

/**
 * What to do now. A regression on any guardrail wins; otherwise the step advances once its
 * duration has passed and each arm has `minSamples` observations (the fewest any guardrail saw).
 * Advancing onto a 100 % step completes the rollout: with no control traffic left there is
 * nothing to compare.
 */
export function decideRollout(
  plan: RolloutPlan,
  state: { step: number; stepStartedMs: number },
  nowMs: number,
  verdicts: readonly GuardrailVerdict[],
  samples: { control: number; candidate: number },
): RolloutDecision {
  const regressions = verdicts.filter((v) => v.verdict === 'regression');
  if (regressions.length > 0) {
    return {
      action: 'regression',
      verdicts: regressions,
      reason: regressions.map((v) => v.evidence).join('; '),
    };
  }
  const step = plan.steps[state.step];
  if (!step) return { action: 'complete', reason: 'no step left' };
  const elapsed = (nowMs - state.stepStartedMs) / 1000;
  if (elapsed < step.durationSeconds) {
    return {
      action: 'hold',
      reason: `step ${state.step + 1}: ${Math.floor(elapsed)} s of ${step.durationSeconds} s`,
    };
  }
  const fewest = Math.min(samples.control, samples.candidate);
  if (fewest < plan.minSamples) {
    return {
      action: 'hold',
      reason: `step ${state.step + 1}: waiting for ${plan.minSamples} samples per arm (n = ${samples.candidate}/${samples.control})`,
    };
  }
  const next = state.step + 1;
  const nextStep = plan.steps[next];
  const passed = verdicts.map((v) => `${v.metric}: ${v.evidence}`).join('; ');
  if (!nextStep || nextStep.weight >= 10_000) {
    return {
      action: 'complete',
      reason: `guardrails held over ${plan.steps.length} step(s)${passed ? ` (${passed})` : ''}`,
    };
  }
  return {
    action: 'advance',
    toStep: next,
    reason: `step ${next + 1} (${nextStep.weight / 100}%): guardrails held${passed ? ` (${passed})` : ''}`,
  };
}
