/** Client of online evaluations (`/api/v1/prompts/{name}/online-evals`, `/api/v1/online-evals/{id}`). */
import type { CreateOnlineEvalRequest, OnlineEvalRule, UpdateOnlineEvalRequest } from '@promptline/core';
import { encodeName, request } from './client.ts';

export const onlineEvalsApi = {
  list: (prompt: string) =>
    request<{ items: OnlineEvalRule[] }>(`/prompts/${encodeName(prompt)}/online-evals`).then((r) => r.items),
  create: (prompt: string, body: Partial<CreateOnlineEvalRequest>) =>
    request<OnlineEvalRule>(`/prompts/${encodeName(prompt)}/online-evals`, { method: 'POST', body }),
  update: (id: number, body: UpdateOnlineEvalRequest) =>
    request<OnlineEvalRule>(`/online-evals/${id}`, { method: 'PATCH', body }),
  remove: (id: number) => request<{ deleted: true }>(`/online-evals/${id}`, { method: 'DELETE' }),
};
