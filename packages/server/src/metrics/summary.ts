/**
 * The project summary (`GET /api/v1/metrics/summary`) from two reads of the rollups: totals per
 * prompt and version over the whole window (histograms included, for percentiles) and sums per
 * prompt and interval (no histograms: the charts draw requests, errors, tokens and cost). Pure: no
 * SQL here.
 */
import type { MetricsSummary, PromptSummary, SummaryPoint } from '@promptline/core';
import { type Accum, accumulateBy, figuresOf, newAccum, type Series, total } from './report.ts';
import type { FiguresRow, ScoreSumRow } from './store.ts';
import type { MetricsWindow } from './window.ts';

const iso = (minute: number) => new Date(minute * 60_000).toISOString();

function point(t: number, accum: Accum | undefined): SummaryPoint {
  const f = accum?.figures;
  return {
    t: iso(t),
    count: f?.count ?? 0,
    errors: f?.errors ?? 0,
    tokens: { input: f?.inputTokens ?? 0, output: f?.outputTokens ?? 0, cachedInput: f?.cachedTokens ?? 0 },
    costUsd: f?.costSum ?? 0,
  };
}

/** Every interval of the window, oldest first, empty ones included. */
function densePoints(byT: ReadonlyMap<number, Accum> | undefined, window: MetricsWindow): SummaryPoint[] {
  const points: SummaryPoint[] = [];
  for (let t = window.from; t < window.to; t += window.step) points.push(point(t, byT?.get(t)));
  return points;
}

function summaryFigures(accum: Accum, series: SummaryPoint[]) {
  const f = accum.figures;
  return { ...figuresOf(accum), errorRate: f.count > 0 ? f.errors / f.count : null, series };
}

/** One series of every key of `series` added up per interval. */
function addUp<K>(series: Series<K>): Map<number, Accum> {
  const byT = new Map<number, Map<number, Accum>>();
  for (const perKey of series.values()) {
    for (const [t, accum] of perKey) {
      const at = byT.get(t) ?? new Map<number, Accum>();
      at.set(at.size, accum);
      byT.set(t, at);
    }
  }
  return new Map([...byT].map(([t, accums]) => [t, total(accums)]));
}

/**
 * The summary: totals of every span of the window (those naming no prompt under `''`, counted in
 * the totals only) and the `limit` busiest named prompts, most spans first, then by name.
 */
export function summarize(
  totals: { spans: readonly FiguresRow[]; scores: readonly ScoreSumRow[] },
  seriesRows: readonly FiguresRow[],
  window: MetricsWindow,
  limit: number,
  environment: string | undefined,
): MetricsSummary {
  const byPrompt = accumulateBy(totals.spans, totals.scores, (row) => row.prompt);
  const versions = new Map<string, Set<number>>();
  for (const row of [...totals.spans, ...totals.scores]) {
    const seen = versions.get(row.prompt) ?? new Set<number>();
    seen.add(row.version);
    versions.set(row.prompt, seen);
  }
  const series = accumulateBy(seriesRows, [], (row) => row.prompt);
  const prompts = [...byPrompt]
    .filter(([prompt]) => prompt !== '')
    .map(([prompt, byT]) => ({ prompt, accum: total(byT) }))
    .sort((a, b) => b.accum.figures.count - a.accum.figures.count || (a.prompt < b.prompt ? -1 : 1));
  const listed: PromptSummary[] = prompts.slice(0, limit).map(({ prompt, accum }) => ({
    prompt,
    versions: [...(versions.get(prompt) ?? [])].sort((a, b) => b - a),
    ...summaryFigures(accum, densePoints(series.get(prompt), window)),
  }));
  const all = new Map<number, Accum>();
  for (const byT of byPrompt.values()) all.set(all.size, total(byT));
  return {
    environment: environment ?? null,
    from: iso(window.from),
    to: iso(window.to),
    interval: window.interval,
    totals: {
      prompts: prompts.length,
      ...summaryFigures(all.size > 0 ? total(all) : newAccum(), densePoints(addUp(series), window)),
    },
    prompts: listed,
  };
}
