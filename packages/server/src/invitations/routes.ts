import {
  CreatedInvitation,
  CreateInvitationRequest,
  Invitation,
  InvitationPreview,
  listOf,
  RowIdParam,
} from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import { NewPassword } from '../passwords/routes.ts';
import { setSessionCookie } from '../session/cookie.ts';
import type { FirstRun } from './first-run.ts';
import type { InvitationService } from './service.ts';

const tags = ['invitations'];
const Token = z.string().min(10).max(200);

/** Invitations (`/api/v1/invitations…`) and the first-run screen's API (`/api/v1/setup`). */
export function registerInvitationRoutes(
  app: FastifyInstance,
  { invitations, firstRun }: { invitations: InvitationService; firstRun: FirstRun },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/v1/invitations', {
    config: { role: 'admin' },
    schema: {
      operationId: 'createInvitation',
      tags,
      summary: 'Invite an email to the project with a role: a one-time link (shown only here)',
      description:
        'Answers the invitation with `token` and `path` (`/invite/<token>`): send the person `<server>/invite/<token>`. Opening it, they set a password and join with the role; signing in with SSO as that email claims it too. The link works once, until `expiresAt` (default 7 days).',
      body: CreateInvitationRequest,
      response: { 201: CreatedInvitation, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      return reply.code(201).send(await invitations.create(p.projectId, request.body, p.name));
    },
  });

  r.get('/api/v1/invitations', {
    config: { role: 'admin' },
    schema: {
      operationId: 'listInvitations',
      tags,
      summary: "The project's invitations, newest first (without their links)",
      response: { 200: listOf(Invitation), ...problemResponses },
    },
    handler: async (request) => ({ items: await invitations.list(principalOf(request).projectId) }),
  });

  r.delete('/api/v1/invitations/:id', {
    config: { role: 'admin' },
    schema: {
      operationId: 'revokeInvitation',
      tags,
      summary: 'Revoke a pending invitation: its link stops working',
      params: z.object({ id: RowIdParam }),
      response: { 200: Invitation, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return invitations.revoke(p.projectId, request.params.id, p.name);
    },
  });

  r.post('/api/v1/invitations/inspect', {
    config: { public: true },
    schema: {
      operationId: 'inspectInvitation',
      tags,
      summary: 'What an invitation link offers (email, project, role), before accepting it',
      security: [],
      body: z.object({ token: Token }),
      response: { 200: InvitationPreview, ...problemResponses },
    },
    handler: async (request) => invitations.inspect(request.body.token),
  });

  r.post('/api/v1/invitations/accept', {
    config: { public: true },
    schema: {
      operationId: 'acceptInvitation',
      tags,
      summary: 'Accept an invitation: set a password, join the project, get the session cookie',
      description:
        "Answers 204 with the session cookie. A used, revoked, expired or unknown link is `410 INVITATION_INVALID`. A link for a person who has a password asks for it: a wrong one is `403 WRONG_PASSWORD` and counts towards the email's lockout like a failed sign-in (`423 ACCOUNT_LOCKED`), and the address throttle applies (`429 RATE_LIMITED`).",
      security: [],
      body: z.object({ token: Token, password: NewPassword, name: z.string().max(200).optional() }),
      response: { 204: z.null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      const { token, ...input } = request.body;
      setSessionCookie(request, reply, await invitations.accept(token, input, request.ip));
      return reply.code(204).send(null);
    },
  });

  r.get('/api/v1/setup', {
    config: { public: true },
    schema: {
      operationId: 'getSetup',
      tags: ['setup'],
      summary: 'Whether the first-run screen is open (no person administers this server yet)',
      security: [],
      response: { 200: z.object({ needed: z.boolean() }), ...problemResponses },
    },
    handler: async () => ({ needed: await firstRun.needed() }),
  });

  r.post('/api/v1/setup', {
    config: { public: true },
    schema: {
      operationId: 'setupFirstAdmin',
      tags: ['setup'],
      summary:
        'First run: create the first admin with a password (once; from loopback or with the bootstrap key)',
      description:
        'Works while no person administers the instance, once. From 127.0.0.1/::1 without more; from elsewhere `bootstrapKey` must be an admin API key (`PROMPTLINE_API_KEY` or the key printed at first start), else `403 SETUP_NOT_ALLOWED`. Answers 204 with the session cookie; afterwards `409 SETUP_DONE`.',
      security: [],
      body: z.object({
        email: z.email().max(320),
        name: z.string().max(200).optional(),
        password: NewPassword,
        bootstrapKey: z.string().max(500).optional(),
      }),
      response: { 204: z.null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      setSessionCookie(request, reply, await firstRun.setup(request.body, request.ip));
      return reply.code(204).send(null);
    },
  });
}
