import type { CompareArm } from '@promptline/core';
import { describe, expect, it } from 'vitest';
import { evaluateRule, type RuleToEvaluate } from './evaluate.ts';

const moments = (n: number, sum: number) => ({
  n,
  sum,
  sumSq: sum,
  mean: n > 0 ? sum / n : null,
  variance: null,
});
function arm(count: number, errors: number): CompareArm {
  return {
    version: 0,
    count,
    errors,
    errorRate: count > 0 ? errors / count : null,
    errorMoments: moments(count, errors),
    latencyMs: { p50: 100, p95: 200, p99: 300, moments: moments(count, count * 100) },
    costPerCall: null,
    costMoments: moments(0, 0),
    contract: { checked: 0, violations: 0, violationRate: null },
    scores: {},
  };
}

const rule = (state: RuleToEvaluate['state']): RuleToEvaluate => ({
  metric: 'errorRate',
  score: null,
  windowMinutes: 5,
  condition: { type: 'threshold', operator: 'gt', value: 0.2 },
  minSamples: 10,
  state,
});

describe('evaluateRule', () => {
  it('fires above the threshold, stays firing between the resolve level and the threshold, resolves under it', () => {
    expect(evaluateRule(rule('ok'), arm(100, 25), null)).toMatchObject({ verdict: 'breach', next: 'firing' });
    // 19 % is under the threshold but above 18 % (the default resolve level): no flapping.
    expect(evaluateRule(rule('firing'), arm(100, 19), null)).toMatchObject({
      verdict: 'between',
      next: 'firing',
    });
    expect(evaluateRule(rule('firing'), arm(100, 18), null)).toMatchObject({
      verdict: 'healthy',
      next: 'resolved',
    });
    expect(evaluateRule(rule('resolved'), arm(100, 21), null).next).toBe('firing');
    expect(evaluateRule(rule('ok'), arm(100, 19), null).next).toBe('ok');
  });

  it('decides nothing under the minimum sample, whatever the value', () => {
    expect(evaluateRule(rule('ok'), arm(9, 9), null)).toMatchObject({ verdict: null, next: 'ok', value: 1 });
    expect(evaluateRule(rule('firing'), arm(9, 0), null).next).toBe('firing');
  });

  it('compares a change rule with the previous window, whose size is the sample that counts', () => {
    const drop: RuleToEvaluate = {
      ...rule('ok'),
      metric: 'volume',
      condition: { type: 'change', direction: 'decrease', percent: 50 },
    };
    expect(evaluateRule(drop, arm(0, 0), arm(40, 0))).toMatchObject({
      verdict: 'breach',
      baseline: 40,
      value: 0,
    });
    expect(evaluateRule(drop, arm(30, 0), arm(40, 0)).verdict).toBe('healthy');
    expect(evaluateRule({ ...drop, state: 'firing' }, arm(25, 0), arm(40, 0)).verdict).toBe('between');
    expect(evaluateRule(drop, arm(0, 0), arm(5, 0)).verdict).toBeNull();
  });
});
