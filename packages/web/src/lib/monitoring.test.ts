import type { HistoryEntry, PromptMetrics } from '@promptline/core';
import { describe, expect, it } from 'vitest';
import { deployMarkers, monitoringCharts } from './monitoring.ts';

const point = (
  t: string,
  count: number,
  extra: Partial<PromptMetrics['versions'][number]['series'][number]> = {},
) => ({
  t,
  count,
  errors: count > 0 ? 1 : 0,
  latencyMs: { p50: 100, p95: 200, p99: 300 },
  tokens: { input: 10, output: 5, cachedInput: 0 },
  costUsd: 0.5,
  scores: {},
  contract: { checked: 0, violations: 0, violationRate: null },
  ...extra,
});
const T = ['2026-11-30T10:00:00.000Z', '2026-11-30T10:05:00.000Z'];
const version = (v: number, counts: number[], scores = {}) => ({
  version: v,
  ...point(T[0] ?? '', 1),
  scores,
  series: counts.map((c, i) => point(T[i] ?? '', c, c ? { scores } : {})),
});

describe('monitoringCharts', () => {
  it('one line per version, null where the version had no calls, a chart per score name', () => {
    const metrics: PromptMetrics = {
      prompt: 'p',
      environment: 'production',
      from: T[0] ?? '',
      to: '2026-11-30T10:10:00.000Z',
      interval: '5m',
      versions: [version(2, [0, 4], { helpful: { mean: 0.5, count: 1 } }), version(1, [2, 0])],
    };
    const { xs, charts } = monitoringCharts(metrics);
    expect(xs).toEqual(T.map((t) => Date.parse(t) / 1000));
    const requests = charts.find((c) => c.title === 'Requests');
    expect(requests?.series).toEqual([
      { label: 'v1', values: [2, null] },
      { label: 'v2', values: [null, 4] },
    ]);
    expect(charts.find((c) => c.title === 'Error rate')?.series[1]?.values).toEqual([null, 0.25]);
    expect(charts.find((c) => c.title === 'Score: helpful')?.series[1]?.values).toEqual([null, 0.5]);
    // No version declares an output contract: no contract chart.
    expect(charts.find((c) => c.title === 'Contract violation rate')).toBeUndefined();
  });

  it('charts the contract violation rate per version once spans were checked, null where none was', () => {
    const checked = (violations: number, of: number) => ({
      contract: { checked: of, violations, violationRate: of ? violations / of : null },
    });
    const v2 = {
      version: 2,
      ...point(T[0] ?? '', 4, checked(1, 4)),
      series: [point(T[0] ?? '', 0, checked(0, 0)), point(T[1] ?? '', 4, checked(1, 4))],
    };
    const metrics: PromptMetrics = {
      prompt: 'p',
      environment: null,
      from: T[0] ?? '',
      to: '2026-11-30T10:10:00.000Z',
      interval: '5m',
      versions: [v2, version(1, [2, 0])],
    };
    const chart = monitoringCharts(metrics).charts.find((c) => c.title === 'Contract violation rate');
    expect(chart?.unit).toBe('ratio');
    expect(chart?.series).toEqual([
      { label: 'v1', values: [null, null] },
      { label: 'v2', values: [null, 0.25] },
    ]);
  });
});

describe('deployMarkers', () => {
  it('keeps the entries inside the window, oldest first, labelled by what went live', () => {
    const entry = (
      at: string,
      version: number | null,
      variants: { version: number; weight: number }[] = [],
    ) => ({ at, action: 'deploy', version, variants }) as unknown as HistoryEntry;
    const markers = deployMarkers(
      [
        entry('2026-11-30T10:07:00.000Z', null, [
          { version: 1, weight: 9000 },
          { version: 2, weight: 1000 },
        ]),
        entry('2026-11-30T10:02:00.000Z', 1),
        entry('2026-11-30T09:00:00.000Z', 1),
      ],
      T[0] ?? '',
      '2026-11-30T10:10:00.000Z',
    );
    expect(markers.map((m) => m.label)).toEqual(['deploy v1', 'deploy v1:90% v2:10%']);
  });
});
