import { AuditPage, AuditQuery, AuditVerification } from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import { cursorId } from '../paging.ts';
import type { AuditService } from './service.ts';

const tags = ['audit'];

/** The audit log: `/api/v1/audit…`. */
export function registerAuditRoutes(app: FastifyInstance, { audit }: { audit: AuditService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/v1/audit', {
    schema: {
      operationId: 'listAuditEvents',
      tags,
      summary: 'Audit events, newest first',
      querystring: AuditQuery,
      response: { 200: AuditPage, ...problemResponses },
    },
    handler: async (request) => {
      const { action, target, limit, cursor } = request.query;
      return audit.list(principalOf(request).projectId, {
        action,
        target,
        limit,
        before: cursorId(cursor),
      });
    },
  });

  r.get('/api/v1/audit/verify', {
    schema: {
      operationId: 'verifyAuditChain',
      tags,
      summary: 'Recompute the hash chain and name the first broken link',
      response: { 200: AuditVerification, ...problemResponses },
    },
    handler: async (request) => audit.verify(principalOf(request).projectId),
  });
}
