/**
 * The one module that talks to the Promptline API. Pages call these functions (through React
 * Query); auth, JSON and problem documents are handled here only.
 */
import type {
  AuditEvent,
  AuditVerification,
  CreatePromptRequest,
  CreateVersionRequest,
  Deployment,
  DeployRequest,
  Environment,
  HistoryEntry,
  Prompt,
  RenderResult,
  RollbackRequest,
  UpdatePromptRequest,
  Version,
  VersionDiff,
} from '@promptline/core';
import { authHeaders, credentials, forgetSession } from './auth.ts';
import { ApiProblem, problemFromBody } from './problem.ts';

const BASE = '/api/v1';

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called whenever the server answers 401, so the shell can send the user to sign in. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** `support/triage` → `support%2Ftriage`, as the API expects names in a path segment. */
export function encodeName(name: string): string {
  return encodeURIComponent(name);
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
  accept?: string;
  /** A body sent as is (a CSV or JSONL file) with this content type, instead of JSON. */
  rawBody?: string;
  contentType?: string;
}

/** Opens a request with auth applied; the caller reads the body (JSON, or a stream). */
export async function rawRequest(path: string, options: RequestOptions = {}): Promise<Response> {
  const url = new URL(`${BASE}${path}`, window.location.origin);
  for (const [k, v] of Object.entries(options.query ?? {})) {
    if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  }
  const headers: Record<string, string> = { accept: options.accept ?? 'application/json', ...authHeaders() };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.rawBody !== undefined) headers['content-type'] = options.contentType ?? 'text/plain';
  let res: Response;
  try {
    res = await fetch(url, {
      method: options.method ?? 'GET',
      headers,
      credentials,
      body: options.rawBody ?? (options.body === undefined ? null : JSON.stringify(options.body)),
      signal: options.signal ?? null,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiProblem({
      status: 0,
      code: 'NETWORK_ERROR',
      title: 'Cannot reach the Promptline server',
      detail: 'Check that the server is running and that this page was opened from it.',
    });
  }
  if (!res.ok) {
    // A body that cannot be read still yields a problem from the status.
    const text = await res.text().catch(() => '');
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON: keep the text, problemFromBody shows its start.
    }
    if (res.status === 401) {
      forgetSession();
      for (const l of unauthorizedListeners) l();
    }
    throw problemFromBody(res.status, body, res.statusText);
  }
  return res;
}

/** A JSON request; 204 answers `undefined`. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const res = await rawRequest(path, options);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

interface List<T> {
  items: T[];
  nextCursor?: string | null;
}

/** Follows `nextCursor` when the server paginates, so the registry filters over every prompt. */
async function listAll<T>(
  path: string,
  query: Record<string, string | number | undefined> = {},
  maxPages = 200,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const res = await request<List<T>>(path, { query: { ...query, cursor } });
    items.push(...res.items);
    if (!res.nextCursor) break;
    cursor = res.nextCursor;
  }
  return items;
}

export const api = {
  listPrompts: () => listAll<Prompt>('/prompts'),
  getPrompt: (name: string) => request<Prompt>(`/prompts/${encodeName(name)}`),
  createPrompt: (body: CreatePromptRequest) => request<Prompt>('/prompts', { method: 'POST', body }),
  updatePrompt: (name: string, body: UpdatePromptRequest) =>
    request<Prompt>(`/prompts/${encodeName(name)}`, { method: 'PATCH', body }),
  listVersions: (name: string) =>
    request<List<Version>>(`/prompts/${encodeName(name)}/versions`).then((r) => r.items),
  getVersion: (name: string, number: number) =>
    request<Version>(`/prompts/${encodeName(name)}/versions/${number}`),
  createVersion: (name: string, body: CreateVersionRequest) =>
    request<Version>(`/prompts/${encodeName(name)}/versions`, { method: 'POST', body }),
  diff: (name: string, from: number, to: number) =>
    request<VersionDiff>(`/prompts/${encodeName(name)}/diff`, { query: { from, to } }),
  deploy: (name: string, env: string, body: DeployRequest) =>
    request<Deployment>(`/prompts/${encodeName(name)}/deployments/${encodeURIComponent(env)}`, {
      method: 'PUT',
      body,
    }),
  rollback: (name: string, env: string, body: RollbackRequest = {}) =>
    request<Deployment>(`/prompts/${encodeName(name)}/deployments/${encodeURIComponent(env)}/rollback`, {
      method: 'POST',
      body,
    }),
  history: (name: string, env: string) =>
    request<List<HistoryEntry>>(
      `/prompts/${encodeName(name)}/deployments/${encodeURIComponent(env)}/history`,
    ).then((r) => r.items),
  /** The history entry live at `at` (ISO time); a 404 problem when nothing was live yet. */
  liveAt: (name: string, env: string, at: string) =>
    request<HistoryEntry | List<HistoryEntry>>(
      `/prompts/${encodeName(name)}/deployments/${encodeURIComponent(env)}/history`,
      { query: { at } },
    ).then((r) => ('items' in r ? (r.items[0] ?? null) : r)),
  render: (name: string, body: { env?: string; version?: number; variables: Record<string, unknown> }) =>
    request<RenderResult>(`/prompts/${encodeName(name)}/render`, { method: 'POST', body }),
  listEnvironments: () => request<List<Environment>>('/environments').then((r) => r.items),
  /** Newest first; at most `pages` pages of 500 events. */
  listAudit: (query: { action?: string; target?: string } = {}, pages = 10) =>
    listAll<AuditEvent>('/audit', { ...query, limit: 500 }, pages),
  verifyAudit: () => request<AuditVerification>('/audit/verify'),
};
