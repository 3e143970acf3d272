import type { Prompt, PromptMetrics } from '@promptline/core';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link } from 'wouter';
import { api, encodeName, request } from '../../api/client.ts';
import { EnvironmentSelect } from '../../components/environment-select.tsx';
import { Empty, QueryView } from '../../components/states.tsx';
import { formatMs, formatUsd } from '../../lib/format.ts';
import { lazyPage } from '../../lib/lazy-page.tsx';
import { type ChartData, deployMarkers, monitoringCharts } from '../../lib/monitoring.ts';
import { useQueryParams } from '../../lib/use-query-params.ts';
import { OnlineEvalsCard } from './online-evals.tsx';

// uPlot comes with the chart, in its own chunk: the first page never loads it.
// Without Suspense (lib/lazy-page.tsx says why), and asked for as the page opens, beside its data.
const TimeChart = lazyPage(() => import('../../components/time-chart.tsx'));

const RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
type Range = keyof typeof RANGES;
/**
 * 30 days at the server's default interval would be 30 daily points: too coarse to see a deploy.
 * Hourly points (720, read from the hour rollups) keep a day's shape and still draw at once.
 */
const INTERVAL: Partial<Record<Range, '1h'>> = { '30d': '1h' };

const FORMAT: Record<ChartData['unit'], (v: number) => string> = {
  count: (v) => String(Math.round(v)),
  ratio: (v) => `${(v * 100).toFixed(1)} %`,
  ms: (v) => formatMs(v),
  usd: (v) => formatUsd(v),
  score: (v) => v.toFixed(2),
};

/**
 * The prompt's production view: requests, error rate, latency percentiles, tokens, cost and each
 * score over time, one colour per version, deployments marked on the time axis, and the versions
 * side by side. URL: `/prompts/<name>?tab=monitoring&env=production&range=24h`.
 */
export function MonitoringTab({ prompt }: { prompt: Prompt }) {
  const [params, setParams] = useQueryParams();
  // Read by bench/traces-page.bench.ts: from here to each chart drawn ('chart-drawn').
  useState(() => performance.mark('monitoring-start'));
  useState(() => {
    // The charts' code loads while the data is fetched; a failure shows where a chart renders.
    TimeChart.preload().catch(() => undefined);
  });
  const env = params.env ?? 'production';
  const range: Range = params.range && params.range in RANGES ? (params.range as Range) : '24h';
  const window = useMemo(() => {
    const to = new Date(Math.ceil(Date.now() / 60_000) * 60_000);
    const interval = INTERVAL[range];
    return {
      from: new Date(to.getTime() - RANGES[range]).toISOString(),
      to: to.toISOString(),
      ...(interval ? { interval } : {}),
    };
  }, [range]);
  const metrics = useQuery({
    queryKey: ['metrics', prompt.name, env, window.from],
    queryFn: () =>
      request<PromptMetrics>(`/prompts/${encodeName(prompt.name)}/metrics`, { query: { env, ...window } }),
  });
  const history = useQuery({
    queryKey: ['history', prompt.name, env],
    queryFn: () => api.history(prompt.name, env),
  });

  return (
    <div className="stack">
      <div className="toolbar">
        <EnvironmentSelect env={env} onChange={(next) => setParams({ env: next }, true)} />
        <label>
          Range{' '}
          <select value={range} onChange={(e) => setParams({ range: e.target.value }, true)}>
            {Object.keys(RANGES).map((r) => (
              <option key={r} value={r}>
                last {r}
              </option>
            ))}
          </select>
        </label>
        <Link href={`/traces?prompt=${encodeURIComponent(prompt.name)}&env=${encodeURIComponent(env)}`}>
          Traces of this prompt in {env}
        </Link>
      </div>
      <QueryView query={metrics} loadingLabel="Loading metrics…">
        {(m) => <MonitoringView metrics={m} history={history.data ?? []} />}
      </QueryView>
      <OnlineEvalsCard prompt={prompt.name} env={env} />
    </div>
  );
}

function MonitoringView({
  metrics,
  history,
}: {
  metrics: PromptMetrics;
  history: Parameters<typeof deployMarkers>[0];
}) {
  const { xs, charts } = useMemo(() => monitoringCharts(metrics), [metrics]);
  const markers = useMemo(() => deployMarkers(history, metrics.from, metrics.to), [history, metrics]);
  if (metrics.versions.length === 0) {
    return (
      <Empty title="No calls in this window">
        Spans that name this prompt (SDK, gateway or OpenTelemetry) appear here within seconds.
      </Empty>
    );
  }
  return (
    <>
      <VersionTable metrics={metrics} />
      <div className="chart-grid">
        {charts.map((c) => (
          <TimeChart
            key={c.title}
            title={c.title}
            xs={xs}
            series={c.series}
            markers={markers}
            format={FORMAT[c.unit]}
          />
        ))}
      </div>
      {markers.length > 0 ? (
        <p className="muted small" data-testid="deploy-markers">
          Deployments in this window:{' '}
          {markers.map((m) => `${m.label} at ${new Date(m.t * 1000).toLocaleString()}`).join('; ')}
        </p>
      ) : null}
    </>
  );
}

/** Version against version over the window. */
function VersionTable({ metrics }: { metrics: PromptMetrics }) {
  const scoreNames = [...new Set(metrics.versions.flatMap((v) => Object.keys(v.scores)))].sort();
  const contracts = metrics.versions.some((v) => v.contract.checked > 0);
  return (
    <table className="table" aria-label="Versions compared">
      <thead>
        <tr>
          <th>Version</th>
          <th>Requests</th>
          <th>Error rate</th>
          <th>p50</th>
          <th>p95</th>
          <th>p99</th>
          <th>Tokens in/out</th>
          <th>Cost</th>
          <th>Cost / call</th>
          {contracts ? <th>Contract violations</th> : null}
          {scoreNames.map((s) => (
            <th key={s}>{s}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {metrics.versions.map((v) => (
          <tr key={v.version}>
            <td>v{v.version}</td>
            <td>{v.count}</td>
            <td>{v.count ? `${((v.errors / v.count) * 100).toFixed(1)} %` : '—'}</td>
            <td>{formatMs(v.latencyMs.p50)}</td>
            <td>{formatMs(v.latencyMs.p95)}</td>
            <td>{formatMs(v.latencyMs.p99)}</td>
            <td>
              {v.tokens.input}/{v.tokens.output}
            </td>
            <td>{formatUsd(v.costUsd)}</td>
            <td>{v.count ? formatUsd(v.costUsd / v.count) : '—'}</td>
            {contracts ? (
              <td>
                {v.contract.violationRate === null
                  ? '—'
                  : `${(v.contract.violationRate * 100).toFixed(1)} % of ${v.contract.checked}`}
              </td>
            ) : null}
            {scoreNames.map((s) => (
              <td key={s}>
                {v.scores[s]?.mean === undefined || v.scores[s]?.mean === null
                  ? '—'
                  : v.scores[s]?.mean?.toFixed(2)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
