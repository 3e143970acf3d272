/**
 * Release statistics on a virtual clock (core's simulate.ts, the same decision code the server
 * runs): A/A false winners and A/B detection for experiments looked at after every batch, guarded
 * rollouts against a candidate with twice control's error rate and against an equal one, and SRM
 * detection for a 52/48 split. Prints one JSON object.
 */
import { simulateExperiments, simulateRollouts, simulateSrm } from '@promptline/core';

const started = performance.now();
const test = { alpha: 0.05, tuneAt: 10_000 };

// A/A: no effect, 20 % conversion, looked at after every 100 units per arm up to 20 000 per arm.
const aa = simulateExperiments({
  runs: 1000,
  batch: 100,
  maxUnitsPerArm: 20_000,
  controlRate: 0.2,
  candidateRate: 0.2,
  seed: 11,
  test,
});
// A/B: +2 points on 20 %, same looks; detection is the first look whose interval excludes 0.
const ab = simulateExperiments({
  runs: 1000,
  batch: 100,
  maxUnitsPerArm: 40_000,
  controlRate: 0.2,
  candidateRate: 0.22,
  seed: 12,
  test,
});
const ab10k = simulateExperiments({
  runs: 1000,
  batch: 100,
  maxUnitsPerArm: 10_000,
  controlRate: 0.2,
  candidateRate: 0.22,
  seed: 13,
  test,
});

// The same with the default tuning of an experiment (expectedUnitsPerArm 1 000).
const tuned1000 = { alpha: 0.05, tuneAt: 1000 };
const aa1000 = simulateExperiments({
  runs: 1000,
  batch: 100,
  maxUnitsPerArm: 20_000,
  controlRate: 0.2,
  candidateRate: 0.2,
  seed: 14,
  test: tuned1000,
});
const ab1000 = simulateExperiments({
  runs: 1000,
  batch: 100,
  maxUnitsPerArm: 40_000,
  controlRate: 0.2,
  candidateRate: 0.22,
  seed: 15,
  test: tuned1000,
});
const ab1000at10k = simulateExperiments({
  runs: 1000,
  batch: 100,
  maxUnitsPerArm: 10_000,
  controlRate: 0.2,
  candidateRate: 0.22,
  seed: 16,
  test: tuned1000,
});

// Guarded rollouts: 20 calls/s, checks every 10 s, 5 % → 25 % → 50 % → 100 % with 10 minutes a step,
// guardrail errorRate with maxRegression 0.05 (5 % worse than control), minSamples 100.
const rollout = {
  runs: 1000,
  callsPerSecond: 20,
  steps: [
    { weight: 500, durationSeconds: 600 },
    { weight: 2500, durationSeconds: 600 },
    { weight: 5000, durationSeconds: 600 },
    { weight: 10_000, durationSeconds: 0 },
  ],
  guardrail: { metric: 'errorRate', maxRegression: 0.05 },
  minSamples: 100,
  checkEverySeconds: 10,
  test: { alpha: 0.05, tuneAt: 1000 },
};
const doubled = simulateRollouts({ ...rollout, controlErrorRate: 0.02, candidateErrorRate: 0.04, seed: 21 });
const equal = simulateRollouts({ ...rollout, controlErrorRate: 0.02, candidateErrorRate: 0.02, seed: 22 });

const srm = simulateSrm({ runs: 1000, units: 10_000, candidateShare: 0.52, seed: 31 });
const srmNull = simulateSrm({ runs: 1000, units: 10_000, candidateShare: 0.5, seed: 32 });

console.log(
  JSON.stringify({
    experiments: {
      test: { ...test, looks: 'after every 100 units per arm' },
      aa: { runs: aa.runs, maxUnitsPerArm: 20_000, falseWinnerShare: aa.winnerShare },
      ab: {
        effect: '20% → 22%',
        medianUnitsPerArmToDetection: ab.medianUnitsPerArmToDetection,
        detectedWithin40000PerArm: ab.winnerShare,
        powerAt10000PerArm: ab10k.winnerShare,
        wrongSignShare: ab.wrongSignShare,
      },
      tunedFor1000: {
        aaFalseWinnerShare: aa1000.winnerShare,
        abMedianUnitsPerArmToDetection: ab1000.medianUnitsPerArmToDetection,
        abPowerAt10000PerArm: ab1000at10k.winnerShare,
      },
    },
    rollouts: {
      setup: {
        callsPerSecond: 20,
        checkEverySeconds: 10,
        steps: '5% → 25% → 50% → 100%, 600 s each',
        guardrail: 'errorRate, maxRegression 0.05',
        controlErrorRate: 0.02,
      },
      doubledErrorRate: {
        rolledBackShare: doubled.rolledBackShare,
        medianSecondsToRollback: doubled.medianSecondsToRollback,
        medianCandidateCallsToRollback: doubled.medianCandidateCallsToRollback,
      },
      equalErrorRate: { falseRollbackRate: equal.rolledBackShare, completedShare: equal.completedShare },
    },
    srm: {
      split: '52/48',
      units: 10_000,
      detectionRate: srm.detectionRate,
      falseAlarmRateAt50_50: srmNull.detectionRate,
    },
    wallSeconds: Number(((performance.now() - started) / 1000).toFixed(2)),
  }),
);
