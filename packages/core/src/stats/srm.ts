/**
 * Sample-ratio mismatch: a chi-square goodness-of-fit test of the units each variant received
 * against the weights it was meant to receive. A tiny p-value means the split itself is broken
 * (bucketing, logging or filtering), so the experiment's comparison cannot be trusted.
 */
import { chiSquareSurvival } from './special.ts';

/** p below this flags a mismatch (the customary threshold for SRM checks). */
export const SRM_THRESHOLD = 0.001;

export interface SrmResult {
  chiSquare: number;
  df: number;
  pValue: number;
  /** pValue ≥ 0.001 (or nothing to test yet). */
  ok: boolean;
}

/**
 * Chi-square test of observed counts against expected shares (any positive weights, normalised).
 * Arms whose weight is 0 are left out. With fewer than two weighted arms or no units there is
 * nothing to test: p = 1.
 *
 * @example
 * sampleRatioMismatch([5200, 4800], [5000, 5000]); // { chiSquare: 16, df: 1, pValue: 6.3e-5, ok: false }
 */
export function sampleRatioMismatch(observed: readonly number[], weights: readonly number[]): SrmResult {
  const arms = observed.flatMap((count, i) => {
    const weight = weights[i] ?? 0;
    return weight > 0 ? [{ count, weight }] : [];
  });
  const total = arms.reduce((s, a) => s + a.count, 0);
  const weightSum = arms.reduce((s, a) => s + a.weight, 0);
  if (arms.length < 2 || total === 0)
    return { chiSquare: 0, df: Math.max(0, arms.length - 1), pValue: 1, ok: true };
  let chiSquare = 0;
  for (const arm of arms) {
    const expected = (total * arm.weight) / weightSum;
    chiSquare += (arm.count - expected) ** 2 / expected;
  }
  const df = arms.length - 1;
  const pValue = chiSquareSurvival(chiSquare, df);
  return { chiSquare, df, pValue, ok: pValue >= SRM_THRESHOLD };
}
