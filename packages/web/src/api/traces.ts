/**
 * Client of traces: the filtered list (cursor pages), one trace, the live tail (an EventSource on
 * `GET /api/v1/traces/tail`; the session cookie goes with it) and traces → dataset items.
 */
import type {
  TraceDetail,
  TracePage,
  TracesToDatasetInput,
  TracesToDatasetResult,
  TraceTailEvent,
} from '@promptline/core';
import { infiniteQueryOptions } from '@tanstack/react-query';
import { encodeName, request } from './client.ts';

/** The list's filters as the API names them (all strings, as in the page's query string). */
export const TRACE_FILTER_KEYS = [
  'prompt',
  'version',
  'env',
  'model',
  'status',
  'userId',
  'sessionId',
  'score',
  'scoreMax',
  'from',
  'to',
  'q',
] as const;
export type TraceFilterKey = (typeof TRACE_FILTER_KEYS)[number];
export type TraceFilters = Partial<Record<TraceFilterKey, string>>;

/** The filters the tail can check on a span as it arrives (the others need stored state). */
const TAIL_KEYS: readonly TraceFilterKey[] = [
  'prompt',
  'version',
  'env',
  'model',
  'status',
  'userId',
  'sessionId',
  'q',
];

/** Picks the filters present in `params` (e.g. the page's query string). */
export function traceFilters(params: Record<string, string>): TraceFilters {
  const out: TraceFilters = {};
  for (const key of TRACE_FILTER_KEYS) {
    const value = params[key];
    if (value) out[key] = value;
  }
  return out;
}

/** Whether the tail can honour these filters exactly (time, score filters it cannot). */
export function tailCovers(filters: TraceFilters): boolean {
  return Object.keys(filters).every((k) => TAIL_KEYS.includes(k as TraceFilterKey));
}

/** Traces per page of the list. */
export const TRACE_PAGE = 100;

/**
 * The trace list's query (cursor pages of `TRACE_PAGE`), one definition for the page that shows
 * it and for the route that asks for its first page while the page's chunk is still loading.
 */
export function traceListQuery(filters: TraceFilters) {
  return infiniteQueryOptions({
    queryKey: ['traces', JSON.stringify(filters)],
    queryFn: ({ pageParam, signal }) => tracesApi.list(filters, pageParam, TRACE_PAGE, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last: TracePage) => last.nextCursor ?? undefined,
  });
}

export const tracesApi = {
  list: (filters: TraceFilters, cursor?: string, limit = 100, signal?: AbortSignal) =>
    request<TracePage>('/traces', { query: { ...filters, cursor, limit }, ...(signal ? { signal } : {}) }),
  get: (traceId: string) => request<TraceDetail>(`/traces/${encodeURIComponent(traceId)}`),
  toDataset: (dataset: string, body: TracesToDatasetInput) =>
    request<TracesToDatasetResult>(`/datasets/${encodeName(dataset)}/items/from-traces`, {
      method: 'POST',
      body,
    }),
  /** Opens the live tail; answers the function that closes it. */
  tail(filters: TraceFilters, onEvent: (event: TraceTailEvent) => void, onState: (live: boolean) => void) {
    const url = new URL('/api/v1/traces/tail', window.location.origin);
    for (const key of TAIL_KEYS) {
      const value = filters[key];
      if (value) url.searchParams.set(key, value);
    }
    const source = new EventSource(url, { withCredentials: true });
    source.addEventListener('ready', () => onState(true));
    source.addEventListener('error', () => onState(false));
    source.addEventListener('spans', (e) => onEvent(JSON.parse((e as MessageEvent<string>).data)));
    return () => source.close();
  },
};
