/**
 * The results of an A/B(/n) experiment from per-unit sufficient statistics: per variant the units,
 * the mean of the per-unit metric with its anytime-valid interval, the lift over control with its
 * interval, and the Bayesian chance to beat control; and the sample-ratio check of the split.
 */
import { chanceToBeatMean, chanceToBeatRate } from './bayes.ts';
import {
  type ArmSummary,
  differenceConfidenceSequence,
  meanConfidenceSequence,
  type SequentialOptions,
  summarize,
} from './sequential.ts';
import { type SrmResult, sampleRatioMismatch } from './srm.ts';

/** One variant's data: units seen, and the moments of the per-unit metric over the units that have it. */
export interface VariantData {
  version: number;
  /** Basis points of traffic it was given. */
  weight: number;
  units: number;
  n: number;
  sum: number;
  sumSq: number;
}

export interface VariantResult {
  version: number;
  weight: number;
  units: number;
  /** Units with a value of the metric (a unit without a score is left out of its mean). */
  n: number;
  mean: number | null;
  /** Anytime-valid interval of the mean. */
  ci: [number, number] | null;
  /** Against control (null for control itself): difference, its interval, and relative lift. */
  lift: { absolute: number; ci: [number, number]; relative: number | null } | null;
  /** P(this variant is better than control), better meaning `direction`; null for control. */
  chanceToBeatControl: number | null;
}

export interface ExperimentResults {
  control: number;
  variants: VariantResult[];
  srm: SrmResult;
}

/** Higher-is-better for scores; lower-is-better for errors, latency and cost. */
export function metricDirection(metric: string): 'higher' | 'lower' {
  return metric.startsWith('score:') ? 'higher' : 'lower';
}

const interval = (cs: { low: number; high: number }): [number, number] => [cs.low, cs.high];

function armOf(v: VariantData): ArmSummary | null {
  return summarize({ n: v.n, sum: v.sum, sumSq: v.sumSq }, 'mean');
}

/** Per-unit values that are all 0 or 1 (conversion): Σx = Σx² and the mean in [0, 1]. */
function isBinary(v: VariantData): boolean {
  return v.n > 0 && Math.abs(v.sum - v.sumSq) < 1e-9 && v.sum >= 0 && v.sum <= v.n;
}

/**
 * Results of an experiment; `control` is the version the others are compared with. For 0/1
 * per-unit metrics the chance to beat control is the exact Beta-Binomial (uniform prior), else the
 * flat-prior normal approximation.
 *
 * @example
 * experimentResults([{version: 1, weight: 5000, units: 1000, n: 1000, sum: 200, sumSq: 200}, …], 1, 'score:converted');
 */
export function experimentResults(
  data: readonly VariantData[],
  control: number,
  metric: string,
  options: SequentialOptions = {},
): ExperimentResults {
  const lowerIsBetter = metricDirection(metric) === 'lower';
  const controlData = data.find((v) => v.version === control);
  const controlArm = controlData ? armOf(controlData) : null;
  const variants = data.map((v): VariantResult => {
    const arm = armOf(v);
    const base = {
      version: v.version,
      weight: v.weight,
      units: v.units,
      n: v.n,
      mean: v.n > 0 ? v.sum / v.n : null,
      ci: arm ? interval(meanConfidenceSequence(arm, options)) : null,
    };
    if (v.version === control || !arm || !controlArm || !controlData) {
      return { ...base, lift: null, chanceToBeatControl: null };
    }
    const cs = differenceConfidenceSequence(controlArm, arm, options);
    const higher =
      isBinary(v) && isBinary(controlData)
        ? chanceToBeatRate(
            { successes: Math.round(controlData.sum), trials: controlData.n },
            { successes: Math.round(v.sum), trials: v.n },
          )
        : chanceToBeatMean(controlArm, arm);
    return {
      ...base,
      lift: {
        absolute: cs.estimate,
        ci: [cs.low, cs.high],
        relative: controlArm.mean !== 0 ? cs.estimate / Math.abs(controlArm.mean) : null,
      },
      chanceToBeatControl: lowerIsBetter ? 1 - higher : higher,
    };
  });
  return {
    control,
    variants,
    srm: sampleRatioMismatch(
      data.map((v) => v.units),
      data.map((v) => v.weight),
    ),
  };
}

/**
 * The variant to ship: the one most likely to beat control among those whose lift interval
 * excludes 0 on the better side; control when none does.
 */
export function experimentWinner(results: ExperimentResults, metric: string): number {
  const lowerIsBetter = metricDirection(metric) === 'lower';
  let best = results.control;
  let bestChance = -1;
  for (const v of results.variants) {
    if (!v.lift || v.chanceToBeatControl === null) continue;
    const proven = lowerIsBetter ? v.lift.ci[1] < 0 : v.lift.ci[0] > 0;
    if (proven && v.chanceToBeatControl > bestChance) {
      best = v.version;
      bestChance = v.chanceToBeatControl;
    }
  }
  return best;
}
