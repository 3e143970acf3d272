import { describe, expect, it } from 'vitest';
import { emptyHistogram, latencyBucket } from '../traces/histogram.ts';
import { momentsOf } from '../traces/metrics.ts';
import {
  decideRollout,
  evaluateGuardrail,
  isGuardrailMetric,
  simulateExperiments,
  simulateRollouts,
  simulateSrm,
  syntheticArm,
} from './index.ts';

function latencyArm(version: number, latencies: number[]) {
  const histogram = emptyHistogram();
  for (const ms of latencies) histogram[latencyBucket(ms)] = (histogram[latencyBucket(ms)] ?? 0) + 1;
  return {
    ...syntheticArm(version, latencies.length, 0),
    latencyMs: { ...syntheticArm(version, 0, 0).latencyMs, histogram },
  };
}

describe('evaluateGuardrail', () => {
  it('finds an error-rate regression and writes the evidence a person reads', () => {
    const v = evaluateGuardrail(
      { metric: 'errorRate', maxRegression: 0.05 },
      syntheticArm(1, 1488, 30),
      syntheticArm(2, 512, 205),
    );
    expect(v.verdict).toBe('regression');
    expect(v.evidence).toMatch(
      /^error rate 40\.0% vs 2\.0%, \+38\.0 pts, bound \+\d+\.\d pts > tolerance \+0\.1 pts, n = 512\/1 488$/,
    );
    expect(v.interval?.[0]).toBeGreaterThan(0.3);
  });

  it('passes equal rates and stays insufficient below 30 observations per arm', () => {
    expect(
      evaluateGuardrail(
        { metric: 'errorRate', maxRegression: 0.05 },
        syntheticArm(1, 2000, 40),
        syntheticArm(2, 2000, 41),
      ).verdict,
    ).toBe('pass');
    expect(
      evaluateGuardrail(
        { metric: 'errorRate', maxRegression: 0.05 },
        syntheticArm(1, 2000, 40),
        syntheticArm(2, 20, 20),
      ).verdict,
    ).toBe('insufficient');
  });

  it('a regression smaller than the tolerance is not one', () => {
    // 20.0 % → 20.5 %: a real difference of 2.5 % relative, inside a 10 % tolerance.
    const v = evaluateGuardrail(
      { metric: 'errorRate', maxRegression: 0.1 },
      syntheticArm(1, 1_000_000, 200_000),
      syntheticArm(2, 1_000_000, 205_000),
    );
    expect(v.interval?.[0]).toBeGreaterThan(0);
    expect(v.verdict).toBe('pass');
  });

  it('scores regress downwards; cost upwards', () => {
    const arm = syntheticArm(1, 500, 0);
    const withScore = (mean: number) => ({
      ...arm,
      scores: { helpful: momentsOf(500, 500 * mean, 500 * mean) },
    });
    expect(
      evaluateGuardrail({ metric: 'score:helpful', maxRegression: 0.05 }, withScore(0.8), withScore(0.5))
        .verdict,
    ).toBe('regression');
    expect(
      evaluateGuardrail({ metric: 'score:helpful', maxRegression: 0.05 }, withScore(0.5), withScore(0.8))
        .verdict,
    ).toBe('pass');
    const withCost = (c: number) => ({ ...arm, costMoments: momentsOf(500, 500 * c, 500 * c * c * 1.01) });
    const cost = evaluateGuardrail(
      { metric: 'costPerCall', maxRegression: 0.2 },
      withCost(0.001),
      withCost(0.002),
    );
    expect(cost.verdict).toBe('regression');
    expect(cost.evidence).toMatch(/^cost per call \$0\.00200 vs \$0\.00100/);
    expect(evaluateGuardrail({ metric: 'score:absent', maxRegression: 0.05 }, arm, arm).verdict).toBe(
      'insufficient',
    );
  });

  it('latencyP95: a candidate twice as slow regresses, the same distribution does not', () => {
    const base = Array.from({ length: 400 }, (_, i) => 100 + (i % 100) * 3);
    const control = latencyArm(1, base);
    const slow = evaluateGuardrail(
      { metric: 'latencyP95', maxRegression: 0.2 },
      control,
      latencyArm(
        2,
        base.map((x) => x * 2),
      ),
    );
    expect(slow.verdict).toBe('regression');
    expect(slow.evidence).toMatch(/^latency p95 \d+ ms vs \d+ ms: \d+\.\d% of candidate calls slower than/);
    expect(
      evaluateGuardrail({ metric: 'latencyP95', maxRegression: 0.2 }, control, latencyArm(2, base)).verdict,
    ).toBe('pass');
  });

  it('knows its metrics', () => {
    for (const m of ['errorRate', 'latencyP95', 'costPerCall', 'score:x'])
      expect(isGuardrailMetric(m)).toBe(true);
    for (const m of ['score:', 'latency', 'p95']) expect(isGuardrailMetric(m)).toBe(false);
  });
});

describe('decideRollout', () => {
  const plan = {
    steps: [
      { weight: 500, durationSeconds: 60 },
      { weight: 5000, durationSeconds: 60 },
      { weight: 10_000, durationSeconds: 0 },
    ],
    minSamples: 100,
  };
  const pass = evaluateGuardrail(
    { metric: 'errorRate', maxRegression: 0.05 },
    syntheticArm(1, 2000, 40),
    syntheticArm(2, 200, 4),
  );
  const bad = evaluateGuardrail(
    { metric: 'errorRate', maxRegression: 0.05 },
    syntheticArm(1, 2000, 40),
    syntheticArm(2, 200, 80),
  );

  it('holds until the step has lasted its duration and both arms have minSamples', () => {
    expect(
      decideRollout(plan, { step: 0, stepStartedMs: 0 }, 30_000, [pass], { control: 2000, candidate: 200 })
        .action,
    ).toBe('hold');
    expect(
      decideRollout(plan, { step: 0, stepStartedMs: 0 }, 61_000, [pass], { control: 2000, candidate: 50 })
        .action,
    ).toBe('hold');
    expect(
      decideRollout(plan, { step: 0, stepStartedMs: 0 }, 61_000, [pass], { control: 2000, candidate: 200 }),
    ).toMatchObject({ action: 'advance', toStep: 1 });
  });

  it('advancing onto the 100 % step completes; a regression wins over everything', () => {
    expect(
      decideRollout(plan, { step: 1, stepStartedMs: 0 }, 61_000, [pass], { control: 2000, candidate: 200 })
        .action,
    ).toBe('complete');
    const d = decideRollout(plan, { step: 0, stepStartedMs: 0 }, 1000, [pass, bad], {
      control: 2000,
      candidate: 200,
    });
    expect(d.action).toBe('regression');
    expect(d.reason).toBe(bad.evidence);
  });
});

describe('simulations (seeded, small)', () => {
  it('A/A experiments looked at after every batch declare a winner in at most 5 % of runs', () => {
    const r = simulateExperiments({
      runs: 300,
      batch: 100,
      maxUnitsPerArm: 10_000,
      controlRate: 0.2,
      candidateRate: 0.2,
      seed: 5,
    });
    expect(r.winnerShare).toBeLessThanOrEqual(0.05);
  });

  it('A/B with +5 points is found, in the right direction', () => {
    const r = simulateExperiments({
      runs: 100,
      batch: 100,
      maxUnitsPerArm: 10_000,
      controlRate: 0.2,
      candidateRate: 0.25,
      seed: 6,
    });
    expect(r.winnerShare).toBeGreaterThan(0.9);
    expect(r.wrongSignShare).toBe(0);
  });

  it('rollouts: a 5× error rate is rolled back; an equal one completes', () => {
    const base = {
      runs: 50,
      callsPerSecond: 20,
      steps: [
        { weight: 1000, durationSeconds: 120 },
        { weight: 10_000, durationSeconds: 0 },
      ],
      guardrail: { metric: 'errorRate', maxRegression: 0.05 },
      minSamples: 100,
      checkEverySeconds: 10,
      controlErrorRate: 0.02,
    };
    expect(simulateRollouts({ ...base, candidateErrorRate: 0.1, seed: 7 }).rolledBackShare).toBeGreaterThan(
      0.9,
    );
    const equal = simulateRollouts({ ...base, candidateErrorRate: 0.02, seed: 8 });
    expect(equal.rolledBackShare).toBeLessThanOrEqual(0.05);
    expect(equal.completedShare).toBeGreaterThan(0.9);
  });

  it('SRM flags a 55/45 split at 10 000 units nearly always', () => {
    expect(
      simulateSrm({ runs: 100, units: 10_000, candidateShare: 0.55, seed: 9 }).detectionRate,
    ).toBeGreaterThan(0.95);
  });
});
