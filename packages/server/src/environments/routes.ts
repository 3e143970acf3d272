import { CreateEnvironmentRequest, Environment, listOf, UpdateEnvironmentRequest } from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf } from '../auth/hook.ts';
import { EnvParams, problemResponses } from '../http/schemas.ts';
import type { EnvironmentService } from './service.ts';

const tags = ['environments'];

/** Environments: `/api/v1/environments…`. Changing them is an admin's job. */
export function registerEnvironmentRoutes(
  app: FastifyInstance,
  { environments }: { environments: EnvironmentService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/v1/environments', {
    schema: {
      operationId: 'listEnvironments',
      tags,
      summary: 'List environments in promotion order',
      response: { 200: listOf(Environment), ...problemResponses },
    },
    handler: async (request) => ({ items: await environments.list(principalOf(request).projectId) }),
  });

  r.post('/api/v1/environments', {
    config: { role: 'admin' },
    schema: {
      operationId: 'createEnvironment',
      tags,
      summary: 'Create an environment',
      body: CreateEnvironmentRequest,
      response: { 201: Environment, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      return reply.code(201).send(await environments.create(p.projectId, request.body, p.name));
    },
  });

  r.get('/api/v1/environments/:env', {
    schema: {
      operationId: 'getEnvironment',
      tags,
      summary: 'Get an environment',
      params: EnvParams,
      response: { 200: Environment, ...problemResponses },
    },
    handler: async (request) => environments.get(principalOf(request).projectId, request.params.env),
  });

  r.patch('/api/v1/environments/:env', {
    config: { role: 'admin' },
    schema: {
      operationId: 'updateEnvironment',
      tags,
      summary: 'Rename, re-rank, protect or archive an environment',
      params: EnvParams,
      body: UpdateEnvironmentRequest,
      response: { 200: Environment, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return environments.update(p.projectId, request.params.env, request.body, p.name);
    },
  });
}
