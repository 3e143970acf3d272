import {
  CreateExperimentRequest,
  Experiment,
  ExperimentQuery,
  ExperimentResultsResponse,
  listOf,
  StopExperimentRequest,
} from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { PromptParams, problemResponses } from '../http/schemas.ts';
import type { ExperimentService } from './service.ts';

const tags = ['experiments'];
const IdParams = z.object({ id: z.coerce.number().int().min(1).max(2_147_483_647) });

/** Experiments: `/api/v1/prompts/{name}/experiments`, `/api/v1/experiments…`. */
export function registerExperimentRoutes(
  app: FastifyInstance,
  { experiments }: { experiments: ExperimentService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/v1/prompts/:name/experiments', {
    config: { role: 'editor' },
    schema: {
      operationId: 'startExperiment',
      tags,
      summary: 'Deploy an A/B(/n) split of versions and measure it per unit',
      description:
        "Body `{env, variants: [{version, weight}], metric, secondary?, control?}`; metrics `errorRate`, `latency`, `costPerCall`, `score:<name>`. Units are spans' `unit`, else their `userId`. The split goes through the environment policy.",
      params: PromptParams,
      body: CreateExperimentRequest,
      response: { 201: Experiment, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      return reply
        .code(201)
        .send(await experiments.create(p.projectId, request.params.name, request.body, p));
    },
  });

  r.get('/api/v1/experiments', {
    schema: {
      operationId: 'listExperiments',
      tags,
      summary: 'Experiments, newest first (`?status=running`, `?prompt=`)',
      querystring: ExperimentQuery,
      response: { 200: listOf(Experiment), ...problemResponses },
    },
    handler: async (request) => ({
      items: await experiments.list(principalOf(request).projectId, request.query),
    }),
  });

  r.get('/api/v1/experiments/:id', {
    schema: {
      operationId: 'getExperiment',
      tags,
      summary: 'One experiment',
      params: IdParams,
      response: { 200: Experiment, ...problemResponses },
    },
    handler: async (request) => experiments.get(principalOf(request).projectId, request.params.id),
  });

  r.get('/api/v1/experiments/:id/results', {
    schema: {
      operationId: 'getExperimentResults',
      tags,
      summary:
        'Per variant: units, mean, anytime-valid interval, lift, chance to beat control; and the SRM check',
      description:
        'Read from the spans at the time of asking, so acknowledged spans count at once. `ci` is valid however often it is looked at (normal-mixture confidence sequence); `chanceToBeatControl` is Bayesian (uniform Beta prior for 0/1 metrics, flat prior otherwise), "beat" meaning lower for errorRate, latency and cost and higher for scores. `srm.ok` is false when the units split differs from the weights at p < 0.001.',
      params: IdParams,
      response: { 200: ExperimentResultsResponse, ...problemResponses },
    },
    handler: async (request) => experiments.results(principalOf(request).projectId, request.params.id),
  });

  r.post('/api/v1/experiments/:id/stop', {
    config: { role: 'editor' },
    schema: {
      operationId: 'stopExperiment',
      tags,
      summary:
        'Stop measuring; `ship` (a version or "winner") deploys it alone through the environment gates',
      params: IdParams,
      body: StopExperimentRequest.nullish(),
      response: { 200: Experiment, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return experiments.stop(p.projectId, request.params.id, request.body ?? {}, p);
    },
  });
}
