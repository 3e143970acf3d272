import { PromoteRequest, Promotion } from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf } from '../auth/hook.ts';
import { PromptParams, problemResponses } from '../http/schemas.ts';
import type { PromotionService } from './service.ts';

/** `POST /api/v1/prompts/{name}/promote`. */
export function registerPromotionRoutes(
  app: FastifyInstance,
  { promotions }: { promotions: PromotionService },
): void {
  app.withTypeProvider<ZodTypeProvider>().post('/api/v1/prompts/:name/promote', {
    config: { role: 'editor' },
    schema: {
      operationId: 'promote',
      tags: ['deployments'],
      summary: 'Promote the version one environment serves to another, through the gates (shown first)',
      description:
        'Body `{from, to, minSoakSeconds?, dryRun?, request?, reason?}`. Gates: `source` (one enabled version served), `soak` (served at least minSoakSeconds), `guardrails` (no alert firing on it in the source, no rollout moving it), `target` (the target policy, eval gate and partials, tried in a transaction rolled back unless all pass). `dryRun` answers the gates and changes nothing; a failed gate answers 409 PROMOTION_BLOCKED with `details.gates`. With `request: true`, when the only failing gate is the target policy asking for approvals, a deployment request for the version is opened instead (`requestId`); it deploys once approved.',
      params: PromptParams,
      body: PromoteRequest,
      response: { 200: Promotion, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return promotions.promote(p.projectId, request.params.name, request.body, p);
    },
  });
}
