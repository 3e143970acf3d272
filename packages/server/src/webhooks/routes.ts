import {
  CreateWebhookRequest,
  listOf,
  UpdateWebhookRequest,
  Webhook,
  WebhookDelivery,
  WebhookDeliveryDetail,
  WebhookDeliveryPage,
  WebhookDeliveryQuery,
  WebhookWithSecret,
} from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf } from '../auth/hook.ts';
import { Deleted, IdParams, problemResponses } from '../http/schemas.ts';
import type { WebhookService } from './service.ts';

const tags = ['webhooks'];

/** Webhook subscriptions and their delivery log: `/api/v1/webhooks…`, `/api/v1/webhook-deliveries/…`. */
export function registerWebhookRoutes(
  app: FastifyInstance,
  { webhooks }: { webhooks: WebhookService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/v1/webhooks', {
    config: { role: 'admin' },
    schema: {
      operationId: 'createWebhook',
      tags,
      summary: 'Subscribe a URL to events; answers the signing secret once',
      description:
        '`kind: "webhook"` sends the event as signed JSON (Standard Webhooks headers `webhook-id`, `webhook-timestamp`, `webhook-signature`); `kind: "slack"` sends Slack incoming-webhook JSON (`{"text": …}`).',
      body: CreateWebhookRequest,
      response: { 201: WebhookWithSecret, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      return reply.code(201).send(await webhooks.create(p.projectId, request.body, p.name));
    },
  });

  r.get('/api/v1/webhooks', {
    schema: {
      operationId: 'listWebhooks',
      tags,
      summary: 'The project’s webhook subscriptions (URLs shown without query string or Slack token)',
      response: { 200: listOf(Webhook), ...problemResponses },
    },
    handler: async (request) => ({ items: await webhooks.list(principalOf(request).projectId) }),
  });

  r.get('/api/v1/webhooks/:id', {
    schema: {
      operationId: 'getWebhook',
      tags,
      summary: 'One webhook subscription',
      params: IdParams,
      response: { 200: Webhook, ...problemResponses },
    },
    handler: async (request) => webhooks.get(principalOf(request).projectId, request.params.id),
  });

  r.patch('/api/v1/webhooks/:id', {
    config: { role: 'admin' },
    schema: {
      operationId: 'updateWebhook',
      tags,
      summary:
        'Change a subscription (name, URL, events, enabled) or rotate its secret (`rotateSecret: true`)',
      params: IdParams,
      body: UpdateWebhookRequest,
      response: { 200: WebhookWithSecret, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return webhooks.update(p.projectId, request.params.id, request.body, p.name);
    },
  });

  r.delete('/api/v1/webhooks/:id', {
    config: { role: 'admin' },
    schema: {
      operationId: 'deleteWebhook',
      tags,
      summary: 'Delete a subscription (its delivery log is kept 30 days)',
      params: IdParams,
      response: { 200: Deleted, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      await webhooks.remove(p.projectId, request.params.id, p.name);
      return { deleted: true as const };
    },
  });

  r.post('/api/v1/webhooks/:id/test', {
    config: { role: 'admin' },
    schema: {
      operationId: 'testWebhook',
      tags,
      summary: 'Send a `webhook.test` event now; follow it in the delivery log',
      params: IdParams,
      response: { 202: WebhookDelivery, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      return reply.code(202).send(await webhooks.test(p.projectId, request.params.id, p.name));
    },
  });

  r.get('/api/v1/webhooks/:id/deliveries', {
    schema: {
      operationId: 'listWebhookDeliveries',
      tags,
      summary: 'The delivery log of a subscription, newest first, with each delivery’s last response code',
      params: IdParams,
      querystring: WebhookDeliveryQuery,
      response: { 200: WebhookDeliveryPage, ...problemResponses },
    },
    handler: async (request) =>
      webhooks.deliveries(principalOf(request).projectId, request.params.id, request.query),
  });

  r.get('/api/v1/webhook-deliveries/:id', {
    schema: {
      operationId: 'getWebhookDelivery',
      tags,
      summary: 'One delivery: the body sent and every attempt with its response code',
      params: IdParams,
      response: { 200: WebhookDeliveryDetail, ...problemResponses },
    },
    handler: async (request) => webhooks.delivery(principalOf(request).projectId, request.params.id),
  });

  r.post('/api/v1/webhook-deliveries/:id/redeliver', {
    config: { role: 'admin' },
    schema: {
      operationId: 'redeliverWebhook',
      tags,
      summary: 'Send a delivery again (same body and webhook-id, new signature)',
      params: IdParams,
      response: { 202: WebhookDelivery, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      return reply.code(202).send(await webhooks.redeliver(p.projectId, request.params.id, p.name));
    },
  });
}
