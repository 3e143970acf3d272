/**
 * Rollout guardrails: the candidate against control on the same window, each metric with a
 * tolerance relative to control, decided with the anytime-valid confidence sequence (so checking
 * every few seconds does not inflate the false-alarm rate).
 *
 * - `errorRate`, `contractViolationRate`, `costPerCall`, `score:<name>`: difference of means (rates for errors and contract violations); a
 *   regression is when the whole interval of candidate − control lies beyond the tolerance,
 *   `maxRegression × |control mean|`, on the worse side (higher for errors and cost, lower for a
 *   score: scores are read as higher is better).
 * - `latencyP95`: with T = control p95 × (1 + maxRegression), a candidate whose p95 is within
 *   tolerance has at most 5 % of calls slower than T; a regression is when the interval of that
 *   share lies wholly above 5 %.
 */
import {
  LATENCY_BUCKET_COUNT,
  LATENCY_BUCKET_LOWER_BOUNDS,
  percentileFromHistogram,
} from '../traces/histogram.ts';
import { type CompareArm, type Moments, momentsOf } from '../traces/metrics.ts';
import {
  type ArmSummary,
  differenceConfidenceSequence,
  type MeasureKind,
  meanConfidenceSequence,
  type SequentialOptions,
  summarize,
} from './sequential.ts';

export interface GuardrailSpec {
  /** `errorRate`, `contractViolationRate`, `latencyP95`, `costPerCall` or `score:<name>`. */
  metric: string;
  /** Tolerated regression relative to control: 0.05 = 5 % worse. */
  maxRegression: number;
}

/** Fewest observations per arm before a guardrail can find a regression (the plug-in variance needs some). */
export const MIN_TEST_SAMPLES = 30;

export interface GuardrailVerdict {
  metric: string;
  /** `regression`: beyond tolerance, proven; `pass`: not proven (yet); `insufficient`: too few data. */
  verdict: 'pass' | 'regression' | 'insufficient';
  control: number | null;
  candidate: number | null;
  n: { control: number; candidate: number };
  /** The anytime-valid interval tested (candidate − control, or for latencyP95 the share above T). */
  interval: [number, number] | null;
  /** The value the interval must pass to be a regression, in the interval's units. */
  threshold: number | null;
  /** One line a person reads in the history: figures, bound, tolerance, samples. */
  evidence: string;
}

const nf = (x: number) => x.toLocaleString('en-US').replace(/,/g, ' ');
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const pts = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} pts`;
const signed = (x: number, unit: string) => `${x >= 0 ? '+' : ''}${fmt(x)}${unit}`;
function fmt(x: number): string {
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (a >= 100) return x.toFixed(0);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

interface Measure {
  label: string;
  kind: MeasureKind;
  higherIsWorse: boolean;
  moments: (arm: CompareArm) => Moments | undefined;
  show: (x: number) => string;
  showDiff: (x: number) => string;
}

function measureOf(metric: string): Measure | undefined {
  if (metric === 'errorRate') {
    return {
      label: 'error rate',
      kind: 'proportion',
      higherIsWorse: true,
      moments: (a) => a.errorMoments,
      show: pct,
      showDiff: pts,
    };
  }
  if (metric === 'contractViolationRate') {
    return {
      label: 'contract violation rate',
      kind: 'proportion',
      higherIsWorse: true,
      // A 0/1 variable over the checked spans: Σx = Σx² = violations.
      moments: (a) => momentsOf(a.contract.checked, a.contract.violations, a.contract.violations),
      show: pct,
      showDiff: pts,
    };
  }
  if (metric === 'costPerCall') {
    return {
      label: 'cost per call',
      kind: 'mean',
      higherIsWorse: true,
      moments: (a) => a.costMoments,
      show: (x) => `$${fmt(x)}`,
      showDiff: (x) => signed(x, ' USD'),
    };
  }
  if (metric.startsWith('score:') && metric.length > 6) {
    const name = metric.slice(6);
    return {
      label: `score ${name}`,
      kind: 'mean',
      higherIsWorse: false,
      moments: (a) => a.scores[name],
      show: fmt,
      showDiff: (x) => signed(x, ''),
    };
  }
  return undefined;
}

/** Whether `metric` names a guardrail this module can check. */
export function isGuardrailMetric(metric: string): boolean {
  return metric === 'latencyP95' || measureOf(metric) !== undefined;
}

function insufficient(
  metric: string,
  n: { control: number; candidate: number },
  why: string,
): GuardrailVerdict {
  return {
    metric,
    verdict: 'insufficient',
    control: null,
    candidate: null,
    n,
    interval: null,
    threshold: null,
    evidence: `${why}, n = ${nf(n.candidate)}/${nf(n.control)}`,
  };
}

function evaluateLatency(
  spec: GuardrailSpec,
  control: CompareArm,
  candidate: CompareArm,
  options: SequentialOptions,
): GuardrailVerdict {
  const n = { control: control.count, candidate: candidate.count };
  const hc = control.latencyMs.histogram;
  const hb = candidate.latencyMs.histogram;
  if (!hc || !hb || n.control < MIN_TEST_SAMPLES || n.candidate < MIN_TEST_SAMPLES) {
    return insufficient(spec.metric, n, `latency p95: fewer than ${MIN_TEST_SAMPLES} calls per arm`);
  }
  const p95c = percentileFromHistogram(hc, 0.95) ?? 0;
  const p95b = percentileFromHistogram(hb, 0.95) ?? 0;
  const limit = p95c * (1 + spec.maxRegression);
  // Candidate calls in buckets lying wholly at or above the limit: a conservative count.
  let slower = 0;
  for (let i = 0; i < LATENCY_BUCKET_COUNT; i++) {
    if ((LATENCY_BUCKET_LOWER_BOUNDS[i] ?? 0) >= limit) slower += hb[i] ?? 0;
  }
  const arm = summarize({ n: n.candidate, sum: slower, sumSq: slower }, 'proportion') as ArmSummary;
  const cs = meanConfidenceSequence(arm, options);
  const regression = cs.low > 0.05;
  return {
    metric: spec.metric,
    verdict: regression ? 'regression' : 'pass',
    control: p95c,
    candidate: p95b,
    n,
    interval: [cs.low, cs.high],
    threshold: 0.05,
    evidence:
      `latency p95 ${fmt(p95b)} ms vs ${fmt(p95c)} ms: ${pct(arm.mean)} of candidate calls slower than ` +
      `${fmt(limit)} ms (control p95 × ${fmt(1 + spec.maxRegression)}), bound ${pct(cs.low)} ` +
      `${regression ? '>' : '≤'} 5.0%, n = ${nf(n.candidate)}/${nf(n.control)}`,
  };
}

/**
 * Checks one guardrail: control arm `control`, candidate arm `candidate` (the compare API's arms,
 * same window).
 *
 * @example
 * evaluateGuardrail({ metric: 'errorRate', maxRegression: 0.05 }, control, candidate).verdict; // 'regression'
 */
export function evaluateGuardrail(
  spec: GuardrailSpec,
  control: CompareArm,
  candidate: CompareArm,
  options: SequentialOptions = {},
): GuardrailVerdict {
  if (spec.metric === 'latencyP95') return evaluateLatency(spec, control, candidate, options);
  const measure = measureOf(spec.metric);
  const mc = measure?.moments(control);
  const mb = measure?.moments(candidate);
  const n = { control: mc?.n ?? 0, candidate: mb?.n ?? 0 };
  if (!measure || !mc || !mb || n.control < MIN_TEST_SAMPLES || n.candidate < MIN_TEST_SAMPLES) {
    return insufficient(
      spec.metric,
      n,
      `${measure?.label ?? spec.metric}: fewer than ${MIN_TEST_SAMPLES} observations per arm`,
    );
  }
  const sc = summarize(mc, measure.kind) as ArmSummary;
  const sb = summarize(mb, measure.kind) as ArmSummary;
  const cs = differenceConfidenceSequence(sc, sb, options);
  const tolerance = spec.maxRegression * Math.abs(sc.mean);
  const regression = measure.higherIsWorse ? cs.low > tolerance : cs.high < -tolerance;
  const bound = measure.higherIsWorse ? cs.low : cs.high;
  const threshold = measure.higherIsWorse ? tolerance : -tolerance;
  const relation = measure.higherIsWorse ? (regression ? '>' : '≤') : regression ? '<' : '≥';
  return {
    metric: spec.metric,
    verdict: regression ? 'regression' : 'pass',
    control: sc.mean,
    candidate: sb.mean,
    n,
    interval: [cs.low, cs.high],
    threshold,
    evidence:
      `${measure.label} ${measure.show(sb.mean)} vs ${measure.show(sc.mean)}, ${measure.showDiff(cs.estimate)}, ` +
      `bound ${measure.showDiff(bound)} ${relation} tolerance ${measure.showDiff(threshold)}, ` +
      `n = ${nf(n.candidate)}/${nf(n.control)}`,
  };
}
