/**
 * From `GET /prompts/{name}/metrics` to chart data: one x axis (the series' interval starts), one
 * line per version per chart (null where the version had no calls, so a deploy shows as one
 * colour ending and another starting), and the deployment history as markers inside the window.
 * And the project dashboard's charts from `GET /metrics/summary`.
 */
import type { HistoryEntry, MetricsSummary, PromptMetrics, SummaryPoint } from '@promptline/core';

type Point = PromptMetrics['versions'][number]['series'][number];

export interface ChartData {
  title: string;
  series: { label: string; values: (number | null)[] }[];
  unit: 'count' | 'ratio' | 'ms' | 'usd' | 'score';
}

const METRICS: { title: string; unit: ChartData['unit']; value: (p: Point) => number | null }[] = [
  { title: 'Requests', unit: 'count', value: (p) => p.count },
  { title: 'Error rate', unit: 'ratio', value: (p) => (p.count ? p.errors / p.count : null) },
  { title: 'Latency p50', unit: 'ms', value: (p) => (p.count ? p.latencyMs.p50 : null) },
  { title: 'Latency p95', unit: 'ms', value: (p) => (p.count ? p.latencyMs.p95 : null) },
  { title: 'Latency p99', unit: 'ms', value: (p) => (p.count ? p.latencyMs.p99 : null) },
  { title: 'Tokens', unit: 'count', value: (p) => (p.count ? p.tokens.input + p.tokens.output : null) },
  { title: 'Cost', unit: 'usd', value: (p) => (p.count ? p.costUsd : null) },
];

/** The x axis (epoch seconds) and every chart: the fixed metrics, then one per score name. */
export function monitoringCharts(metrics: PromptMetrics): { xs: number[]; charts: ChartData[] } {
  const versions = [...metrics.versions].sort((a, b) => a.version - b.version);
  const times = new Set<string>();
  for (const v of versions) for (const p of v.series) times.add(p.t);
  const ts = [...times].sort((a, b) => Date.parse(a) - Date.parse(b));
  const xs = ts.map((t) => Date.parse(t) / 1000);
  const at = versions.map((v) => new Map(v.series.map((p) => [p.t, p])));
  const line = (value: (p: Point) => number | null) =>
    versions.map((v, i) => ({
      label: `v${v.version}`,
      values: ts.map((t) => {
        const p = at[i]?.get(t);
        return p ? value(p) : null;
      }),
    }));
  const charts: ChartData[] = METRICS.map((m) => ({
    title: m.title,
    unit: m.unit,
    series: line((p) => {
      const v = m.value(p);
      // Zero requests is a value on the Requests chart only; elsewhere there is nothing to draw.
      return m.title === 'Requests' && v === 0 ? null : v;
    }),
  }));
  // Only prompts whose versions declare an output contract have checked spans to chart.
  if (versions.some((v) => v.contract.checked > 0)) {
    charts.push({
      title: 'Contract violation rate',
      unit: 'ratio',
      series: line((p) => (p.contract.checked > 0 ? p.contract.violations / p.contract.checked : null)),
    });
  }
  const scoreNames = [...new Set(versions.flatMap((v) => Object.keys(v.scores)))].sort();
  for (const name of scoreNames) {
    charts.push({
      title: `Score: ${name}`,
      unit: 'score',
      series: line((p) => p.scores[name]?.mean ?? null),
    });
  }
  return { xs, charts };
}

/** Deployment history entries inside the window, as markers (epoch seconds) labelled by what went live. */
export function deployMarkers(history: HistoryEntry[], from: string, to: string) {
  const lo = Date.parse(from);
  const hi = Date.parse(to);
  return history
    .filter((h) => {
      const t = Date.parse(h.at);
      return t >= lo && t <= hi;
    })
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
    .map((h) => ({
      t: Date.parse(h.at) / 1000,
      label:
        h.version !== null
          ? `${h.action} v${h.version}`
          : `${h.action} ${h.variants.map((v) => `v${v.version}:${v.weight / 100}%`).join(' ')}`,
    }));
}

/**
 * The project dashboard's charts from `GET /metrics/summary`: one line per listed prompt (its
 * versions together) for requests, error rate and cost, on the summary's interval starts.
 */
export function summaryCharts(summary: MetricsSummary): { xs: number[]; charts: ChartData[] } {
  const line = (value: (p: SummaryPoint) => number | null) =>
    summary.prompts.map((prompt) => ({
      label: prompt.prompt,
      values: prompt.series.map((p) => (p.count > 0 ? value(p) : null)),
    }));
  return {
    xs: summary.totals.series.map((p) => Date.parse(p.t) / 1000),
    charts: [
      { title: 'Requests', unit: 'count', series: line((p) => p.count) },
      { title: 'Error rate', unit: 'ratio', series: line((p) => p.errors / p.count) },
      { title: 'Cost', unit: 'usd', series: line((p) => p.costUsd) },
    ],
  };
}
