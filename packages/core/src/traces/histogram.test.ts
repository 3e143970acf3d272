import { describe, expect, it } from 'vitest';
import {
  addHistogram,
  emptyHistogram,
  LATENCY_BUCKET_COUNT,
  LATENCY_BUCKET_LOWER_BOUNDS,
  LATENCY_HISTOGRAM_MAX_MS,
  LATENCY_PERCENTILE_MAX_RELATIVE_ERROR,
  latencyBucket,
  latencyPercentiles,
  percentileFromHistogram,
} from './histogram.ts';

/** Exact nearest-rank percentile of a list. */
function exact(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1] ?? Number.NaN;
}

/** A deterministic generator (mulberry32) so a failure can be replayed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('latency histogram', () => {
  it('puts every latency in the bucket whose bounds contain it, bounds included', () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(0.999)).toBe(0);
    expect(latencyBucket(-5)).toBe(0);
    expect(latencyBucket(Number.NaN)).toBe(0);
    expect(latencyBucket(1)).toBe(1);
    expect(latencyBucket(LATENCY_HISTOGRAM_MAX_MS)).toBe(LATENCY_BUCKET_COUNT - 1);
    expect(latencyBucket(1e12)).toBe(LATENCY_BUCKET_COUNT - 1);
    for (let i = 1; i < LATENCY_BUCKET_COUNT; i++) {
      const lower = LATENCY_BUCKET_LOWER_BOUNDS[i] ?? 0;
      expect(latencyBucket(lower)).toBe(i);
      const upper = LATENCY_BUCKET_LOWER_BOUNDS[i + 1];
      if (upper !== undefined) expect(latencyBucket(upper - 1e-9 * upper)).toBe(i);
    }
  });

  it('estimates percentiles within the documented bound of the exact nearest-rank value', () => {
    const next = random(7);
    for (let round = 0; round < 200; round++) {
      const n = 1 + Math.floor(next() * 500);
      // Log-uniform latencies between 1 ms and ~1 h, as LLM calls spread.
      const values = Array.from({ length: n }, () => 2 ** (next() * 21.5));
      const h = emptyHistogram();
      for (const v of values) h[latencyBucket(v)] = (h[latencyBucket(v)] ?? 0) + 1;
      for (const p of [0.01, 0.5, 0.95, 0.99, 1]) {
        const estimate = percentileFromHistogram(h, p) ?? Number.NaN;
        const truth = exact(values, p);
        expect(Math.abs(estimate - truth) / truth).toBeLessThanOrEqual(
          LATENCY_PERCENTILE_MAX_RELATIVE_ERROR + 1e-4,
        );
      }
    }
    expect(LATENCY_PERCENTILE_MAX_RELATIVE_ERROR).toBeCloseTo(0.0905, 3);
  });

  it('adds bucket by bucket: percentiles of merged histograms equal those of all values together', () => {
    const next = random(11);
    const a = Array.from({ length: 300 }, () => 10 + next() * 900);
    const b = Array.from({ length: 100 }, () => 2000 + next() * 5000);
    const ha = emptyHistogram();
    const hb = emptyHistogram();
    const hall = emptyHistogram();
    for (const v of a) ha[latencyBucket(v)] = (ha[latencyBucket(v)] ?? 0) + 1;
    for (const v of b) hb[latencyBucket(v)] = (hb[latencyBucket(v)] ?? 0) + 1;
    for (const v of [...a, ...b]) hall[latencyBucket(v)] = (hall[latencyBucket(v)] ?? 0) + 1;
    expect(addHistogram(ha, hb)).toEqual(hall);
    expect(latencyPercentiles(ha)).toEqual(latencyPercentiles(hall));
    // 300 of 400 below 1 s: the median is fast, the p95 is one of the slow ones.
    expect(latencyPercentiles(hall).p50).toBeLessThan(1000);
    expect(latencyPercentiles(hall).p95).toBeGreaterThan(2000);
  });

  it('answers null for an empty histogram and the bound itself for the overflow bucket', () => {
    expect(latencyPercentiles(emptyHistogram())).toEqual({ p50: null, p95: null, p99: null });
    const h = emptyHistogram();
    h[latencyBucket(1e9)] = 1;
    expect(percentileFromHistogram(h, 0.5)).toBe(LATENCY_HISTOGRAM_MAX_MS);
  });
});
