/**
 * Run summaries accumulated one result at a time, in memory that does not grow with the number of
 * results: counts and sums, and latency percentiles from a fixed log-bucket histogram.
 */
import { z } from 'zod';
import type { EvalResult } from './types.ts';

// Buckets grow by 4%: any percentile is within 4% of the true value, from 0.1 ms to ~2 hours.
const BUCKET_BASE = 1.04;
const BUCKET_MIN_MS = 0.1;
const BUCKETS = 460;

/** A fixed-size histogram of durations; percentiles are accurate to the bucket width (4%). */
export interface LatencyHistogram {
  add(ms: number): void;
  /** The p-quantile (0…1); 0 when empty. */
  percentile(p: number): number;
  readonly count: number;
}

/** Creates an empty {@link LatencyHistogram}. */
export function createLatencyHistogram(): LatencyHistogram {
  const buckets = new Float64Array(BUCKETS);
  let count = 0;
  let max = 0;
  const indexOf = (ms: number) => {
    if (ms <= BUCKET_MIN_MS) return 0;
    const i = Math.floor(Math.log(ms / BUCKET_MIN_MS) / Math.log(BUCKET_BASE)) + 1;
    return i >= BUCKETS ? BUCKETS - 1 : i;
  };
  return {
    add(ms) {
      if (!Number.isFinite(ms) || ms < 0) return;
      buckets[indexOf(ms)] = (buckets[indexOf(ms)] ?? 0) + 1;
      count++;
      if (ms > max) max = ms;
    },
    percentile(p) {
      if (count === 0) return 0;
      const rank = Math.max(1, Math.ceil(p * count));
      let seen = 0;
      for (let i = 0; i < BUCKETS; i++) {
        seen += buckets[i] ?? 0;
        if (seen >= rank) {
          if (i === 0) return BUCKET_MIN_MS;
          // Upper edge of the bucket, never above the largest value seen.
          return Math.min(max, BUCKET_MIN_MS * BUCKET_BASE ** i);
        }
      }
      return max;
    },
    get count() {
      return count;
    },
  };
}

export const GroupSummary = z.object({
  promptId: z.string(),
  promptLabel: z.string(),
  providerId: z.string(),
  providerLabel: z.string(),
  total: z.number(),
  passed: z.number(),
  failed: z.number(),
  /** Cells whose model call failed (counted in `failed` too). */
  errors: z.number(),
  passRate: z.number(),
  meanScore: z.number(),
  costUsd: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  cached: z.number(),
  latencyP50Ms: z.number(),
  latencyP95Ms: z.number(),
  namedScores: z.record(z.string(), z.number()),
});
/** Summary of one prompt × provider column of the matrix. */
export type GroupSummary = z.infer<typeof GroupSummary>;

export const EvalSummary = z.object({
  total: z.number(),
  passed: z.number(),
  failed: z.number(),
  errors: z.number(),
  passRate: z.number(),
  meanScore: z.number(),
  costUsd: z.number(),
  latencyP50Ms: z.number(),
  latencyP95Ms: z.number(),
  groups: z.array(GroupSummary),
});
/** Summary of a whole run. */
export type EvalSummary = z.infer<typeof EvalSummary>;

interface GroupState {
  promptId: string;
  promptLabel: string;
  providerId: string;
  providerLabel: string;
  total: number;
  passed: number;
  errors: number;
  scoreSum: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  cached: number;
  latency: LatencyHistogram;
  named: Map<string, { sum: number; n: number }>;
}

/** Accumulates a run's summary result by result. */
export interface SummaryAccumulator {
  add(result: EvalResult): void;
  summary(): EvalSummary;
}

/**
 * Creates a {@link SummaryAccumulator}; memory grows with the number of prompt × provider groups
 * only. Groups come out in a stable order whatever order results arrive in (they finish
 * concurrently): `order` (prompt id, provider id pairs, e.g. the suite's prompts × providers)
 * first, then any other group by prompt id and provider id.
 */
export function createSummaryAccumulator(
  order: readonly { promptId: string; providerId: string }[] = [],
): SummaryAccumulator {
  const rank = new Map(order.map((o, i) => [`${o.promptId}\u0000${o.providerId}`, i]));
  const groups = new Map<string, GroupState>();
  const overallLatency = createLatencyHistogram();
  return {
    add(r) {
      const key = `${r.promptId}\u0000${r.providerId}`;
      let g = groups.get(key);
      if (!g) {
        g = {
          promptId: r.promptId,
          promptLabel: r.promptLabel,
          providerId: r.providerId,
          providerLabel: r.providerLabel,
          total: 0,
          passed: 0,
          errors: 0,
          scoreSum: 0,
          costUsd: 0,
          inputTokens: 0,
          outputTokens: 0,
          cached: 0,
          latency: createLatencyHistogram(),
          named: new Map(),
        };
        groups.set(key, g);
      }
      g.total++;
      if (r.pass) g.passed++;
      if (r.error !== null) g.errors++;
      g.scoreSum += r.score;
      g.costUsd += r.costUsd ?? 0;
      g.inputTokens += r.usage?.inputTokens ?? 0;
      g.outputTokens += r.usage?.outputTokens ?? 0;
      if (r.cached) g.cached++;
      else if (r.error === null) {
        g.latency.add(r.latencyMs);
        overallLatency.add(r.latencyMs);
      }
      for (const [name, score] of Object.entries(r.namedScores)) {
        const m = g.named.get(name) ?? { sum: 0, n: 0 };
        m.sum += score;
        m.n++;
        g.named.set(name, m);
      }
    },
    summary() {
      const out: GroupSummary[] = [];
      let total = 0;
      let passed = 0;
      let errors = 0;
      let scoreSum = 0;
      let costUsd = 0;
      const keyed = [...groups].sort(([a], [b]) => {
        const ra = rank.get(a) ?? Number.POSITIVE_INFINITY;
        const rb = rank.get(b) ?? Number.POSITIVE_INFINITY;
        if (ra !== rb) return ra < rb ? -1 : 1;
        return a < b ? -1 : a > b ? 1 : 0;
      });
      for (const [, g] of keyed) {
        total += g.total;
        passed += g.passed;
        errors += g.errors;
        scoreSum += g.scoreSum;
        costUsd += g.costUsd;
        const namedScores: Record<string, number> = {};
        for (const [name, m] of g.named) namedScores[name] = m.sum / m.n;
        out.push({
          promptId: g.promptId,
          promptLabel: g.promptLabel,
          providerId: g.providerId,
          providerLabel: g.providerLabel,
          total: g.total,
          passed: g.passed,
          failed: g.total - g.passed,
          errors: g.errors,
          passRate: g.total ? g.passed / g.total : 0,
          meanScore: g.total ? g.scoreSum / g.total : 0,
          costUsd: g.costUsd,
          inputTokens: g.inputTokens,
          outputTokens: g.outputTokens,
          cached: g.cached,
          latencyP50Ms: g.latency.percentile(0.5),
          latencyP95Ms: g.latency.percentile(0.95),
          namedScores,
        });
      }
      return {
        total,
        passed,
        failed: total - passed,
        errors,
        passRate: total ? passed / total : 0,
        meanScore: total ? scoreSum / total : 0,
        costUsd,
        latencyP50Ms: overallLatency.percentile(0.5),
        latencyP95Ms: overallLatency.percentile(0.95),
        groups: out,
      };
    },
  };
}
