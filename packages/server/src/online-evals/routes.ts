import {
  CreateOnlineEvalRequest,
  listOf,
  OnlineEvalRule,
  OnlineEvalRuleDetail,
  UpdateOnlineEvalRequest,
} from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf } from '../auth/hook.ts';
import { Deleted, IdParams, PromptParams, problemResponses } from '../http/schemas.ts';
import type { OnlineEvalService } from './service.ts';

const tags = ['online-evals'];

/** Online evaluation rules: `/api/v1/prompts/{name}/online-evals` and `/api/v1/online-evals/{id}`. */
export function registerOnlineEvalRoutes(
  app: FastifyInstance,
  { onlineEvals }: { onlineEvals: OnlineEvalService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/v1/prompts/:name/online-evals', {
    config: { role: 'editor' },
    schema: {
      operationId: 'createOnlineEval',
      tags,
      summary:
        'Create an online evaluation: sample the prompt’s spans in an environment and grade them with assertions or a judge, within a daily judge budget',
      params: PromptParams,
      body: CreateOnlineEvalRequest,
      response: { 201: OnlineEvalRule, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      return reply
        .code(201)
        .send(await onlineEvals.create(p.projectId, request.params.name, request.body, p.name));
    },
  });

  r.get('/api/v1/prompts/:name/online-evals', {
    schema: {
      operationId: 'listOnlineEvals',
      tags,
      summary:
        'The prompt’s online evaluations with today’s counters (sampled, evaluated, failed, skipped, cost)',
      params: PromptParams,
      response: { 200: listOf(OnlineEvalRule), ...problemResponses },
    },
    handler: async (request) => ({
      items: await onlineEvals.listOfPrompt(principalOf(request).projectId, request.params.name),
    }),
  });

  r.get('/api/v1/online-evals/:id', {
    schema: {
      operationId: 'getOnlineEval',
      tags,
      summary: 'One online evaluation with its counters of the last 30 days',
      params: IdParams,
      response: { 200: OnlineEvalRuleDetail, ...problemResponses },
    },
    handler: async (request) => onlineEvals.get(principalOf(request).projectId, request.params.id),
  });

  r.patch('/api/v1/online-evals/:id', {
    config: { role: 'editor' },
    schema: {
      operationId: 'updateOnlineEval',
      tags,
      summary: 'Change an online evaluation (sampling rate, assertions, judge, budget, enabled…)',
      params: IdParams,
      body: UpdateOnlineEvalRequest,
      response: { 200: OnlineEvalRule, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return onlineEvals.update(p.projectId, request.params.id, request.body, p.name);
    },
  });

  r.delete('/api/v1/online-evals/:id', {
    config: { role: 'editor' },
    schema: {
      operationId: 'deleteOnlineEval',
      tags,
      summary: 'Delete an online evaluation with its counters and queue (its scores stay)',
      params: IdParams,
      response: { 200: Deleted, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      await onlineEvals.remove(p.projectId, request.params.id, p.name);
      return { deleted: true as const };
    },
  });
}
