/**
 * Client of alert rules (`/api/v1/alerts…`) and webhook subscriptions with their delivery log
 * (`/api/v1/webhooks…`, `/api/v1/webhook-deliveries/…`). Shapes are core's schemas, as types only.
 */
import type {
  AlertRule,
  AlertRuleDetail,
  CreateAlertRuleRequest,
  CreateWebhookRequest,
  UpdateAlertRuleRequest,
  UpdateWebhookRequest,
  Webhook,
  WebhookDelivery,
  WebhookDeliveryDetail,
  WebhookWithSecret,
} from '@promptline/core';
import { request } from './client.ts';

/** The body the web app sends: defaults (window, min samples, enabled) may be left out. */
export type AlertRuleInput = Omit<CreateAlertRuleRequest, 'windowMinutes' | 'minSamples' | 'enabled'> &
  Partial<Pick<CreateAlertRuleRequest, 'windowMinutes' | 'minSamples' | 'enabled'>>;

export const alertsApi = {
  list: () => request<{ items: AlertRule[] }>('/alerts').then((r) => r.items),
  get: (id: number) => request<AlertRuleDetail>(`/alerts/${id}`),
  create: (body: AlertRuleInput) => request<AlertRule>('/alerts', { method: 'POST', body }),
  update: (id: number, body: UpdateAlertRuleRequest) =>
    request<AlertRule>(`/alerts/${id}`, { method: 'PATCH', body }),
  remove: (id: number) => request<{ deleted: true }>(`/alerts/${id}`, { method: 'DELETE' }),
};

export type WebhookInput = Omit<CreateWebhookRequest, 'kind' | 'enabled'> &
  Partial<Pick<CreateWebhookRequest, 'kind' | 'enabled'>>;

export const webhooksApi = {
  list: () => request<{ items: Webhook[] }>('/webhooks').then((r) => r.items),
  create: (body: WebhookInput) => request<WebhookWithSecret>('/webhooks', { method: 'POST', body }),
  update: (id: number, body: UpdateWebhookRequest) =>
    request<WebhookWithSecret>(`/webhooks/${id}`, { method: 'PATCH', body }),
  remove: (id: number) => request<{ deleted: true }>(`/webhooks/${id}`, { method: 'DELETE' }),
  test: (id: number) => request<WebhookDelivery>(`/webhooks/${id}/test`, { method: 'POST' }),
  deliveries: (id: number) =>
    request<{ items: WebhookDelivery[]; nextCursor: string | null }>(`/webhooks/${id}/deliveries`, {
      query: { limit: 50 },
    }).then((r) => r.items),
  delivery: (id: number) => request<WebhookDeliveryDetail>(`/webhook-deliveries/${id}`),
  redeliver: (id: number) =>
    request<WebhookDelivery>(`/webhook-deliveries/${id}/redeliver`, { method: 'POST' }),
};
