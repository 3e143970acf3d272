import type { MetricsSummary } from '@promptline/core';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link } from 'wouter';
import { request } from '../api/client.ts';
import { EnvironmentSelect } from '../components/environment-select.tsx';
import { Empty, QueryView } from '../components/states.tsx';
import { formatMs, formatUsd } from '../lib/format.ts';
import { lazyPage } from '../lib/lazy-page.tsx';
import { summaryCharts } from '../lib/monitoring.ts';
import { useQueryParams } from '../lib/use-query-params.ts';

// Without Suspense (lib/lazy-page.tsx says why), and asked for as the page opens, beside its data.
const TimeChart = lazyPage(() => import('../components/time-chart.tsx'));
/** Prompts listed and charted at most (the busiest of the window). */
const MAX_PROMPTS = 30;
const FORMAT = {
  count: (v: number) => String(Math.round(v)),
  ratio: (v: number) => `${(v * 100).toFixed(1)} %`,
  usd: (v: number) => formatUsd(v),
} as Record<string, (v: number) => string>;

const rate = (errors: number, count: number) => (count ? `${((errors / count) * 100).toFixed(1)} %` : '—');

/**
 * The project dashboard: the busiest prompts' requests, error rate, latency and cost over the last
 * 24 hours in one environment, one line per prompt, and a table to jump to a prompt's Monitoring
 * tab. One request (`GET /metrics/summary`), answered from the rollups.
 * URL: `/monitoring?env=production`.
 */
export default function DashboardPage() {
  const [params, setParams] = useQueryParams();
  // Read by bench/traces-page.bench.ts: from here to each chart drawn ('chart-drawn').
  useState(() => performance.mark('monitoring-start'));
  useState(() => {
    // The charts' code loads while the data is fetched; a failure shows where a chart renders.
    TimeChart.preload().catch(() => undefined);
  });
  const env = params.env ?? 'production';
  const summary = useQuery({
    queryKey: ['metrics-summary', env, MAX_PROMPTS],
    queryFn: () => request<MetricsSummary>('/metrics/summary', { query: { env, limit: MAX_PROMPTS } }),
  });
  const charts = useMemo(() => (summary.data ? summaryCharts(summary.data) : null), [summary.data]);
  return (
    <div className="stack">
      <div className="toolbar">
        <h1 className="grow">Monitoring</h1>
        <EnvironmentSelect env={env} onChange={(next) => setParams({ env: next }, true)} />
        <span className="muted">last 24 h</span>
      </div>
      <QueryView query={summary} loadingLabel="Loading metrics…">
        {(data) =>
          data.prompts.length === 0 ? (
            <Empty title={`No calls in ${env} in the last 24 hours`}>
              Spans that name a prompt appear here within seconds.
            </Empty>
          ) : (
            <>
              <table className="table" aria-label="Prompts">
                <thead>
                  <tr>
                    <th>Prompt</th>
                    <th>Requests</th>
                    <th>Error rate</th>
                    <th>p50</th>
                    <th>p95</th>
                    <th>Cost</th>
                  </tr>
                </thead>
                <tbody>
                  {data.prompts.map((t) => (
                    <tr key={t.prompt}>
                      <td>
                        <Link
                          href={`/prompts/${encodeURIComponent(t.prompt)}?tab=monitoring&env=${encodeURIComponent(env)}`}
                        >
                          {t.prompt}
                        </Link>
                      </td>
                      <td>{t.count}</td>
                      <td>{rate(t.errors, t.count)}</td>
                      <td>{formatMs(t.latencyMs.p50)}</td>
                      <td>{formatMs(t.latencyMs.p95)}</td>
                      <td>{formatUsd(t.costUsd)}</td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  <tr data-testid="dashboard-totals">
                    <th scope="row">
                      {/* Totals count every call, those naming no prompt included. */}
                      All calls ({data.totals.prompts} prompt{data.totals.prompts === 1 ? '' : 's'}
                      {data.totals.prompts > data.prompts.length
                        ? `, busiest ${data.prompts.length} listed`
                        : ''}
                      )
                    </th>
                    <td>{data.totals.count}</td>
                    <td>{rate(data.totals.errors, data.totals.count)}</td>
                    <td>{formatMs(data.totals.latencyMs.p50)}</td>
                    <td>{formatMs(data.totals.latencyMs.p95)}</td>
                    <td>{formatUsd(data.totals.costUsd)}</td>
                  </tr>
                </tfoot>
              </table>
              <div className="chart-grid">
                {charts?.charts.map((c) => (
                  <TimeChart
                    key={c.title}
                    title={c.title}
                    xs={charts.xs}
                    series={c.series}
                    markers={[]}
                    format={FORMAT[c.unit]}
                  />
                ))}
              </div>
            </>
          )
        }
      </QueryView>
    </div>
  );
}
