import type { GuardrailPoint } from '@promptline/core';
import { describe, expect, it } from 'vitest';
import { MAX_POINTS, worthRecording } from './history.ts';

const start = Date.parse('2026-01-01T00:00:00Z');
function point(atMs: number, change: Partial<GuardrailPoint> = {}): GuardrailPoint {
  return {
    at: new Date(atMs).toISOString(),
    step: 0,
    verdict: 'pass',
    control: 0.02,
    candidate: 0.021,
    interval: [-0.01, 0.012],
    threshold: 0.05,
    n: { control: 100, candidate: 50 },
    ...change,
  };
}

describe('worthRecording (the guardrail history thinning rule)', () => {
  it('keeps the first point and every change of verdict', () => {
    expect(worthRecording(point(start), undefined, start, start)).toBe(true);
    const last = { last: point(start), count: 1 };
    expect(
      worthRecording(point(start + 5_000, { verdict: 'insufficient' }), last, start, start + 5_000),
    ).toBe(true);
  });

  it('skips a check whose figures did not move, however late', () => {
    const last = { last: point(start), count: 1 };
    expect(worthRecording(point(start + 3_600_000), last, start, start + 3_600_000)).toBe(false);
  });

  it('spaces moving points by 1 % of the rollout age', () => {
    const moved = { n: { control: 120, candidate: 60 } };
    const hour = 3_600_000;
    // One hour in, the last point 30 s old: 30 s < 36 s, skipped; 40 s old: kept.
    const at = start + hour;
    expect(worthRecording(point(at, moved), { last: point(at - 30_000), count: 5 }, start, at)).toBe(false);
    expect(worthRecording(point(at, moved), { last: point(at - 40_000), count: 5 }, start, at)).toBe(true);
  });

  it('stops at the cap except for a new regression', () => {
    const full = { last: point(start), count: MAX_POINTS };
    const later = start + 86_400_000;
    expect(worthRecording(point(later, { verdict: 'insufficient' }), full, start, later)).toBe(false);
    expect(worthRecording(point(later, { verdict: 'regression' }), full, start, later)).toBe(true);
  });
});
