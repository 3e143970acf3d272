/**
 * Turns summed rollup rows into the answers of the metrics API: totals per version, dense series
 * per interval, and the per-arm statistics of a comparison. Pure: no SQL here.
 */
import {
  addHistogram,
  type CompareArm,
  contractFigures,
  latencyPercentiles,
  type MetricsPoint,
  momentsOf,
  type ScoreSummary,
  type VersionMetrics,
} from '@promptline/core';
import { emptyFigures, type RollupFigures } from './aggregate.ts';
import type { FiguresRow, ScoreSumRow } from './store.ts';

interface ScoreAccum {
  /** Numeric and boolean observations (categorical ones add only to `count` and `values`). */
  n: number;
  sum: number;
  sumSq: number;
  count: number;
  values: Map<string, number>;
}

/** Everything known about one version in one interval (or the whole window). */
export interface Accum {
  figures: RollupFigures;
  scores: Map<string, ScoreAccum>;
}

export const newAccum = (): Accum => ({ figures: emptyFigures(), scores: new Map() });

function addFigures(into: RollupFigures, from: RollupFigures): void {
  into.count += from.count;
  into.errors += from.errors;
  into.inputTokens += from.inputTokens;
  into.outputTokens += from.outputTokens;
  into.cachedTokens += from.cachedTokens;
  into.costN += from.costN;
  into.costSum += from.costSum;
  into.costSq += from.costSq;
  into.latencySum += from.latencySum;
  into.latencySq += from.latencySq;
  into.contractChecked += from.contractChecked;
  into.contractViolations += from.contractViolations;
  addHistogram(into.histogram, from.histogram);
}

function addScore(into: Accum, row: Pick<ScoreSumRow, 'name' | 'value' | 'count' | 'sum' | 'sumSq'>): void {
  let score = into.scores.get(row.name);
  if (!score) {
    score = { n: 0, sum: 0, sumSq: 0, count: 0, values: new Map() };
    into.scores.set(row.name, score);
  }
  score.count += row.count;
  if (row.value === '') {
    score.n += row.count;
    score.sum += row.sum;
    score.sumSq += row.sumSq;
  } else {
    score.values.set(row.value, (score.values.get(row.value) ?? 0) + row.count);
  }
}

/** Per key (a version, or a prompt), per interval start (epoch minutes): the accumulated rows. */
export type Series<K> = Map<K, Map<number, Accum>>;
/** Per version, per interval start (epoch minutes): the accumulated rows. */
export type VersionSeries = Series<number>;

function slot<K>(series: Series<K>, key: K, t: number): Accum {
  let byT = series.get(key);
  if (!byT) {
    byT = new Map();
    series.set(key, byT);
  }
  let accum = byT.get(t);
  if (!accum) {
    accum = newAccum();
    byT.set(t, accum);
  }
  return accum;
}

/** Accumulates rows (from any mix of minute and hour reads) per version and interval. */
export function accumulate(
  spanRows: readonly FiguresRow[],
  scoreRows: readonly ScoreSumRow[],
): VersionSeries {
  return accumulateBy(spanRows, scoreRows, (row) => row.version);
}

/** Accumulates rows per `keyOf(row)` and interval. */
export function accumulateBy<K>(
  spanRows: readonly FiguresRow[],
  scoreRows: readonly ScoreSumRow[],
  keyOf: (row: FiguresRow | ScoreSumRow) => K,
): Series<K> {
  const series: Series<K> = new Map();
  for (const row of spanRows) addFigures(slot(series, keyOf(row), row.t).figures, row);
  for (const row of scoreRows) addScore(slot(series, keyOf(row), row.t), row);
  return series;
}

/** The sum of every interval of one key. */
export function total(byT: ReadonlyMap<number, Accum>): Accum {
  const sum = newAccum();
  for (const accum of byT.values()) {
    addFigures(sum.figures, accum.figures);
    for (const [name, score] of accum.scores) {
      addScore(sum, { name, value: '', count: score.n, sum: score.sum, sumSq: score.sumSq });
      for (const [value, count] of score.values) addScore(sum, { name, value, count, sum: 0, sumSq: 0 });
    }
  }
  return sum;
}

function scoreSummaries(accum: Accum): Record<string, ScoreSummary> {
  const out: Record<string, ScoreSummary> = {};
  for (const [name, score] of [...accum.scores].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out[name] = {
      mean: score.n > 0 ? score.sum / score.n : null,
      count: score.count,
      ...(score.values.size > 0 ? { values: Object.fromEntries(score.values) } : {}),
    };
  }
  return out;
}

/** The figures of an accumulation as the API answers them. */
export function figuresOf(accum: Accum) {
  const f = accum.figures;
  return {
    count: f.count,
    errors: f.errors,
    latencyMs: latencyPercentiles(f.histogram),
    tokens: { input: f.inputTokens, output: f.outputTokens, cachedInput: f.cachedTokens },
    costUsd: f.costSum,
    scores: scoreSummaries(accum),
    contract: contractFigures(f.contractChecked, f.contractViolations),
  };
}

const iso = (minute: number) => new Date(minute * 60_000).toISOString();

/** Totals and dense series of every version seen, newest version first. */
export function versionMetrics(
  series: VersionSeries,
  window: { from: number; to: number; step: number },
): VersionMetrics[] {
  return [...series.keys()]
    .sort((a, b) => b - a)
    .map((version) => {
      const byT = series.get(version) ?? new Map<number, Accum>();
      const points: MetricsPoint[] = [];
      for (let t = window.from; t < window.to; t += window.step) {
        points.push({ t: iso(t), ...figuresOf(byT.get(t) ?? newAccum()) });
      }
      return { version, ...figuresOf(total(byT)), series: points };
    });
}

/** Every version of `series` as one (version 0): the figures of a scope whatever version served. */
export function mergeVersions(series: VersionSeries): VersionSeries {
  const all = new Map<number, Accum>();
  let i = 0;
  for (const byT of series.values()) for (const accum of byT.values()) all.set(i++, accum);
  return new Map([[0, new Map([[0, total(all)]])]]);
}

/** One arm of a comparison: the version's totals with the moments a statistical test needs. */
export function compareArm(version: number, series: VersionSeries): CompareArm {
  const accum = total(series.get(version) ?? new Map());
  const f = accum.figures;
  const scores: CompareArm['scores'] = {};
  for (const [name, score] of [...accum.scores].sort(([a], [b]) => (a < b ? -1 : 1))) {
    scores[name] = {
      ...momentsOf(score.n, score.sum, score.sumSq),
      ...(score.values.size > 0 ? { values: Object.fromEntries(score.values) } : {}),
    };
  }
  return {
    version,
    count: f.count,
    errors: f.errors,
    errorRate: f.count > 0 ? f.errors / f.count : null,
    // A 0/1 variable: Σx = Σx² = errors.
    errorMoments: momentsOf(f.count, f.errors, f.errors),
    latencyMs: {
      ...latencyPercentiles(f.histogram),
      moments: momentsOf(f.count, f.latencySum, f.latencySq),
      histogram: [...f.histogram],
    },
    costPerCall: f.costN > 0 ? f.costSum / f.costN : null,
    costMoments: momentsOf(f.costN, f.costSum, f.costSq),
    contract: contractFigures(f.contractChecked, f.contractViolations),
    scores,
  };
}
