/**
 * Property test of the rollups: random streams of written spans and scores, split into random
 * batches, written through the sink while the hour roll-up runs at random moments (so some spans
 * arrive for hours already rolled up) — the metrics read back always equal a recomputation from
 * the raw list: counts, sums, histograms, percentiles and score summaries, on both dialects.
 */
import {
  emptyHistogram,
  LATENCY_PERCENTILE_MAX_RELATIVE_ERROR,
  latencyBucket,
  latencyPercentiles,
  type PromptMetrics,
} from '@promptline/core';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { createAuditService } from '../audit/service.ts';
import { createManualClock, forEachDialect } from '../test-helpers/index.ts';
import type { ScoreRecorded, SpanRecorded } from '../traces/sink.ts';
import { createMetricsService } from './service.ts';

const HOUR = 3_600_000;
const BASE = Date.parse('2026-03-01T00:00:00.000Z');
const PROMPTS = ['support/triage', 'summarize'];

const spanArb = (start: number) =>
  fc.record({
    promptName: fc.constantFrom<string | null>(...PROMPTS, null),
    promptVersion: fc.integer({ min: 1, max: 3 }),
    environment: fc.constantFrom<string | null>('production', 'staging', null),
    provider: fc.constantFrom<string | null>('openai', 'anthropic', null),
    model: fc.constantFrom<string | null>('gpt-x', 'claude-y'),
    startMs: fc.integer({ min: start, max: start + 4 * HOUR - 1 }),
    // Log-uniform 0.1 ms … ~20 min, and a few zeros.
    durationMs: fc.oneof(
      fc.constant(0),
      fc.double({ min: -3, max: 20, noNaN: true }).map((e) => 2 ** e),
    ),
    status: fc.constantFrom<'ok' | 'error'>('ok', 'ok', 'error'),
    inputTokens: fc.integer({ min: 0, max: 5_000 }),
    outputTokens: fc.integer({ min: 0, max: 2_000 }),
    cachedInputTokens: fc.integer({ min: 0, max: 500 }),
    costUsd: fc.option(fc.double({ min: 0, max: 0.5, noNaN: true }), { nil: null }),
    // Not checked (no contract, no output), met, broken.
    contractViolation: fc.constantFrom<boolean | null>(null, null, false, true),
  });

const scoreArb = fc.record({
  name: fc.constantFrom('helpfulness', 'thumbs', 'label'),
  value: fc.oneof(
    fc.double({ min: -1, max: 5, noNaN: true }),
    fc.boolean(),
    fc.constantFrom('good', 'bad', 'meh'),
  ),
  /** Which written span (modulo their number) it scores. */
  target: fc.nat(),
});

/** One step of a run: write a batch of spans, score a span, or move the clock and roll hours up. */
const stepArb = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('batch' as const), size: fc.integer({ min: 1, max: 40 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('score' as const), score: scoreArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('roll' as const),
      advanceMs: fc.integer({ min: 0, max: 2 * HOUR }),
    }),
  },
);

interface Expected {
  count: number;
  errors: number;
  input: number;
  output: number;
  cached: number;
  cost: number;
  latencies: number[];
  checked: number;
  violations: number;
  scores: Map<string, { n: number; sum: number; count: number; values: Map<string, number> }>;
}

/** The figures of one prompt (per version) recomputed from the raw spans and scores, no rollups involved. */
function recompute(
  spans: SpanRecorded[],
  scores: ScoreRecorded[],
  prompt: string,
  env: string | undefined,
  inWindow: (ms: number) => boolean,
): Map<number, Expected> {
  const byVersion = new Map<number, Expected>();
  const entry = (version: number) => {
    let e = byVersion.get(version);
    if (!e) {
      e = {
        count: 0,
        errors: 0,
        input: 0,
        output: 0,
        cached: 0,
        cost: 0,
        latencies: [],
        checked: 0,
        violations: 0,
        scores: new Map(),
      };
      byVersion.set(version, e);
    }
    return e;
  };
  const matches = (s: { promptName: string | null; environment: string | null }) =>
    s.promptName === prompt && (env === undefined || (s.environment ?? '') === env);
  for (const s of spans) {
    if (!matches(s) || !inWindow(s.startMs)) continue;
    const e = entry(s.promptVersion ?? 0);
    e.count++;
    if (s.status === 'error') e.errors++;
    e.input += s.inputTokens;
    e.output += s.outputTokens;
    e.cached += s.cachedInputTokens;
    e.cost += s.costUsd ?? 0;
    e.latencies.push(Math.max(0, s.durationMs));
    if (s.contractViolation !== null) e.checked++;
    if (s.contractViolation === true) e.violations++;
  }
  for (const s of scores) {
    if (!matches(s) || !inWindow(s.spanStartMs)) continue;
    const e = entry(s.promptVersion ?? 0);
    let acc = e.scores.get(s.name);
    if (!acc) {
      acc = { n: 0, sum: 0, count: 0, values: new Map() };
      e.scores.set(s.name, acc);
    }
    acc.count++;
    if (typeof s.value === 'string') acc.values.set(s.value, (acc.values.get(s.value) ?? 0) + 1);
    else {
      acc.n++;
      acc.sum += typeof s.value === 'boolean' ? Number(s.value) : s.value;
    }
  }
  return byVersion;
}

function exactPercentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1] ?? Number.NaN;
}

function expectMatches(answer: PromptMetrics, expected: Map<number, Expected>): void {
  expect(answer.versions.map((v) => v.version)).toEqual([...expected.keys()].sort((a, b) => b - a));
  for (const v of answer.versions) {
    const e = expected.get(v.version);
    if (!e) throw new Error(`unexpected version ${v.version}`);
    expect({ count: v.count, errors: v.errors, tokens: v.tokens }).toEqual({
      count: e.count,
      errors: e.errors,
      tokens: { input: e.input, output: e.output, cachedInput: e.cached },
    });
    expect(v.costUsd).toBeCloseTo(e.cost, 9);
    expect(v.contract).toEqual({
      checked: e.checked,
      violations: e.violations,
      violationRate: e.checked > 0 ? e.violations / e.checked : null,
    });
    // Percentiles: exactly those of the recomputed histogram, and within the bound of the raw values.
    const histogram = emptyHistogram();
    for (const l of e.latencies) histogram[latencyBucket(l)] = (histogram[latencyBucket(l)] ?? 0) + 1;
    expect(v.latencyMs).toEqual(latencyPercentiles(histogram));
    for (const [p, estimate] of [
      [0.5, v.latencyMs.p50],
      [0.99, v.latencyMs.p99],
    ] as const) {
      const truth = exactPercentile(e.latencies, p);
      if (truth >= 1 && estimate !== null) {
        expect(Math.abs(estimate - truth) / truth).toBeLessThanOrEqual(
          LATENCY_PERCENTILE_MAX_RELATIVE_ERROR + 1e-4,
        );
      }
    }
    expect(Object.keys(v.scores).sort()).toEqual([...e.scores.keys()].sort());
    for (const [name, s] of e.scores) {
      const got = v.scores[name];
      expect(got?.count).toBe(s.count);
      if (s.n === 0) expect(got?.mean).toBeNull();
      else expect(got?.mean).toBeCloseTo(s.sum / s.n, 9);
      expect(got?.values ?? {}).toEqual(Object.fromEntries(s.values));
    }
    // The series adds up to the totals.
    expect(v.series.reduce((n, point) => n + point.count, 0)).toBe(v.count);
    expect(v.series.reduce((n, point) => n + point.contract.violations, 0)).toBe(e.violations);
  }
}

forEachDialect((_dialect, get) => {
  it('rollups equal a recomputation from the raw spans and scores, however batched and rolled up', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 25 }), async (steps) => {
        run++;
        // Each run has its own project and its own days: the roll-up watermark only moves forward.
        const projectId = 10_000 + run;
        const start = BASE + run * 2 * 24 * HOUR;
        const clock = createManualClock(new Date(start));
        const database = get();
        const metrics = createMetricsService({
          database,
          clock,
          audit: createAuditService({ database, clock }),
        });
        const spans: SpanRecorded[] = [];
        const scores: ScoreRecorded[] = [];
        const pool = fc.sample(spanArb(start), { numRuns: 1_000, seed: run });
        for (const step of steps) {
          if (step.kind === 'batch') {
            const batch = pool.splice(0, step.size).map((s) => ({ ...s, projectId }));
            await database.db.transaction().execute((trx) => metrics.sink.spansWritten(trx, batch));
            spans.push(...batch);
          } else if (step.kind === 'score' && spans.length > 0) {
            const span = spans[step.score.target % spans.length];
            if (!span) continue;
            const score: ScoreRecorded = {
              projectId,
              promptName: span.promptName,
              promptVersion: span.promptVersion,
              environment: span.environment,
              provider: span.provider,
              model: span.model,
              spanStartMs: span.startMs,
              name: step.score.name,
              value: step.score.value,
              source: 'api',
            };
            await database.db.transaction().execute((trx) => metrics.sink.scoreWritten(trx, score));
            scores.push(score);
          } else if (step.kind === 'roll') {
            clock.advance(step.advanceMs);
            await metrics.rollUpHours();
          }
        }
        clock.set(new Date(start + 5 * HOUR));
        const window = { from: new Date(start).toISOString(), to: new Date(start + 5 * HOUR).toISOString() };
        const all = () => true;
        for (const prompt of PROMPTS) {
          for (const env of [undefined, 'production', '']) {
            const expected = recompute(spans, scores, prompt, env, all);
            // Hour series read hour rollups for rolled-up hours; 5-minute series read minutes only.
            for (const interval of ['1h', '5m'] as const) {
              expectMatches(
                await metrics.promptMetrics(projectId, prompt, { ...window, interval, env }),
                expected,
              );
            }
          }
        }
        // After rolling every closed hour up, the hour rollups alone still give the same answers.
        await metrics.rollUpHours();
        const expected = recompute(spans, scores, 'summarize', undefined, all);
        expectMatches(
          await metrics.promptMetrics(projectId, 'summarize', { ...window, interval: '1h' }),
          expected,
        );
        // A window that cuts hours: minute rollups for the partial hours, hour rollups between.
        const cut = { from: start + 17 * 60_000, to: start + 3 * HOUR + 43 * 60_000 };
        const inCut = (ms: number) => ms >= cut.from && ms < cut.to;
        const comparison = await metrics.compare(projectId, 'summarize', undefined, 1, 2, {
          from: new Date(cut.from).toISOString(),
          to: new Date(cut.to).toISOString(),
        });
        const expectedCut = recompute(spans, scores, 'summarize', undefined, inCut);
        for (const arm of [comparison.a, comparison.b]) {
          const e = expectedCut.get(arm.version);
          expect(arm.count).toBe(e?.count ?? 0);
          expect(arm.errors).toBe(e?.errors ?? 0);
          expect(arm.contract.checked).toBe(e?.checked ?? 0);
          expect(arm.contract.violations).toBe(e?.violations ?? 0);
          const latencySum = (e?.latencies ?? []).reduce((a, b) => a + b, 0);
          expect(arm.latencyMs.moments.sum).toBeCloseTo(latencySum, 6);
        }
      }),
      { numRuns: 12, seed: 42 },
    );
  });
});
