import {
  DecisionBody,
  DeploymentRequest,
  DeploymentRequestQuery,
  DeployRequest,
  listOf,
  RolloutRequestPlan,
} from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { PromptEnvParams, problemResponses } from '../http/schemas.ts';
import type { RequestService } from './service.ts';

const tags = ['deployment requests'];
const IdParams = z.object({ id: z.coerce.number().int().min(1).max(2_147_483_647) });
const CreateBody = z.intersection(
  DeployRequest,
  z.object({ reason: z.string().min(1).max(2000), rollout: RolloutRequestPlan.optional() }),
);

/** Deployment requests: `/api/v1/prompts/{name}/deployments/{env}/requests`, `/api/v1/deployment-requests…`. */
export function registerRequestRoutes(
  app: FastifyInstance,
  { requests }: { requests: RequestService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/v1/prompts/:name/deployments/:env/requests', {
    config: { role: 'editor' },
    schema: {
      operationId: 'createDeploymentRequest',
      tags,
      summary: 'Ask for a deploy that the environment policy makes wait for approvals',
      description:
        'Same body as the deploy (`{version}` or `{variants}`, `enabled`, `force`) plus a required `reason`, and optionally `rollout: {steps?, guardrails, minSamples?, onRegression}` with `{version}`: then the approval that completes the quorum starts that guarded rollout instead of deploying, and its later steps and an automatic rollback need no new approvals. Answers `{id, status: "pending", …}`; it deploys when approvals meet the policy.',
      params: PromptEnvParams,
      body: CreateBody,
      response: { 201: DeploymentRequest, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      const created = await requests.create(
        p.projectId,
        request.params.name,
        request.params.env,
        request.body,
        p,
      );
      return reply.code(201).send(created);
    },
  });

  r.get('/api/v1/deployment-requests', {
    schema: {
      operationId: 'listDeploymentRequests',
      tags,
      summary: 'Deployment requests, newest first (the review inbox: `?status=pending`)',
      querystring: DeploymentRequestQuery,
      response: { 200: listOf(DeploymentRequest), ...problemResponses },
    },
    handler: async (request) => ({
      items: await requests.list(principalOf(request).projectId, request.query),
    }),
  });

  r.get('/api/v1/deployment-requests/:id', {
    schema: {
      operationId: 'getDeploymentRequest',
      tags,
      summary: 'One deployment request with its decisions',
      params: IdParams,
      response: { 200: DeploymentRequest, ...problemResponses },
    },
    handler: async (request) => requests.get(principalOf(request).projectId, request.params.id),
  });

  for (const action of ['approve', 'reject', 'cancel'] as const) {
    r.post(`/api/v1/deployment-requests/:id/${action}`, {
      // Deciding needs at least a reviewer; who among them may decide is the policy's business
      // (NOT_A_REVIEWER, SELF_APPROVAL), answered by the service. Cancelling is the author's.
      config: { role: action === 'cancel' ? 'viewer' : 'reviewer' },
      schema: {
        operationId: `${action}DeploymentRequest`,
        tags,
        summary:
          action === 'approve'
            ? 'Approve (not your own); the approval that meets the policy deploys'
            : action === 'reject'
              ? 'Reject a pending request'
              : 'Withdraw your own pending request (or any, as an admin)',
        params: IdParams,
        body: DecisionBody.nullish(),
        response: { 200: DeploymentRequest, ...problemResponses },
      },
      handler: async (request) => {
        const p = principalOf(request);
        const comment = request.body?.comment;
        return requests[action](p.projectId, request.params.id, p, comment);
      },
    });
  }
}
