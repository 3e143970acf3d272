import type { PromptMetrics } from '@promptline/core';
import { useQueries, useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useMemo, useState } from 'react';
import { Link } from 'wouter';
import { api, encodeName, request } from '../api/client.ts';
import { Empty, Loading, QueryView } from '../components/states.tsx';
import { formatMs, formatUsd } from '../lib/format.ts';
import { projectCharts, promptTotals } from '../lib/monitoring.ts';
import { useQueryParams } from '../lib/use-query-params.ts';

const TimeChart = lazy(() => import('../components/time-chart.tsx'));
/** Prompts charted at most (the most recently changed): one metrics request each. */
const MAX_PROMPTS = 30;
const FORMAT = {
  count: (v: number) => String(Math.round(v)),
  ratio: (v: number) => `${(v * 100).toFixed(1)} %`,
  usd: (v: number) => formatUsd(v),
} as Record<string, (v: number) => string>;

/**
 * The project dashboard: every prompt's requests, error rate and cost over the last 24 hours in
 * one environment, one line per prompt, and a table to jump to a prompt's Monitoring tab.
 * URL: `/monitoring?env=production`.
 */
export default function DashboardPage() {
  const [params, setParams] = useQueryParams();
  // Read by bench/traces-page.bench.ts: from here to each chart drawn ('chart-drawn').
  useState(() => performance.mark('monitoring-start'));
  const env = params.env ?? 'production';
  const envs = useQuery({ queryKey: ['environments'], queryFn: api.listEnvironments });
  const prompts = useQuery({ queryKey: ['prompts'], queryFn: api.listPrompts });
  const names = useMemo(
    () =>
      [...(prompts.data ?? [])]
        .sort((a, b) => String(b.updatedAt ?? '').localeCompare(String(a.updatedAt ?? '')))
        .slice(0, MAX_PROMPTS)
        .map((p) => p.name),
    [prompts.data],
  );
  const metrics = useQueries({
    queries: names.map((name) => ({
      queryKey: ['metrics', name, env, 'dashboard'],
      queryFn: () => request<PromptMetrics>(`/prompts/${encodeName(name)}/metrics`, { query: { env } }),
    })),
  });
  const pending = metrics.some((m) => m.isPending);
  // Rebuilt only when an answer changes: a new array each render would redraw every chart.
  const stamp = metrics.map((m) => m.dataUpdatedAt).join();
  // biome-ignore lint/correctness/useExhaustiveDependencies: `stamp` stands for the answers' identity
  const loaded = useMemo(
    () => metrics.flatMap((m) => (m.data && m.data.versions.length > 0 ? [m.data] : [])),
    [stamp],
  );
  const { xs, charts } = useMemo(() => projectCharts(loaded), [loaded]);
  return (
    <div className="stack">
      <div className="toolbar">
        <h1 className="grow">Monitoring</h1>
        <label>
          Environment{' '}
          <select value={env} onChange={(e) => setParams({ env: e.target.value }, true)}>
            {(envs.data ?? [{ name: env }]).map((e) => (
              <option key={e.name} value={e.name}>
                {e.name}
              </option>
            ))}
          </select>
        </label>
        <span className="muted">last 24 h</span>
      </div>
      <QueryView query={prompts} loadingLabel="Loading prompts…">
        {() =>
          pending ? (
            <Loading label="Loading metrics…" />
          ) : loaded.length === 0 ? (
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
                    <th>p95 (busiest version)</th>
                    <th>Cost</th>
                  </tr>
                </thead>
                <tbody>
                  {loaded.map(promptTotals).map((t) => (
                    <tr key={t.prompt}>
                      <td>
                        <Link
                          href={`/prompts/${encodeURIComponent(t.prompt)}?tab=monitoring&env=${encodeURIComponent(env)}`}
                        >
                          {t.prompt}
                        </Link>
                      </td>
                      <td>{t.count}</td>
                      <td>{t.count ? `${((t.errors / t.count) * 100).toFixed(1)} %` : '—'}</td>
                      <td>{formatMs(t.p95)}</td>
                      <td>{formatUsd(t.costUsd)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Suspense fallback={<Loading label="Loading charts…" />}>
                <div className="chart-grid">
                  {charts.map((c) => (
                    <TimeChart
                      key={c.title}
                      title={c.title}
                      xs={xs}
                      series={c.series}
                      markers={[]}
                      format={FORMAT[c.unit]}
                    />
                  ))}
                </div>
              </Suspense>
            </>
          )
        }
      </QueryView>
    </div>
  );
}
