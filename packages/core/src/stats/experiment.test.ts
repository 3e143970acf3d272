import { describe, expect, it } from 'vitest';
import {
  chanceToBeatMean,
  chanceToBeatRate,
  experimentResults,
  experimentWinner,
  summarize,
} from './index.ts';

const arm = (version: number, units: number, successes: number) => ({
  version,
  weight: 5000,
  units,
  n: units,
  sum: successes,
  sumSq: successes,
});

describe('experimentResults', () => {
  it('0/1 metrics: exact Beta-Binomial chance, lift with its interval, SRM on units', () => {
    const r = experimentResults([arm(1, 3000, 600), arm(2, 3000, 720)], 1, 'score:converted');
    const [a, b] = r.variants;
    expect(a).toMatchObject({ version: 1, mean: 0.2, lift: null, chanceToBeatControl: null });
    expect(b?.lift?.absolute).toBeCloseTo(0.04, 12);
    expect(b?.lift?.relative).toBeCloseTo(0.2, 12);
    expect(b?.chanceToBeatControl).toBe(
      chanceToBeatRate({ successes: 600, trials: 3000 }, { successes: 720, trials: 3000 }),
    );
    expect(r.srm.ok).toBe(true);
    expect(experimentWinner(r, 'score:converted')).toBe(2);
  });

  it('lower-is-better metrics turn the chance around; a continuous metric uses the normal posterior', () => {
    const latency = (version: number, mean: number) => ({
      version,
      weight: 5000,
      units: 500,
      n: 500,
      sum: 500 * mean,
      sumSq: 500 * (mean * mean + 400),
    });
    const r = experimentResults([latency(1, 300), latency(2, 290)], 1, 'latency');
    const a = summarize({ n: 500, sum: 500 * 300, sumSq: 500 * (300 * 300 + 400) }, 'mean');
    const b = summarize({ n: 500, sum: 500 * 290, sumSq: 500 * (290 * 290 + 400) }, 'mean');
    if (!a || !b) throw new Error('summaries');
    expect(r.variants[1]?.chanceToBeatControl).toBeCloseTo(1 - chanceToBeatMean(a, b), 12);
    expect(r.variants[1]?.chanceToBeatControl).toBeGreaterThan(0.99);
    expect(experimentWinner(r, 'latency')).toBe(2);
  });

  it('keeps control as the winner while no lift is proven, and reports empty arms without figures', () => {
    const r = experimentResults(
      [arm(1, 100, 20), arm(2, 100, 22), { version: 3, weight: 0, units: 0, n: 0, sum: 0, sumSq: 0 }],
      1,
      'score:converted',
    );
    expect(experimentWinner(r, 'score:converted')).toBe(1);
    expect(r.variants[2]).toMatchObject({ units: 0, mean: null, ci: null, lift: null });
  });
});
