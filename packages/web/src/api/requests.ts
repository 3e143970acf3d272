/**
 * Client of deployment requests (`/api/v1/deployment-requests`, `…/deployments/{env}/requests`):
 * the review inbox, a request's page, and the deploy form when a policy asks for approvals.
 */
import type { DeploymentRequest, DeployRequest, RolloutRequestPlan } from '@promptline/core';
import { encodeName, request } from './client.ts';

export type RequestStatus = DeploymentRequest['status'];

export const requestsApi = {
  list: (query: { status?: RequestStatus | undefined; prompt?: string | undefined } = {}) =>
    request<{ items: DeploymentRequest[] }>('/deployment-requests', { query: { ...query, limit: 200 } }).then(
      (r) => r.items,
    ),
  get: (id: number) => request<DeploymentRequest>(`/deployment-requests/${id}`),
  create: (
    prompt: string,
    env: string,
    body: DeployRequest & { reason: string; rollout?: Partial<RolloutRequestPlan> },
  ) =>
    request<DeploymentRequest>(
      `/prompts/${encodeName(prompt)}/deployments/${encodeURIComponent(env)}/requests`,
      { method: 'POST', body },
    ),
  decide: (id: number, action: 'approve' | 'reject' | 'cancel', comment?: string) =>
    request<DeploymentRequest>(`/deployment-requests/${id}/${action}`, {
      method: 'POST',
      body: comment ? { comment } : {},
    }),
};
