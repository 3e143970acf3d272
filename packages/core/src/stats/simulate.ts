/**
 * Simulations of the release statistics on a virtual clock: thousands of experiments and
 * rollouts in seconds, with a seeded generator so every figure is reproducible. They drive the
 * same functions the server uses (`differenceConfidenceSequence`, `evaluateGuardrail`,
 * `decideRollout`, `sampleRatioMismatch`); bench/releases.bench.ts prints their figures.
 */
import type { CompareArm } from '../traces/metrics.ts';
import { contractFigures, momentsOf } from '../traces/metrics.ts';
import { evaluateGuardrail, type GuardrailSpec } from './guardrail.ts';
import { decideRollout, type RolloutStepSpec } from './rollout.ts';
import { differenceConfidenceSequence, type SequentialOptions, summarize } from './sequential.ts';
import { sampleRatioMismatch } from './srm.ts';

/** Mulberry32: a small, fast, seeded uniform generator on [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Binomial(n, p) draw: Bernoulli trials below 200, else a rounded normal approximation. */
export function binomial(random: () => number, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (n < 200) {
    let k = 0;
    for (let i = 0; i < n; i++) if (random() < p) k++;
    return k;
  }
  // Box–Muller; n·p·(1−p) is large enough here for the approximation to be harmless.
  const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Math.min(n, Math.max(0, Math.round(n * p + z * Math.sqrt(n * p * (1 - p)))));
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? null) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export interface ExperimentSimulation {
  runs: number;
  /** Units added to each arm between two looks. */
  batch: number;
  /** Units per arm at which a run stops without a winner. */
  maxUnitsPerArm: number;
  controlRate: number;
  candidateRate: number;
  seed?: number;
  test?: SequentialOptions;
}

/**
 * Two-arm experiments on a conversion rate, the confidence sequence of the difference looked at
 * after every batch; a run "declares a winner" the first time the interval excludes 0.
 */
export function simulateExperiments(sim: ExperimentSimulation) {
  const random = seededRandom(sim.seed ?? 1);
  const detectedAt: number[] = [];
  let winners = 0;
  let wrongSign = 0;
  for (let run = 0; run < sim.runs; run++) {
    let n = 0;
    let xa = 0;
    let xb = 0;
    while (n < sim.maxUnitsPerArm) {
      n += sim.batch;
      xa += binomial(random, sim.batch, sim.controlRate);
      xb += binomial(random, sim.batch, sim.candidateRate);
      const a = summarize({ n, sum: xa, sumSq: xa }, 'proportion');
      const b = summarize({ n, sum: xb, sumSq: xb }, 'proportion');
      if (!a || !b) continue;
      const cs = differenceConfidenceSequence(a, b, sim.test);
      if (cs.low > 0 || cs.high < 0) {
        winners++;
        if (cs.high < 0 && sim.candidateRate > sim.controlRate) wrongSign++;
        detectedAt.push(n);
        break;
      }
    }
  }
  return {
    runs: sim.runs,
    winnerShare: winners / sim.runs,
    wrongSignShare: wrongSign / sim.runs,
    medianUnitsPerArmToDetection: median(detectedAt),
  };
}

/** An arm of the compare API built from counts (errors only: what the error-rate guardrail reads). */
export function syntheticArm(version: number, calls: number, errors: number): CompareArm {
  return {
    version,
    count: calls,
    errors,
    errorRate: calls > 0 ? errors / calls : null,
    errorMoments: momentsOf(calls, errors, errors),
    latencyMs: { p50: null, p95: null, p99: null, moments: momentsOf(0, 0, 0) },
    costPerCall: null,
    costMoments: momentsOf(0, 0, 0),
    contract: contractFigures(0, 0),
    scores: {},
  };
}

export interface RolloutSimulation {
  runs: number;
  /** Calls per second reaching the prompt (both arms). */
  callsPerSecond: number;
  controlErrorRate: number;
  candidateErrorRate: number;
  steps: readonly RolloutStepSpec[];
  guardrail: GuardrailSpec;
  minSamples: number;
  checkEverySeconds: number;
  seed?: number;
  test?: SequentialOptions;
}

/**
 * Guarded rollouts on the error-rate guardrail: traffic arrives each check interval, split by the
 * current step's weight, and `decideRollout` runs at every check on the totals since the start.
 */
export function simulateRollouts(sim: RolloutSimulation) {
  const random = seededRandom(sim.seed ?? 1);
  const secondsToRollback: number[] = [];
  const unitsToRollback: number[] = [];
  let rolledBack = 0;
  let completed = 0;
  const callsPerCheck = sim.callsPerSecond * sim.checkEverySeconds;
  const horizon = sim.steps.reduce((s, step) => s + step.durationSeconds, 0) * 4 + 3600;
  for (let run = 0; run < sim.runs; run++) {
    let step = 0;
    let stepStarted = 0;
    const a = { calls: 0, errors: 0 };
    const b = { calls: 0, errors: 0 };
    for (let t = sim.checkEverySeconds; t <= horizon; t += sim.checkEverySeconds) {
      const weight = (sim.steps[step]?.weight ?? 10_000) / 10_000;
      const toCandidate = binomial(random, callsPerCheck, weight);
      b.calls += toCandidate;
      b.errors += binomial(random, toCandidate, sim.candidateErrorRate);
      a.calls += callsPerCheck - toCandidate;
      a.errors += binomial(random, callsPerCheck - toCandidate, sim.controlErrorRate);
      const verdict = evaluateGuardrail(
        sim.guardrail,
        syntheticArm(1, a.calls, a.errors),
        syntheticArm(2, b.calls, b.errors),
        sim.test,
      );
      const decision = decideRollout(
        { steps: sim.steps, minSamples: sim.minSamples },
        { step, stepStartedMs: stepStarted * 1000 },
        t * 1000,
        [verdict],
        verdict.n,
      );
      if (decision.action === 'regression') {
        rolledBack++;
        secondsToRollback.push(t);
        unitsToRollback.push(b.calls);
        break;
      }
      if (decision.action === 'complete') {
        completed++;
        break;
      }
      if (decision.action === 'advance') {
        step = decision.toStep;
        stepStarted = t;
      }
    }
  }
  return {
    runs: sim.runs,
    rolledBackShare: rolledBack / sim.runs,
    completedShare: completed / sim.runs,
    medianSecondsToRollback: median(secondsToRollback),
    medianCandidateCallsToRollback: median(unitsToRollback),
  };
}

/** Share of runs whose SRM check flags a split drawn with `candidateShare` against the planned 50/50. */
export function simulateSrm(sim: { runs: number; units: number; candidateShare: number; seed?: number }) {
  const random = seededRandom(sim.seed ?? 1);
  let flagged = 0;
  for (let run = 0; run < sim.runs; run++) {
    const b = binomial(random, sim.units, sim.candidateShare);
    if (!sampleRatioMismatch([sim.units - b, b], [5000, 5000]).ok) flagged++;
  }
  return { runs: sim.runs, units: sim.units, detectionRate: flagged / sim.runs };
}
