import { RowIdParam } from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import { setSessionCookie } from '../session/cookie.ts';
import type { PasswordService } from './service.ts';

/** What a new password must be: long enough that guessing it is hopeless at scrypt's speed. */
export const NewPassword = z
  .string()
  .min(12, 'use at least 12 characters')
  .max(200, 'use at most 200 characters');

const PasswordSignIn = z.object({
  email: z.string().min(3).max(320),
  password: z.string().min(1).max(1000),
});

/** Password sign-in (`POST /api/v1/session/password`) and an admin setting a member's password. */
export function registerPasswordRoutes(
  app: FastifyInstance,
  { passwords }: { passwords: PasswordService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/v1/session/password', {
    config: { public: true },
    schema: {
      operationId: 'openSessionWithPassword',
      tags: ['session'],
      summary: 'Sign in with email and password: sets the HTTP-only session cookie',
      description:
        'Answers 204 with the session cookie. A wrong or unknown email or password is `401 INVALID_CREDENTIALS` (the same answer for both); after repeated failures the email is locked for a while (`423 ACCOUNT_LOCKED`); too many attempts from one address are `429 RATE_LIMITED`. Every refusal is audited.',
      security: [],
      body: PasswordSignIn,
      response: { 204: z.null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      const session = await passwords.signIn(request.body.email, request.body.password, request.ip);
      setSessionCookie(request, reply, session.token);
      return reply.code(204).send(null);
    },
  });

  r.put('/api/v1/me/password', {
    config: { role: 'viewer' },
    schema: {
      operationId: 'changeOwnPassword',
      tags: ['session'],
      summary: 'Change your own password (the current one is required); your other sessions end',
      description:
        'A wrong current password is `403 WRONG_PASSWORD` (audited). Every session of yours ends; the one making this request (a browser session) gets a new cookie and stays signed in.',
      body: z.object({ currentPassword: z.string().min(1).max(1000), newPassword: NewPassword }),
      response: { 204: z.null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      const viaSession = p.keyId === null;
      const token = await passwords.changeOwn(
        { userId: p.userId, email: p.userEmail, projectId: p.projectId },
        request.body,
        request.ip,
        viaSession,
      );
      if (token) setSessionCookie(request, reply, token);
      return reply.code(204).send(null);
    },
  });

  r.put('/api/v1/members/:userId/password', {
    config: { role: 'admin' },
    schema: {
      operationId: 'setMemberPassword',
      tags: ['members'],
      summary: "Set a member's password (replaces theirs, lifts a lockout, ends their sessions)",
      params: z.object({ userId: RowIdParam }),
      body: z.object({ password: NewPassword }),
      response: { 204: z.null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      await passwords.setForMember(
        p.projectId,
        request.params.userId,
        request.body.password,
        p.name,
        p.userId,
      );
      return reply.code(204).send(null);
    },
  });
}
