import { describe, expect, it } from 'vitest';
import reference from './fixtures/reference.json' with { type: 'json' };
import {
  alwaysValidPValue,
  chanceToBeatMean,
  chanceToBeatRate,
  chiSquareSurvival,
  cupedAdjust,
  differenceConfidenceSequence,
  gammaP,
  gammaQ,
  logGamma,
  meanConfidenceSequence,
  normalCdf,
  normalQuantile,
  sampleRatioMismatch,
  summarize,
} from './index.ts';

/** |actual − expected| within `rel` of |expected| (or `abs` near zero). */
function close(actual: number, expected: number, rel: number, abs = 1e-300): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.max(abs, rel * Math.abs(expected)));
}

describe('special functions against SciPy (fixtures/reference.json)', () => {
  it('records where its reference values come from', () => {
    expect(reference.source).toMatch(/^SciPy \d/);
  });

  it('logGamma matches scipy.special.gammaln', () => {
    for (const [x, y] of reference.logGamma) close(logGamma(x as number), y as number, 1e-13, 1e-14);
  });

  it('gammaP and gammaQ match scipy.special.gammainc / gammaincc, tails included', () => {
    for (const [a, x, y] of reference.gammaP) close(gammaP(a as number, x as number), y as number, 1e-12);
    for (const [a, x, y] of reference.gammaQ) close(gammaQ(a as number, x as number), y as number, 1e-11);
  });

  it('normalCdf matches scipy.stats.norm.cdf down to 1e-198', () => {
    for (const [x, y] of reference.normalCdf) close(normalCdf(x as number), y as number, 1e-12);
  });

  it('normalQuantile matches scipy.stats.norm.ppf', () => {
    for (const [p, y] of reference.normalQuantile)
      close(normalQuantile(p as number), y as number, 1e-12, 1e-14);
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(normalQuantile(1.5)).toBeNaN();
  });

  it('chiSquareSurvival matches scipy.stats.chi2.sf', () => {
    for (const [x, df, p] of reference.chiSquareSurvival)
      close(chiSquareSurvival(x as number, df as number), p as number, 1e-11);
    expect(chiSquareSurvival(0, 3)).toBe(1);
  });
});

describe('sample-ratio mismatch', () => {
  it('matches scipy.stats.chisquare for 2 and 3 arms and unequal weights', () => {
    for (const c of reference.srm) {
      const r = sampleRatioMismatch(c.observed, c.weights);
      close(r.chiSquare, c.chiSquare, 1e-12);
      close(r.pValue, c.pValue, 1e-10);
      expect(r.ok).toBe(c.pValue >= 0.001);
    }
  });

  it('flags 52/48 at 10 000 units and leaves out zero-weight arms', () => {
    expect(sampleRatioMismatch([5200, 4800], [5000, 5000]).ok).toBe(false);
    expect(sampleRatioMismatch([5000, 4990, 300], [5000, 5000, 0])).toMatchObject({ df: 1, ok: true });
    expect(sampleRatioMismatch([0, 0], [1, 1])).toMatchObject({ pValue: 1, ok: true });
  });
});

describe('Bayesian chance to beat control', () => {
  it('rates: the exact Beta(1,1)-posterior sum matches numerical integration in SciPy', () => {
    for (const c of reference.chanceToBeatRate)
      close(chanceToBeatRate(c.control, c.candidate), c.p, 1e-9, 1e-12);
  });

  it('rates: symmetric, and the normal approximation past 50 000 terms stays close', () => {
    const a = { successes: 120, trials: 1000 };
    const b = { successes: 100, trials: 1000 };
    close(chanceToBeatRate(a, b) + chanceToBeatRate(b, a), 1, 1e-12);
    const big = chanceToBeatRate(
      { successes: 60_000, trials: 300_000 },
      { successes: 60_400, trials: 300_000 },
    );
    const exactish = chanceToBeatRate(
      { successes: 6000, trials: 30_000 },
      { successes: 6040, trials: 30_000 },
    );
    expect(big).toBeGreaterThan(exactish);
    expect(big).toBeGreaterThan(0.85);
    expect(big).toBeLessThan(0.95);
  });

  it('means: flat prior, normal posterior, as scipy.stats.norm.cdf of the z value', () => {
    for (const c of reference.chanceToBeatMean) close(chanceToBeatMean(c.control, c.candidate), c.p, 1e-12);
  });
});

describe('anytime-valid confidence sequences', () => {
  it('difference of means/proportions matches the published boundary evaluated in Python', () => {
    for (const c of reference.difference) {
      const cs = differenceConfidenceSequence(c.control, c.candidate, { alpha: c.alpha, tuneAt: c.tuneAt });
      close(cs.low, c.low, 1e-12, 1e-15);
      close(cs.high, c.high, 1e-12, 1e-15);
    }
  });

  it('is wider than the fixed-horizon interval and narrows as units grow', () => {
    const arm = (n: number) => ({ n, mean: 0.2, variance: 0.16 });
    const widths = [100, 1000, 10_000, 100_000].map((n) => {
      const cs = meanConfidenceSequence(arm(n));
      return cs.high - cs.low;
    });
    for (let i = 1; i < widths.length; i++) expect(widths[i]).toBeLessThan(widths[i - 1] as number);
    const fixed = 2 * 1.959963984540054 * Math.sqrt(0.16 / 1000);
    expect(widths[1]).toBeGreaterThan(fixed);
  });

  it('the always-valid p-value is below α exactly when the interval excludes 0', () => {
    const control = { n: 2000, mean: 0.2, variance: 0.16 };
    for (const mean of [0.2, 0.21, 0.22, 0.225, 0.23, 0.25]) {
      const candidate = { n: 2000, mean, variance: mean * (1 - mean) };
      const cs = differenceConfidenceSequence(control, candidate);
      const p = alwaysValidPValue(control, candidate);
      expect(p < 0.05).toBe(cs.low > 0 || cs.high < 0);
    }
  });

  it('summarize: proportions never claim zero variance; fewer than two observations is null', () => {
    expect(summarize({ n: 50, sum: 0, sumSq: 0 }, 'proportion')?.variance).toBeGreaterThan(0);
    expect(summarize({ n: 1, sum: 3, sumSq: 9 }, 'mean')).toBeNull();
    expect(summarize({ n: 4, sum: 10, sumSq: 30 }, 'mean')).toEqual({ n: 4, mean: 2.5, variance: 5 / 3 });
  });
});

describe('CUPED', () => {
  it('matches θ and the adjusted means and variances computed per unit with NumPy', () => {
    const { theta, arms } = cupedAdjust(reference.cuped.arms);
    close(theta, reference.cuped.theta, 1e-10);
    arms.forEach((arm, i) => {
      const expected = reference.cuped.adjusted[i];
      close(arm.mean, expected?.mean ?? Number.NaN, 1e-10);
      close(arm.variance, expected?.variance ?? Number.NaN, 1e-8);
    });
  });

  it('reduces the variance when the covariate predicts the metric, and leaves it without spread', () => {
    const raw = reference.cuped.arms[0];
    if (!raw) throw new Error('fixture');
    const plainVariance = (raw.sumY2 - (raw.sumY * raw.sumY) / raw.n) / (raw.n - 1);
    expect(cupedAdjust(reference.cuped.arms).arms[0]?.variance).toBeLessThan(plainVariance / 2);
    const flat = { n: 3, sumY: 6, sumY2: 14, sumX: 3, sumX2: 3, sumXY: 6 };
    expect(cupedAdjust([flat]).theta).toBe(0);
  });
});
