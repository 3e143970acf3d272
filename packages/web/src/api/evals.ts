/**
 * Client of the eval-run endpoints (`/api/v1/eval-runs`, `/api/v1/datasets`): shapes are core's
 * schemas, imported as types only.
 */
import type {
  Dataset,
  EvalComparison,
  EvalResultPage,
  EvalRun,
  EvalRunModel,
  EvalRunPage,
  EvalRunResult,
} from '@promptline/core';
import { request } from './client.ts';

export type { EvalRun };
/** One graded cell: case × version × model × repeat. */
export type EvalResult = EvalRunResult;

/** Body of `POST /api/v1/eval-runs` as the app sends it (the server fills the defaults). */
export interface StartEvalRunRequest {
  prompt: string;
  /** Default: the newest version. */
  versions?: number[];
  dataset: string;
  models: EvalRunModel[];
  baseline?: number | string;
}

/** Results are paged by the server; a run's matrix needs them all (bounded: 20 pages of 1 000). */
async function allResults(id: number | string): Promise<EvalResult[]> {
  const items: EvalResult[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const res = await request<EvalResultPage>(`/eval-runs/${encodeURIComponent(String(id))}/results`, {
      query: { limit: 1000, cursor },
    });
    items.push(...res.items);
    if (!res.nextCursor) break;
    cursor = res.nextCursor;
  }
  return items;
}

export const evalsApi = {
  /** Newest first, at most 100. */
  listRuns: (query: { prompt?: string } = {}) =>
    request<EvalRunPage>('/eval-runs', { query: { ...query, limit: 100 } }).then((r) => r.items),
  getRun: (id: number | string) => request<EvalRun>(`/eval-runs/${encodeURIComponent(String(id))}`),
  results: allResults,
  compare: (id: number | string, baseline: number) =>
    request<EvalComparison>(`/eval-runs/${encodeURIComponent(String(id))}/compare`, { query: { baseline } }),
  startRun: (body: StartEvalRunRequest) => request<EvalRun>('/eval-runs', { method: 'POST', body }),
  listDatasets: () => request<{ items: Dataset[] }>('/datasets').then((r) => r.items),
};
