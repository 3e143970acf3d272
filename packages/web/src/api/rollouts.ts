/**
 * Client of guarded rollouts (`/api/v1/rollouts…`, `/api/v1/prompts/{name}/rollouts`) and of who
 * the caller is (`/api/v1/session`), which decides the buttons a rollout page offers.
 */
import type {
  CreateRolloutRequest,
  Replay,
  Role,
  Rollout,
  RolloutChecks,
  RolloutStatus,
} from '@promptline/core';
import { encodeName, request } from './client.ts';

export type RolloutAction = 'pause' | 'resume' | 'advance' | 'abort';

export const rolloutsApi = {
  list: (query: { prompt?: string | undefined; status?: RolloutStatus | undefined } = {}) =>
    request<{ items: Rollout[] }>('/rollouts', { query: { ...query, limit: 200 } }).then((r) => r.items),
  get: (id: number) => request<Rollout>(`/rollouts/${id}`),
  checks: (id: number) => request<RolloutChecks>(`/rollouts/${id}/checks`),
  start: (
    prompt: string,
    body: Partial<CreateRolloutRequest> & Pick<CreateRolloutRequest, 'env' | 'version'>,
  ) => request<Rollout>(`/prompts/${encodeName(prompt)}/rollouts`, { method: 'POST', body }),
  act: (id: number, action: RolloutAction, reason?: string) =>
    request<Rollout>(`/rollouts/${id}/${action}`, { method: 'POST', body: reason ? { reason } : {} }),
};

/** The caller's role in the project (what the server will allow). */
export const sessionApi = {
  role: () => request<{ role: Role }>('/session').then((s) => s.role),
};

/** Roles that may start and steer rollouts (the routes ask for editor). */
export const canSteer = (role: Role | undefined) => role === 'editor' || role === 'admin';

/** Words for a rollout status. */
export const STATUS_TEXT: Record<RolloutStatus, string> = {
  running: 'running',
  paused: 'paused',
  completed: 'completed',
  rolled_back: 'rolled back',
  aborted: 'aborted',
};

/** Replay before release: a candidate on the last production calls of the live version. */
export const replaysApi = {
  start: (prompt: string, body: { env: string; version: number; last?: number }) =>
    request<Replay>(`/prompts/${encodeName(prompt)}/replays`, { method: 'POST', body }),
};
