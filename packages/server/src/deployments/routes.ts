import {
  Deployment,
  DeployRequest,
  HistoryEntry,
  HistoryQuery,
  listOf,
  RollbackRequest,
} from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { PromptEnvParams, PromptParams, problemResponses } from '../http/schemas.ts';
import type { DeploymentService } from './service.ts';

const tags = ['deployments'];

/** Deployments: `/api/v1/prompts/{name}/deployments…`. */
export function registerDeploymentRoutes(
  app: FastifyInstance,
  { deployments }: { deployments: DeploymentService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/v1/prompts/:name/deployments', {
    schema: {
      operationId: 'listDeployments',
      tags,
      summary: 'What every environment serves for a prompt',
      params: PromptParams,
      response: { 200: listOf(Deployment), ...problemResponses },
    },
    handler: async (request) => ({
      items: await deployments.list(principalOf(request).projectId, request.params.name),
    }),
  });

  r.get('/api/v1/prompts/:name/deployments/:env', {
    schema: {
      operationId: 'getDeployment',
      tags,
      summary: 'What one environment serves for a prompt',
      params: PromptEnvParams,
      response: { 200: Deployment, ...problemResponses },
    },
    handler: async (request) =>
      deployments.get(principalOf(request).projectId, request.params.name, request.params.env),
  });

  r.put('/api/v1/prompts/:name/deployments/:env', {
    schema: {
      operationId: 'deploy',
      tags,
      summary: 'Deploy a version, or weighted variants, to an environment',
      description:
        'Body `{version}` or `{variants: [{version, weight}]}` (basis points summing to 10000), with optional `reason` and `enabled` (kill switch).',
      params: PromptEnvParams,
      body: DeployRequest,
      response: { 200: Deployment, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return deployments.deploy(p.projectId, request.params.name, request.params.env, request.body, {
        name: p.name,
        role: p.role,
      });
    },
  });

  r.post('/api/v1/prompts/:name/deployments/:env/rollback', {
    schema: {
      operationId: 'rollback',
      tags,
      summary: 'Restore the previous release (or history entry `to`)',
      description:
        'Refused with 409 when the restored release would break the environment’s partials (`DEPLOY_PARTIAL_*`) or serve a branch version its policy refuses (`BRANCH_VERSION_NOT_ALLOWED`); `force: true` makes it anyway, recorded as forced.',
      params: PromptEnvParams,
      body: RollbackRequest.nullish(),
      response: { 200: Deployment, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return deployments.rollback(
        p.projectId,
        request.params.name,
        request.params.env,
        request.body ?? {},
        p.name,
      );
    },
  });

  r.get('/api/v1/prompts/:name/deployments/:env/history', {
    schema: {
      operationId: 'deploymentHistory',
      tags,
      summary: 'Deployment history, newest first; with `at`, the one entry live at that instant',
      params: PromptEnvParams,
      querystring: HistoryQuery,
      response: { 200: z.union([HistoryEntry, listOf(HistoryEntry)]), ...problemResponses },
    },
    handler: async (request) => {
      const { projectId } = principalOf(request);
      const { name, env } = request.params;
      if (request.query.at !== undefined) {
        return deployments.historyAt(projectId, name, env, new Date(request.query.at));
      }
      return { items: await deployments.history(projectId, name, env) };
    },
  });
}
