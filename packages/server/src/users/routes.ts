import { listOf, Member, PutMemberRequest, RowIdParam } from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import type { UserService } from './service.ts';

const tags = ['members'];

/** Members of the caller's project: `/api/v1/members…` (read by anyone, changed by admins). */
export function registerMemberRoutes(app: FastifyInstance, { users }: { users: UserService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/v1/members', {
    schema: {
      operationId: 'listMembers',
      tags,
      summary: "The project's members with their roles",
      response: { 200: listOf(Member), ...problemResponses },
    },
    handler: async (request) => ({ items: await users.members(principalOf(request).projectId) }),
  });

  r.put('/api/v1/members', {
    config: { role: 'admin' },
    schema: {
      operationId: 'putMember',
      tags,
      summary: 'Add a user to the project by email (invited when new), or change their role',
      body: PutMemberRequest,
      response: { 200: Member, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return users.putMember(p.projectId, request.body, p.name);
    },
  });

  r.delete('/api/v1/members/:userId', {
    config: { role: 'admin' },
    schema: {
      operationId: 'removeMember',
      tags,
      summary: 'Remove a member from the project; their keys in it stop working',
      description:
        'Their keys are refused with 401 by every instance: this one at once, others on the same PostgreSQL within a second (the change feed makes them drop their cached keys). A role change lowers or raises their keys the same way.',
      params: z.object({ userId: RowIdParam }),
      response: { 204: z.null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      await users.removeMember(p.projectId, request.params.userId, p.name);
      return reply.code(204).send(null);
    },
  });
}
