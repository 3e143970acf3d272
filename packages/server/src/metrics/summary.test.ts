/**
 * The project summary against a recomputation from the raw spans, on both dialects: random spans
 * and scores go through trace ingestion (its transaction and the metrics sink, as
 * `POST /api/v1/traces` and `POST /api/v1/scores` do) while the hour roll-up runs at random moments,
 * then every figure of the summary — the totals, each prompt's figures and versions, the
 * busiest-first order and `limit`, every series point — equals what the raw spans give.
 */
import {
  createPriceBook,
  emptyHistogram,
  latencyBucket,
  latencyPercentiles,
  type MetricsSummary,
  SpanInput,
  type SpanInputDraft,
  type SummaryPoint,
} from '@promptline/core';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { createAuditService } from '../audit/service.ts';
import { createManualClock, forEachDialect } from '../test-helpers/index.ts';
import { createTraceService } from '../traces/service.ts';
import { createMetricsService } from './service.ts';

const HOUR = 3_600_000;
const BASE = Date.parse('2026-04-01T00:00:00.000Z');
const PROMPTS = ['support/triage', 'summarize', 'a/b'];

const spanArb = (start: number) =>
  fc.record({
    prompt: fc.constantFrom<string | null>(...PROMPTS, PROMPTS[0] ?? null, null),
    version: fc.integer({ min: 1, max: 3 }),
    environment: fc.constantFrom<string | undefined>('production', 'production', 'staging', undefined),
    startMs: fc.integer({ min: start, max: start + 4 * HOUR - 1 }),
    durationMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 600_000 })),
    status: fc.constantFrom<'ok' | 'error'>('ok', 'ok', 'error'),
    input: fc.integer({ min: 0, max: 5_000 }),
    output: fc.integer({ min: 0, max: 2_000 }),
    costUsd: fc.option(fc.double({ min: 0, max: 0.5, noNaN: true }), { nil: undefined }),
  });
type Raw = ReturnType<typeof spanArb> extends fc.Arbitrary<infer T> ? T & { traceId: string } : never;

const stepArb = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('batch' as const), size: fc.integer({ min: 1, max: 30 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('score' as const),
      name: fc.constantFrom('helpfulness', 'thumbs'),
      value: fc.oneof(
        fc.double({ min: -1, max: 5, noNaN: true }),
        fc.boolean(),
        fc.constantFrom('good', 'bad'),
      ),
      target: fc.nat(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('roll' as const),
      advanceMs: fc.integer({ min: 0, max: 2 * HOUR }),
    }),
  },
);

interface RawScore {
  span: Raw;
  name: string;
  value: number | boolean | string;
}

/** Each span is a trace of its own, so one span id does. */
const SPAN_ID = '0000000000000001';

function draft(s: Raw): SpanInputDraft {
  return {
    traceId: s.traceId,
    spanId: SPAN_ID,
    name: 'llm.call',
    startTime: s.startMs,
    endTime: s.startMs + s.durationMs,
    status: s.status,
    ...(s.prompt === null
      ? {}
      : {
          prompt: {
            name: s.prompt,
            version: s.version,
            ...(s.environment ? { environment: s.environment } : {}),
          },
        }),
    ...(s.environment && s.prompt === null ? { attributes: { env: s.environment } } : {}),
    model: 'unpriced-model',
    usage: { input: s.input, output: s.output },
    ...(s.costUsd === undefined ? {} : { costUsd: s.costUsd }),
  };
}

/** What the summary of [from, to) in `env` must say, worked out from the raw spans and scores alone. */
function expectSummary(
  answer: MetricsSummary,
  spans: Raw[],
  scores: RawScore[],
  env: string | undefined,
  from: number,
  to: number,
  stepMs: number,
  limit: number,
): void {
  // Spans naming no prompt have no environment in the rollups either.
  const envOf = (s: Raw) => (s.prompt === null ? '' : (s.environment ?? ''));
  const inScope = (s: Raw) => (env === undefined || envOf(s) === env) && s.startMs >= from && s.startMs < to;
  const scoped = spans.filter(inScope);
  const scopedScores = scores.filter((x) => inScope(x.span));
  const figures = (list: Raw[], scoreList: RawScore[]) => {
    const histogram = emptyHistogram();
    for (const s of list)
      histogram[latencyBucket(s.durationMs)] = (histogram[latencyBucket(s.durationMs)] ?? 0) + 1;
    const count = list.length;
    const errors = list.filter((s) => s.status === 'error').length;
    const names = [...new Set(scoreList.map((x) => x.name))].sort();
    return {
      count,
      errors,
      errorRate: count > 0 ? errors / count : null,
      latencyMs: latencyPercentiles(histogram),
      tokens: {
        input: list.reduce((n, s) => n + s.input, 0),
        output: list.reduce((n, s) => n + s.output, 0),
        cachedInput: 0,
      },
      cost: list.reduce((n, s) => n + (s.costUsd ?? 0), 0),
      scores: Object.fromEntries(
        names.map((name) => {
          const mine = scoreList.filter((x) => x.name === name);
          const numeric = mine.filter((x) => typeof x.value !== 'string').map((x) => Number(x.value));
          return [
            name,
            {
              count: mine.length,
              mean: numeric.length ? numeric.reduce((a, b) => a + b, 0) / numeric.length : null,
            },
          ];
        }),
      ),
    };
  };
  const expectFigures = (
    got: Omit<MetricsSummary['totals'], 'prompts'>,
    want: ReturnType<typeof figures>,
    list: Raw[],
  ) => {
    expect({
      count: got.count,
      errors: got.errors,
      errorRate: got.errorRate,
      latencyMs: got.latencyMs,
      tokens: got.tokens,
    }).toEqual({
      count: want.count,
      errors: want.errors,
      errorRate: want.errorRate,
      latencyMs: want.latencyMs,
      tokens: want.tokens,
    });
    expect(got.costUsd).toBeCloseTo(want.cost, 9);
    expect(Object.keys(got.scores)).toEqual(Object.keys(want.scores));
    for (const [name, s] of Object.entries(want.scores)) {
      expect(got.scores[name]?.count).toBe(s.count);
      if (s.mean === null) expect(got.scores[name]?.mean).toBeNull();
      else expect(got.scores[name]?.mean).toBeCloseTo(s.mean, 9);
    }
    // The series: every interval of the window, each point the sums of the raw spans in it.
    const firstT = Math.floor(from / stepMs) * stepMs;
    expect(got.series).toHaveLength(Math.ceil(to / stepMs) - Math.floor(from / stepMs));
    got.series.forEach((point: SummaryPoint, i) => {
      const t = firstT + i * stepMs;
      expect(point.t).toBe(new Date(t).toISOString());
      const inPoint = list.filter((s) => s.startMs >= t && s.startMs < t + stepMs);
      expect([point.count, point.errors, point.tokens.input, point.tokens.output]).toEqual([
        inPoint.length,
        inPoint.filter((s) => s.status === 'error').length,
        inPoint.reduce((n, s) => n + s.input, 0),
        inPoint.reduce((n, s) => n + s.output, 0),
      ]);
      expect(point.costUsd).toBeCloseTo(
        inPoint.reduce((n, s) => n + (s.costUsd ?? 0), 0),
        9,
      );
    });
  };

  expectFigures(answer.totals, figures(scoped, scopedScores), scoped);
  const named = [
    ...new Set(
      [...scoped, ...scopedScores.map((x) => x.span)].flatMap((s) => (s.prompt === null ? [] : [s.prompt])),
    ),
  ];
  expect(answer.totals.prompts).toBe(named.length);
  const ranked = named
    .map((prompt) => ({ prompt, count: scoped.filter((s) => s.prompt === prompt).length }))
    .sort((a, b) => b.count - a.count || (a.prompt < b.prompt ? -1 : 1))
    .slice(0, limit);
  expect(answer.prompts.map((x) => x.prompt)).toEqual(ranked.map((x) => x.prompt));
  for (const listed of answer.prompts) {
    const mine = scoped.filter((s) => s.prompt === listed.prompt);
    const myScores = scopedScores.filter((x) => x.span.prompt === listed.prompt);
    expectFigures(listed, figures(mine, myScores), mine);
    const versions = [...new Set([...mine, ...myScores.map((x) => x.span)].map((s) => s.version))].sort(
      (a, b) => b - a,
    );
    expect(listed.versions).toEqual(versions);
  }
}

forEachDialect((_dialect, get) => {
  it('the summary equals a recomputation from the raw spans and scores, however batched and rolled up', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 20 }), async (steps) => {
        run++;
        // Each run has its own days: the roll-up watermark only moves forward.
        const start = BASE + run * 2 * 24 * HOUR;
        const clock = createManualClock(new Date(start));
        const database = get();
        const audit = createAuditService({ database, clock });
        const metrics = createMetricsService({ database, clock, audit });
        // Ingestion's own clock is past every span (none is in the future, none beyond retention).
        const traces = createTraceService({
          database,
          clock: { now: () => new Date(start + 5 * HOUR) },
          sink: metrics.sink,
          prices: async () => createPriceBook([]),
        });
        const spans: Raw[] = [];
        const scores: RawScore[] = [];
        const pool = fc.sample(spanArb(start), { numRuns: 600, seed: run });
        for (const step of steps) {
          if (step.kind === 'batch') {
            const batch = pool.splice(0, step.size).map((s, i) => ({
              ...s,
              traceId: (run * 1_000_000 + spans.length + i + 1).toString(16).padStart(32, '0'),
            }));
            await traces.ingest(
              1,
              batch.map((s) => SpanInput.parse(draft(s))),
              'api',
            );
            spans.push(...batch);
          } else if (step.kind === 'score') {
            const span = spans[step.target % Math.max(1, spans.length)];
            if (!span) continue;
            await traces.score(1, {
              traceId: span.traceId,
              spanId: SPAN_ID,
              name: step.name,
              value: step.value,
              source: 'api',
            });
            scores.push({ span, name: step.name, value: step.value });
          } else {
            clock.advance(step.advanceMs);
            await metrics.rollUpHours();
          }
        }
        clock.set(new Date(start + 5 * HOUR));
        const window = { from: new Date(start).toISOString(), to: new Date(start + 5 * HOUR).toISOString() };
        for (const env of [undefined, 'production']) {
          // Hourly points read hour rollups for rolled-up hours; 5-minute points read minutes only.
          for (const [interval, stepMs] of [
            ['1h', HOUR],
            ['5m', 5 * 60_000],
          ] as const) {
            const answer = await metrics.summary(1, { ...window, interval, env });
            expectSummary(answer, spans, scores, env, start, start + 5 * HOUR, stepMs, 30);
          }
        }
        // A window that cuts hours (minute rollups at its edges), and a limit below the prompts seen.
        await metrics.rollUpHours();
        const cut = { from: start + 17 * 60_000, to: start + 3 * HOUR + 43 * 60_000 };
        const answer = await metrics.summary(1, {
          from: new Date(cut.from).toISOString(),
          to: new Date(cut.to).toISOString(),
          interval: '1m',
          limit: 2,
        });
        expectSummary(answer, spans, scores, undefined, cut.from, cut.to, 60_000, 2);
      }),
      { numRuns: 6, seed: 7 },
    );
  }, 300_000);
});
