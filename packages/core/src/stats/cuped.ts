/**
 * CUPED (Deng, Xu, Kohavi & Walker 2013): variance reduction with a pre-period covariate X of the
 * same units. Y_cv = Y − θ(X − X̄), with θ = Cov(X, Y) / Var(X) pooled over the arms, keeps each
 * arm's expected difference and shrinks the variance by the squared correlation of X and Y.
 */
import type { ArmSummary } from './sequential.ts';

/** Sums over one arm's units of the metric Y and the pre-period covariate X. */
export interface CovariateMoments {
  n: number;
  sumY: number;
  sumY2: number;
  sumX: number;
  sumX2: number;
  sumXY: number;
}

/**
 * Adjusted summaries of each arm (same order) and the θ used. Arms below two units, or a covariate
 * with no spread, leave θ = 0 (no adjustment).
 */
export function cupedAdjust(arms: readonly CovariateMoments[]): { theta: number; arms: ArmSummary[] } {
  let n = 0;
  let sumX = 0;
  let sxx = 0;
  let sxy = 0;
  for (const a of arms) {
    n += a.n;
    sumX += a.sumX;
    if (a.n >= 2) {
      // Within-arm centred cross products, so an effect on Y does not leak into θ.
      sxx += a.sumX2 - (a.sumX * a.sumX) / a.n;
      sxy += a.sumXY - (a.sumX * a.sumY) / a.n;
    }
  }
  const theta = sxx > 0 ? sxy / sxx : 0;
  const grandX = n > 0 ? sumX / n : 0;
  return {
    theta,
    arms: arms.map((a) => {
      const meanY = a.sumY / a.n;
      const meanX = a.sumX / a.n;
      const d = a.n - 1;
      const varY = d > 0 ? (a.sumY2 - a.n * meanY * meanY) / d : 0;
      const varX = d > 0 ? (a.sumX2 - a.n * meanX * meanX) / d : 0;
      const cov = d > 0 ? (a.sumXY - a.n * meanX * meanY) / d : 0;
      return {
        n: a.n,
        mean: meanY - theta * (meanX - grandX),
        variance: Math.max(0, varY - 2 * theta * cov + theta * theta * varX),
      };
    }),
  };
}
