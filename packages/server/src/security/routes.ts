import { SecurityEventPage, SecurityEventQuery, SecurityLogVerification } from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import { cursorId } from '../paging.ts';
import type { SecurityLog } from './service.ts';

const tags = ['instance'];

/** The instance security log: `/api/v1/instance/security-events…` (instance admins). */
export function registerSecurityRoutes(app: FastifyInstance, { security }: { security: SecurityLog }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/v1/instance/security-events', {
    // An admin key or session, and the service requires its user to administer the instance.
    config: { role: 'admin' },
    schema: {
      operationId: 'listSecurityEvents',
      tags,
      summary: 'The instance security log (instance admins): sign-ins, refusals, lockouts, sign-outs',
      description:
        'Every person of every project, newest first: `session.sign_in`, `session.sign_in_failed`, `session.locked`, `session.sign_out`, `project.instance_admin_access`. Filters: `type`, `email`, `from` (inclusive) and `to` (exclusive); page with `cursor` = the previous `nextCursor`. `403 INSTANCE_ADMIN_REQUIRED` for anyone who does not administer the instance.',
      querystring: SecurityEventQuery,
      response: { 200: SecurityEventPage, ...problemResponses },
    },
    handler: async (request) => {
      const { type, email, from, to, limit, cursor } = request.query;
      return security.list(principalOf(request), {
        type,
        email,
        from: from === undefined ? undefined : new Date(from).toISOString(),
        to: to === undefined ? undefined : new Date(to).toISOString(),
        limit,
        before: cursorId(cursor),
      });
    },
  });

  r.get('/api/v1/instance/security-events/verify', {
    config: { role: 'admin' },
    schema: {
      operationId: 'verifySecurityEvents',
      tags,
      summary: "Recompute the security log's hash chain (instance admins): the first broken link",
      response: { 200: SecurityLogVerification, ...problemResponses },
    },
    handler: async (request) => security.verify(principalOf(request)),
  });
}
