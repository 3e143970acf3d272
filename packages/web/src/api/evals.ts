/** Client of the eval-run endpoints (contract in docs/web.md). */
import { request } from './client.ts';

export interface EvalAssertionResult {
  type: string;
  pass: boolean;
  score: number | null;
  reason: string | null;
}

export interface EvalResult {
  caseIndex: number;
  version: number;
  model: string;
  output: string;
  pass: boolean;
  score: number | null;
  assertions: EvalAssertionResult[];
  latencyMs?: number;
  costUsd?: number | null;
}

export interface EvalRunSummary {
  total: number;
  passed: number;
  failed: number;
  errored?: number;
  passRate: number;
  costUsd?: number | null;
  /** Pass rate per `version/model` column. */
  byColumn?: Record<string, { passed: number; total: number; passRate: number }>;
}

export interface EvalRun {
  id: string;
  prompt: string;
  versions: number[];
  dataset: string;
  models: { provider: string; model: string }[];
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  createdAt: string;
  finishedAt?: string | null;
  baseline?: string | null;
  summary: EvalRunSummary | null;
}

export interface StartEvalRunRequest {
  prompt: string;
  versions: number[];
  dataset: string;
  models?: { provider: string; model: string; parameters?: Record<string, unknown> }[];
  assertions?: unknown[];
  baseline?: string;
}

export const evalsApi = {
  listRuns: (query: { prompt?: string } = {}) =>
    request<{ items: EvalRun[] }>('/eval-runs', { query }).then((r) => r.items),
  getRun: (id: string) => request<EvalRun>(`/eval-runs/${encodeURIComponent(id)}`),
  results: (id: string) =>
    request<{ items: EvalResult[] }>(`/eval-runs/${encodeURIComponent(id)}/results`).then((r) => r.items),
  startRun: (body: StartEvalRunRequest) => request<EvalRun>('/eval-runs', { method: 'POST', body }),
  listDatasets: () =>
    request<{ items: { name: string; description?: string; itemCount?: number }[] }>('/datasets').then(
      (r) => r.items,
    ),
};
