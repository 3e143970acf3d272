import {
  CreateRolloutRequest,
  listOf,
  Rollout,
  RolloutActionBody,
  RolloutChecks,
  RolloutQuery,
} from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { PromptParams, problemResponses } from '../http/schemas.ts';
import type { createRolloutChecks } from './check.ts';
import type { RolloutService } from './service.ts';

const tags = ['rollouts'];
const IdParams = z.object({ id: z.coerce.number().int().min(1).max(2_147_483_647) });

/** Guarded rollouts: `/api/v1/prompts/{name}/rollouts`, `/api/v1/rollouts…`. */
export function registerRolloutRoutes(
  app: FastifyInstance,
  { rollouts, checks }: { rollouts: RolloutService; checks: ReturnType<typeof createRolloutChecks> },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/v1/prompts/:name/rollouts', {
    config: { role: 'editor' },
    schema: {
      operationId: 'startRollout',
      tags,
      summary: 'Roll a version out in steps, guarded: it rolls back (or pauses) on a proven regression',
      description:
        'Body `{env, version, steps?: [{weight, durationSeconds}], guardrails: [{metric, maxRegression}], minSamples?, onRegression: "rollback" | "pause"}`. Control is the single version live in `env`. The first step is deployed at once (through the environment policy); a job checks every few seconds, compares candidate with control since the start with an anytime-valid sequential test, and advances, completes, pauses or rolls back. Metrics: `errorRate`, `latencyP95`, `costPerCall`, `score:<name>`; `maxRegression` is relative to control (0.05 = 5 % worse).',
      params: PromptParams,
      body: CreateRolloutRequest,
      response: { 201: Rollout, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      return reply.code(201).send(await rollouts.create(p.projectId, request.params.name, request.body, p));
    },
  });

  r.get('/api/v1/rollouts', {
    schema: {
      operationId: 'listRollouts',
      tags,
      summary: 'Rollouts, newest first (`?status=running`, `?prompt=`)',
      querystring: RolloutQuery,
      response: { 200: listOf(Rollout), ...problemResponses },
    },
    handler: async (request) => ({
      items: await rollouts.list(principalOf(request).projectId, request.query),
    }),
  });

  r.get('/api/v1/rollouts/:id', {
    schema: {
      operationId: 'getRollout',
      tags,
      summary: 'One rollout: status, current step, each guardrail verdict with its evidence, events',
      params: IdParams,
      response: { 200: Rollout, ...problemResponses },
    },
    handler: async (request) => rollouts.get(principalOf(request).projectId, request.params.id),
  });

  r.get('/api/v1/rollouts/:id/checks', {
    schema: {
      operationId: 'getRolloutChecks',
      tags,
      summary: "Each guardrail's interval over time: the recorded checks, oldest first",
      description:
        'A point per guardrail per recorded check: `verdict`, `control`, `candidate`, `interval` (the anytime-valid interval of candidate − control), `threshold`, `n` per arm. Checks that changed nothing, or came sooner than 1 % of the rollout age after the last point, are not recorded; verdict changes always are.',
      params: IdParams,
      response: { 200: RolloutChecks, ...problemResponses },
    },
    handler: async (request) => rollouts.checks(principalOf(request).projectId, request.params.id),
  });

  const actions = {
    pause: 'Stop advancing; the current split stays live',
    resume: 'Go on from the current step (its duration starts again)',
    advance: 'Move to the next step now (the last one completes the rollout)',
    abort: 'End the rollout and put control back live',
  } as const;
  for (const [action, summary] of Object.entries(actions) as [keyof typeof actions, string][]) {
    r.post(`/api/v1/rollouts/:id/${action}`, {
      config: { role: 'editor' },
      schema: {
        operationId: `${action}Rollout`,
        tags,
        summary,
        params: IdParams,
        body: RolloutActionBody.nullish(),
        response: { 200: Rollout, ...problemResponses },
      },
      handler: async (request) => {
        const p = principalOf(request);
        const reason = request.body?.reason;
        if (action === 'advance') return checks.advance(p.projectId, request.params.id, p.name);
        return rollouts[action](p.projectId, request.params.id, p.name, reason);
      },
    });
  }
}
