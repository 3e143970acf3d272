/**
 * Bayesian chance to beat control.
 *
 * - Rates: independent Beta posteriors from a Beta(1, 1) (uniform) prior, P(p_candidate >
 *   p_control) exact by the closed-form sum (Evan Miller, "Formulas for Bayesian A/B testing",
 *   after Cook 2005), summed over the arm with the smaller posterior α; past 50 000 terms the
 *   posteriors are approximated by normals.
 * - Means: flat (improper uniform) prior on each mean and a normal likelihood, so the posterior of
 *   the difference is N(d, s²_a/n_a + s²_b/n_b) and the chance is Φ(d / √V).
 */
import type { ArmSummary } from './sequential.ts';
import { logBeta, normalCdf } from './special.ts';

/** Prior of a rate: Beta(alpha, beta), whole numbers (the exact sum needs them). */
export interface BetaPrior {
  alpha: number;
  beta: number;
}

export const UNIFORM_PRIOR: BetaPrior = { alpha: 1, beta: 1 };
const MAX_TERMS = 50_000;

/** P(X_b > X_a) for X_a ~ Beta(a1, b1), X_b ~ Beta(a2, b2), a2 a whole number. */
function betaBeatsSum(a1: number, b1: number, a2: number, b2: number): number {
  const base = logBeta(a1, b1);
  let total = 0;
  for (let i = 0; i < a2; i++) {
    total += Math.exp(logBeta(a1 + i, b1 + b2) - Math.log(b2 + i) - logBeta(1 + i, b2) - base);
  }
  return total;
}

/**
 * Posterior probability that the candidate's rate exceeds the control's, from successes out of
 * trials, under `prior` (default uniform Beta(1, 1)).
 *
 * @example
 * chanceToBeatRate({ successes: 100, trials: 1000 }, { successes: 120, trials: 1000 }); // ≈ 0.92
 */
export function chanceToBeatRate(
  control: { successes: number; trials: number },
  candidate: { successes: number; trials: number },
  prior: BetaPrior = UNIFORM_PRIOR,
): number {
  const a1 = prior.alpha + control.successes;
  const b1 = prior.beta + control.trials - control.successes;
  const a2 = prior.alpha + candidate.successes;
  const b2 = prior.beta + candidate.trials - candidate.successes;
  const whole = [a1, b1, a2, b2].every((x) => Number.isInteger(x) && x > 0);
  if (whole && Math.min(a1, a2) <= MAX_TERMS) {
    const p = a2 <= a1 ? betaBeatsSum(a1, b1, a2, b2) : 1 - betaBeatsSum(a2, b2, a1, b1);
    return Math.min(1, Math.max(0, p));
  }
  const mean = (a: number, b: number) => a / (a + b);
  const variance = (a: number, b: number) => (a * b) / ((a + b) ** 2 * (a + b + 1));
  const d = mean(a2, b2) - mean(a1, b1);
  return normalCdf(d / Math.sqrt(variance(a1, b1) + variance(a2, b2)));
}

/**
 * Posterior probability that the candidate's mean exceeds the control's (flat prior, normal
 * approximation). 0.5 when neither arm has any spread and the means are equal.
 */
export function chanceToBeatMean(control: ArmSummary, candidate: ArmSummary): number {
  const v = control.variance / control.n + candidate.variance / candidate.n;
  const d = candidate.mean - control.mean;
  if (!(v > 0)) return d > 0 ? 1 : d < 0 ? 0 : 0.5;
  return normalCdf(d / Math.sqrt(v));
}
