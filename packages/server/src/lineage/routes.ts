import { EnvironmentName } from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { PromptParams, problemResponses } from '../http/schemas.ts';
import { lineageHtml } from './html.ts';
import type { LineageService } from './service.ts';

const LineageQuery = z.object({
  /** The environment whose history is traced (default `production`). */
  env: EnvironmentName.default('production'),
  /** `json` (default) or `html`, a printable page. */
  format: z.enum(['json', 'html']).default('json'),
});

/** `GET /api/v1/prompts/{name}/lineage`: every version that was live in an environment, provably. */
export function registerLineageRoutes(app: FastifyInstance, { lineage }: { lineage: LineageService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/api/v1/prompts/:name/lineage', {
    schema: {
      operationId: 'getLineage',
      tags: ['audit'],
      summary:
        'Every version live in an environment: author, approvals, gating eval run, when, with chain proofs',
      description:
        'Oldest first. Each version lists each period it was live (from, until — null while live —, share, the change that made it live, its approvers and request, the eval run that let it through the gate, and the audit event that sealed the history entry), and the chain as verified now. `format=html` answers a printable page.',
      params: PromptParams,
      querystring: LineageQuery,
      response: {
        200: z.unknown().describe('The lineage (JSON) or the printable page (HTML)'),
        ...problemResponses,
      },
    },
    handler: async (request, reply) => {
      const report = await lineage.lineage(
        principalOf(request).projectId,
        request.params.name,
        request.query.env,
      );
      if (request.query.format === 'html')
        return reply.type('text/html; charset=utf-8').send(lineageHtml(report));
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(report));
    },
  });
}
