/**
 * Comparison of a run with a baseline run (regressions, fixes, score deltas) and quality
 * thresholds (pass rate, no regressions, cost per case) — both computed incrementally.
 */
import { z } from 'zod';
import type { EvalSummary } from './summary.ts';
import type { EvalResult } from './types.ts';

/** What a baseline keeps of each result: enough to compare, nothing more. */
export interface BaselineEntry {
  pass: boolean;
  score: number;
}

export const ComparisonSummary = z.object({
  /** Results matched with a baseline result of the same key. */
  compared: z.number(),
  /** Passed in the baseline, fail now. */
  regressions: z.number(),
  /** Failed in the baseline, pass now. */
  fixes: z.number(),
  /** Keys that have no baseline result. */
  added: z.number(),
  /** Mean of (score now − score before) over compared results. */
  meanScoreDelta: z.number(),
  /** The first regressions (bounded), to show in reports. */
  regressionSamples: z.array(
    z.object({ key: z.string(), description: z.string().nullable(), reason: z.string() }),
  ),
});
/** Result of comparing a run with its baseline. */
export type ComparisonSummary = z.infer<typeof ComparisonSummary>;

const MAX_SAMPLES = 20;

/** Compares results with a baseline one at a time. */
export interface BaselineComparator {
  add(result: EvalResult): void;
  summary(): ComparisonSummary;
}

/** Creates a {@link BaselineComparator} over baseline entries keyed by {@link EvalResult.key}. */
export function createBaselineComparator(baseline: ReadonlyMap<string, BaselineEntry>): BaselineComparator {
  let compared = 0;
  let regressions = 0;
  let fixes = 0;
  let added = 0;
  let deltaSum = 0;
  const samples: ComparisonSummary['regressionSamples'] = [];
  return {
    add(r) {
      const before = baseline.get(r.key);
      if (!before) {
        added++;
        return;
      }
      compared++;
      deltaSum += r.score - before.score;
      if (before.pass && !r.pass) {
        regressions++;
        if (samples.length < MAX_SAMPLES)
          samples.push({ key: r.key, description: r.description, reason: r.reason });
      } else if (!before.pass && r.pass) fixes++;
    },
    summary() {
      return {
        compared,
        regressions,
        fixes,
        added,
        meanScoreDelta: compared ? deltaSum / compared : 0,
        regressionSamples: samples,
      };
    },
  };
}

export const Thresholds = z
  .object({
    /** Minimum share of passing cells, 0…1. */
    passRate: z.number().min(0).max(1).optional(),
    /** Minimum mean score, 0…1. */
    meanScore: z.number().optional(),
    /** Fail when any cell that passed in the baseline fails now. */
    noRegressions: z.boolean().optional(),
    /** Maximum mean cost per cell, USD. */
    maxCostPerCase: z.number().min(0).optional(),
  })
  .strict();
/** Quality gates a run must meet. */
export type Thresholds = z.infer<typeof Thresholds>;

export interface ThresholdCheck {
  name: keyof Thresholds;
  met: boolean;
  actual: number;
  limit: number;
}

/** Whether a run met its thresholds, check by check. */
export interface ThresholdVerdict {
  met: boolean;
  checks: ThresholdCheck[];
}

/**
 * Checks a run against thresholds. With no thresholds, the run meets them when every cell passed
 * (what CI expects from `promptline eval` without configuration).
 */
export function evaluateThresholds(
  summary: EvalSummary,
  thresholds: Thresholds | undefined,
  comparison?: ComparisonSummary,
): ThresholdVerdict {
  const checks: ThresholdCheck[] = [];
  if (!thresholds || Object.keys(thresholds).length === 0) {
    checks.push({ name: 'passRate', met: summary.failed === 0, actual: summary.passRate, limit: 1 });
  } else {
    if (thresholds.passRate !== undefined) {
      checks.push({
        name: 'passRate',
        met: summary.passRate >= thresholds.passRate,
        actual: summary.passRate,
        limit: thresholds.passRate,
      });
    }
    if (thresholds.meanScore !== undefined) {
      checks.push({
        name: 'meanScore',
        met: summary.meanScore >= thresholds.meanScore,
        actual: summary.meanScore,
        limit: thresholds.meanScore,
      });
    }
    if (thresholds.maxCostPerCase !== undefined) {
      const perCase = summary.total ? summary.costUsd / summary.total : 0;
      checks.push({
        name: 'maxCostPerCase',
        met: perCase <= thresholds.maxCostPerCase,
        actual: perCase,
        limit: thresholds.maxCostPerCase,
      });
    }
    if (thresholds.noRegressions) {
      const regressions = comparison?.regressions ?? 0;
      checks.push({ name: 'noRegressions', met: regressions === 0, actual: regressions, limit: 0 });
    }
  }
  return { met: checks.every((c) => c.met), checks };
}
