import { expect, it } from 'vitest';
import { samplePoint } from './sampler.ts';

it('a span falls at the same point for a rule every time, at different points for different rules, within [0, 1)', () => {
  const points = Array.from({ length: 1_000 }, (_, i) => samplePoint(7, `trace-${i}`, `span-${i}`));
  expect(points.every((p) => p >= 0 && p < 1)).toBe(true);
  expect(Array.from({ length: 1_000 }, (_, i) => samplePoint(7, `trace-${i}`, `span-${i}`))).toEqual(points);
  const otherRule = Array.from({ length: 1_000 }, (_, i) => samplePoint(8, `trace-${i}`, `span-${i}`));
  expect(otherRule.filter((p, i) => p === points[i]).length).toBeLessThan(5);
  // Spread over the interval: each tenth holds between 5 % and 15 % of the points.
  for (let d = 0; d < 10; d++) {
    const n = points.filter((p) => p >= d / 10 && p < (d + 1) / 10).length;
    expect(n).toBeGreaterThan(50);
    expect(n).toBeLessThan(150);
  }
});
