import {
  AlertRule,
  AlertRuleDetail,
  CreateAlertRuleRequest,
  listOf,
  UpdateAlertRuleRequest,
} from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf } from '../auth/hook.ts';
import { Deleted, IdParams, problemResponses } from '../http/schemas.ts';
import type { AlertService } from './service.ts';

const tags = ['alerts'];

/** Alert rules: `/api/v1/alerts…`. */
export function registerAlertRoutes(app: FastifyInstance, { alerts }: { alerts: AlertService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/v1/alerts', {
    config: { role: 'editor' },
    schema: {
      operationId: 'createAlertRule',
      tags,
      summary:
        'Create an alert rule: a metric of the project, a prompt or a version over a window, against a threshold or the previous window',
      body: CreateAlertRuleRequest,
      response: { 201: AlertRule, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      return reply.code(201).send(await alerts.create(p.projectId, request.body, p.name));
    },
  });

  r.get('/api/v1/alerts', {
    schema: {
      operationId: 'listAlertRules',
      tags,
      summary: 'Alert rules with their state (ok, firing, resolved) and last value',
      response: { 200: listOf(AlertRule), ...problemResponses },
    },
    handler: async (request) => ({ items: await alerts.list(principalOf(request).projectId) }),
  });

  r.get('/api/v1/alerts/:id', {
    schema: {
      operationId: 'getAlertRule',
      tags,
      summary: 'One alert rule with its state transitions, newest first',
      params: IdParams,
      response: { 200: AlertRuleDetail, ...problemResponses },
    },
    handler: async (request) => alerts.get(principalOf(request).projectId, request.params.id),
  });

  r.patch('/api/v1/alerts/:id', {
    config: { role: 'editor' },
    schema: {
      operationId: 'updateAlertRule',
      tags,
      summary: 'Change a rule’s name, window, condition, minimum sample or enabled flag',
      params: IdParams,
      body: UpdateAlertRuleRequest,
      response: { 200: AlertRule, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return alerts.update(p.projectId, request.params.id, request.body, p.name);
    },
  });

  r.delete('/api/v1/alerts/:id', {
    config: { role: 'editor' },
    schema: {
      operationId: 'deleteAlertRule',
      tags,
      summary: 'Delete an alert rule and its transitions',
      params: IdParams,
      response: { 200: Deleted, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      await alerts.remove(p.projectId, request.params.id, p.name);
      return { deleted: true as const };
    },
  });
}
