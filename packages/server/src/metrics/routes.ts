import {
  MetricsCompareQuery,
  MetricsComparison,
  MetricsQuery,
  MetricsSettings,
  MetricsSummary,
  MetricsSummaryQuery,
  PromptMetrics,
} from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf } from '../auth/hook.ts';
import { PromptParams, problemResponses } from '../http/schemas.ts';
import type { MetricsService } from './service.ts';

const tags = ['metrics'];

/** Metrics per prompt version, the comparison of two versions, and the rollups' retention. */
export function registerMetricsRoutes(app: FastifyInstance, { metrics }: { metrics: MetricsService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/v1/prompts/:name/metrics', {
    schema: {
      operationId: 'getPromptMetrics',
      tags,
      summary:
        'Totals and series per version of a prompt: count, errors, latency percentiles, tokens, cost, scores',
      description:
        'Read from per-minute and per-hour rollups: a span counts as soon as its batch is acknowledged. `from` is rounded down and `to` up to the interval; the default window is the last 24 hours and the default interval the smallest giving at most 300 points (at most 1 500 are answered). Latency percentiles come from fixed log-spaced buckets (within 9.1 %). Metrics are keyed by the prompt name spans carry, registered or not.',
      params: PromptParams,
      querystring: MetricsQuery,
      response: { 200: PromptMetrics, ...problemResponses },
    },
    handler: async (request) =>
      metrics.promptMetrics(principalOf(request).projectId, request.params.name, request.query),
  });

  r.get('/api/v1/prompts/:name/metrics/compare', {
    schema: {
      operationId: 'comparePromptVersions',
      tags,
      summary: 'Version a (control) against version b over a window: rates, percentiles and moments per arm',
      description:
        'Per arm: count, errors, error rate, latency p50/p95/p99, cost per call, and for errors, latency, cost and every score the moments n, sum, sum of squares, mean and sample variance (what a sequential test needs). Default window: the last 24 hours.',
      params: PromptParams,
      querystring: MetricsCompareQuery,
      response: { 200: MetricsComparison, ...problemResponses },
    },
    handler: async (request) => {
      const { env, a, b, from, to } = request.query;
      return metrics.compare(principalOf(request).projectId, request.params.name, env, a, b, { from, to });
    },
  });

  r.get('/api/v1/metrics/summary', {
    schema: {
      operationId: 'getMetricsSummary',
      tags,
      summary:
        "The project's totals and its busiest prompts over one window: count, errors, error rate, latency percentiles, tokens, cost, scores, and a series of sums",
      description:
        'What a project dashboard draws, in one request, from the same per-minute and per-hour rollups as the prompt metrics (never raw spans). `env`, `from`, `to` and `interval` as for `GET /api/v1/prompts/{name}/metrics`; `limit` (default 30, at most 200) caps the prompts listed, busiest first. The totals cover every span of the window, including spans that name no prompt. Series points carry sums only (count, errors, tokens, cost); percentiles are over the whole window, all versions of a prompt together.',
      querystring: MetricsSummaryQuery,
      response: { 200: MetricsSummary, ...problemResponses },
    },
    handler: async (request) => metrics.summary(principalOf(request).projectId, request.query),
  });

  r.get('/api/v1/metrics/settings', {
    schema: {
      operationId: 'getMetricsSettings',
      tags,
      summary: 'How long the project keeps its metrics rollups',
      response: { 200: MetricsSettings, ...problemResponses },
    },
    handler: async (request) => metrics.settings(principalOf(request).projectId),
  });

  r.put('/api/v1/metrics/settings', {
    config: { role: 'admin' },
    schema: {
      operationId: 'updateMetricsSettings',
      tags,
      summary: 'Set how long the project keeps its metrics rollups (days of hour rollups; default 400)',
      body: MetricsSettings,
      response: { 200: MetricsSettings, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return metrics.updateSettings(p.projectId, request.body, p.name);
    },
  });
}
