/**
 * Deciding an alert rule from the figures of its windows: the metric's value, whether it breaches
 * the fire level or is back past the resolve level (hysteresis), and the next state. Pure.
 */
import type { AlertCondition, AlertMetric, AlertState, CompareArm } from '@promptline/core';

/** The part of a rule its evaluation needs. */
export interface RuleToEvaluate {
  metric: AlertMetric;
  score: string | null;
  windowMinutes: number;
  condition: AlertCondition;
  minSamples: number;
  state: AlertState;
}

/** The metric's value in a window and how many observations it rests on. */
export function metricValue(
  rule: Pick<RuleToEvaluate, 'metric' | 'score' | 'windowMinutes'>,
  arm: CompareArm,
): { value: number | null; samples: number } {
  switch (rule.metric) {
    case 'errorRate':
      return { value: arm.errorRate, samples: arm.count };
    case 'latencyP50':
      return { value: arm.count > 0 ? arm.latencyMs.p50 : null, samples: arm.count };
    case 'latencyP95':
      return { value: arm.count > 0 ? arm.latencyMs.p95 : null, samples: arm.count };
    case 'latencyP99':
      return { value: arm.count > 0 ? arm.latencyMs.p99 : null, samples: arm.count };
    case 'costPerCall':
      return { value: arm.costPerCall, samples: arm.costMoments.n };
    case 'costPerDay':
      // The window's spend scaled to 24 hours.
      return { value: (arm.costMoments.sum * 1440) / rule.windowMinutes, samples: arm.costMoments.n };
    case 'scoreMean': {
      const score = rule.score === null ? undefined : arm.scores[rule.score];
      return { value: score?.mean ?? null, samples: score?.n ?? 0 };
    }
    case 'volume':
      return { value: arm.count, samples: arm.count };
    case 'contractViolationRate':
      // Over the spans whose output was checked against their version's contract.
      return { value: arm.contract.violationRate, samples: arm.contract.checked };
  }
}

export interface Evaluation {
  /** The value compared (for a change rule: the current window's value). */
  value: number | null;
  /** The previous window's value (change rules), else null. */
  baseline: number | null;
  samples: number;
  /** null: too few samples to decide anything; the state stays. */
  verdict: 'breach' | 'healthy' | 'between' | null;
  next: AlertState;
}

/** Relative move of `value` against `baseline` in percent (+ up, − down); null without a baseline. */
function percentChange(value: number, baseline: number): number | null {
  if (baseline === 0) return value === 0 ? 0 : null;
  return ((value - baseline) / Math.abs(baseline)) * 100;
}

/**
 * Evaluates a rule from its current window (and the previous one, for a change rule).
 * A threshold rule needs `minSamples` in the current window; a change rule needs them in the
 * previous one (the baseline) — a volume drop to nothing must still fire.
 */
export function evaluateRule(
  rule: RuleToEvaluate,
  current: CompareArm,
  previous: CompareArm | null,
): Evaluation {
  const now = metricValue(rule, current);
  const c = rule.condition;
  let verdict: Evaluation['verdict'] = null;
  let baseline: number | null = null;
  let samples = now.samples;
  if (c.type === 'threshold') {
    if (now.samples >= rule.minSamples && now.value !== null) {
      const resolveAt = c.resolveAt ?? (c.operator === 'gt' ? c.value * 0.9 : c.value * 1.1);
      const breach = c.operator === 'gt' ? now.value > c.value : now.value < c.value;
      const healthy = c.operator === 'gt' ? now.value <= resolveAt : now.value >= resolveAt;
      verdict = breach ? 'breach' : healthy ? 'healthy' : 'between';
    }
  } else if (previous) {
    const before = metricValue(rule, previous);
    baseline = before.value;
    samples = before.samples;
    const value = now.value ?? (rule.metric === 'volume' ? 0 : null);
    if (before.samples >= rule.minSamples && before.value !== null && value !== null) {
      const change = percentChange(value, before.value);
      if (change !== null) {
        const moved = c.direction === 'increase' ? change : -change;
        const resolvePercent = c.resolvePercent ?? c.percent / 2;
        verdict = moved > c.percent ? 'breach' : moved <= resolvePercent ? 'healthy' : 'between';
      }
    }
  }
  let next = rule.state;
  if (verdict === 'breach' && rule.state !== 'firing') next = 'firing';
  if (verdict === 'healthy' && rule.state === 'firing') next = 'resolved';
  return { value: now.value, baseline, samples, verdict, next };
}

/** Human wording of a condition, for notifications and chat messages. */
export function describeCondition(rule: Pick<RuleToEvaluate, 'condition' | 'windowMinutes'>): string {
  const c = rule.condition;
  const window = rule.windowMinutes % 60 === 0 ? `${rule.windowMinutes / 60} h` : `${rule.windowMinutes} min`;
  return c.type === 'threshold'
    ? `${c.operator === 'gt' ? '>' : '<'} ${c.value} over ${window}`
    : `${c.direction} > ${c.percent}% vs the previous ${window}`;
}
