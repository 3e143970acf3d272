/**
 * Anytime-valid confidence sequences from the two-sided normal mixture (Robbins 1970; the
 * boundary of Howard, Ramdas, McAuliffe & Sekhon 2021, eq. 14, used with a plug-in variance as the
 * asymptotic confidence sequence of Waudby-Smith, Arbour, Sinha, Kennedy & Ramdas 2023, and
 * equivalent to the mSPRT of Johari, Pekelis & Walsh 2017 with a normal mixing distribution).
 *
 * With V the variance of the estimate and t = V₁ / V its effective number of units (V₁ the
 * variance of one unit, or of one pair of units for a difference), the interval is
 *
 *   estimate ± √( V · (tρ² + 1) / (tρ²) · (2·ln(1/α) + ln(tρ² + 1)) )
 *
 * and holds for every t at once with probability about 1 − α: it may be looked at after every
 * observation and stopped whenever it excludes a value, with the error rate still α. ρ tunes where
 * the interval is tightest; it is chosen for `tuneAt` units (Howard et al.'s optimum:
 * ρ² = (2·ln(1/α) + ln(2·ln(1/α) + 1)) / tuneAt).
 */

/** Sufficient statistics of one arm: n, Σx, Σx² (the `Moments` the metrics API answers). */
export interface ArmMoments {
  n: number;
  sum: number;
  sumSq: number;
}

/** One arm as the tests use it: number of observations, mean and per-observation variance. */
export interface ArmSummary {
  n: number;
  mean: number;
  variance: number;
}

/** `mean` for a continuous measure (sample variance); `proportion` for a 0/1 one. */
export type MeasureKind = 'mean' | 'proportion';

export interface SequentialOptions {
  /** Error rate over all looks (default 0.05). */
  alpha?: number;
  /** Units per arm at which the interval is tightest (default 1 000). */
  tuneAt?: number;
}

export const DEFAULT_ALPHA = 0.05;
export const DEFAULT_TUNE_AT = 1000;

/**
 * Mean and variance of an arm's moments. For a proportion the variance is p̃(1 − p̃) with
 * p̃ = (Σx + ½) / (n + 1), so an arm with no events yet (p = 0) does not claim zero variance.
 * Null below two observations.
 */
export function summarize(moments: ArmMoments, kind: MeasureKind): ArmSummary | null {
  const { n, sum, sumSq } = moments;
  if (!(n >= 2)) return null;
  const mean = sum / n;
  if (kind === 'proportion') {
    const smoothed = (sum + 0.5) / (n + 1);
    return { n, mean, variance: smoothed * (1 - smoothed) };
  }
  const variance = Math.max(0, (sumSq - (sum * sum) / n) / (n - 1));
  return { n, mean, variance };
}

/** ρ² for an interval tightest at `tuneAt` units. */
export function mixtureRho2(alpha: number, tuneAt: number): number {
  const l = 2 * Math.log(1 / alpha);
  return (l + Math.log(l + 1)) / tuneAt;
}

/**
 * Half-width of the normal-mixture confidence sequence for an estimate of variance `v` whose
 * single-unit variance is `v1` (so t = v1 / v units), at level α, tuned for `tuneAt` units.
 */
export function mixtureHalfWidth(v: number, v1: number, options: SequentialOptions = {}): number {
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const tuneAt = options.tuneAt ?? DEFAULT_TUNE_AT;
  if (!(v > 0) || !(v1 > 0)) return 0;
  const trho2 = (v1 / v) * mixtureRho2(alpha, tuneAt);
  return Math.sqrt(((v * (trho2 + 1)) / trho2) * (2 * Math.log(1 / alpha) + Math.log(trho2 + 1)));
}

/** An anytime-valid interval around an estimate. */
export interface SequentialInterval {
  estimate: number;
  low: number;
  high: number;
}

/**
 * Confidence sequence for one arm's mean (or rate).
 *
 * @example
 * meanConfidenceSequence({ n: 400, mean: 0.2, variance: 0.16 }); // { estimate: 0.2, low: ≈0.14, high: ≈0.26 }
 */
export function meanConfidenceSequence(arm: ArmSummary, options: SequentialOptions = {}): SequentialInterval {
  const half = mixtureHalfWidth(arm.variance / arm.n, arm.variance, options);
  return { estimate: arm.mean, low: arm.mean - half, high: arm.mean + half };
}

/**
 * Confidence sequence for candidate − control (difference of means or of proportions, arms of any
 * sizes): V = s²_control / n_control + s²_candidate / n_candidate, and t = (s²_control +
 * s²_candidate) / V, which is the units per arm when the arms are equal.
 *
 * @example
 * differenceConfidenceSequence({ n: 5000, mean: 0.2, variance: 0.16 }, { n: 5000, mean: 0.22, variance: 0.1716 });
 */
export function differenceConfidenceSequence(
  control: ArmSummary,
  candidate: ArmSummary,
  options: SequentialOptions = {},
): SequentialInterval {
  const v = control.variance / control.n + candidate.variance / candidate.n;
  const v1 = control.variance + candidate.variance;
  const estimate = candidate.mean - control.mean;
  const half = mixtureHalfWidth(v, v1, options);
  return { estimate, low: estimate - half, high: estimate + half };
}

/**
 * The always-valid p-value of "no difference" (Johari et al.'s mSPRT): min(1, 1/Λ) with Λ the
 * normal-mixture likelihood ratio at the estimate. It is below α exactly when the α-level
 * confidence sequence excludes 0.
 */
export function alwaysValidPValue(
  control: ArmSummary,
  candidate: ArmSummary,
  options: Omit<SequentialOptions, 'alpha'> & { alpha?: number } = {},
): number {
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const tuneAt = options.tuneAt ?? DEFAULT_TUNE_AT;
  const v = control.variance / control.n + candidate.variance / candidate.n;
  const v1 = control.variance + candidate.variance;
  if (!(v > 0) || !(v1 > 0)) return candidate.mean === control.mean ? 1 : 0;
  const tau2 = v1 * mixtureRho2(alpha, tuneAt);
  const d = candidate.mean - control.mean;
  const logLambda = 0.5 * Math.log(v / (v + tau2)) + (tau2 * d * d) / (2 * v * (v + tau2));
  return Math.min(1, Math.exp(-logLambda));
}
