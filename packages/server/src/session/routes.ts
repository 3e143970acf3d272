import { Role } from '@promptline/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import { isHttps, SESSION_COOKIE, sessionTokenOf, setSessionCookie } from './cookie.ts';
import type { SessionService } from './service.ts';

const tags = ['session'];

/** Body of `POST /api/v1/session`. */
export const OpenSessionRequest = z.object({ apiKey: z.string().min(1).max(500) });

/** `GET /api/v1/session`: who the caller is. */
export const SessionInfo = z.object({
  /** The user the caller acts as. */
  user: z.object({
    id: z.number().int(),
    email: z.string(),
    name: z.string(),
    initials: z.string(),
    /** Administers the instance: creates projects, enters any project, reads the security log. */
    instanceAdmin: z.boolean(),
  }),
  /** The key behind the session or bearer; null when a person signed in (SSO, password). */
  keyName: z.string().nullable(),
  role: Role,
  project: z.object({ id: z.number().int(), name: z.string() }),
  /** How this request was authenticated. */
  via: z.enum(['cookie', 'bearer']),
});

function clearCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: isHttps(request),
  });
}

/** Browser sign-in: `/api/v1/session` opens, describes and ends a cookie session. */
export function registerSessionRoutes(
  app: FastifyInstance,
  { sessions }: { sessions: SessionService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/v1/session', {
    config: { public: true },
    schema: {
      operationId: 'openSession',
      tags,
      summary: 'Sign in with an API key: sets the HTTP-only session cookie the web app uses',
      description:
        'Answers 204 with `Set-Cookie: promptline_session=…; HttpOnly; SameSite=Strict; Path=/` (and `Secure` over HTTPS). The session ends after 12 hours without use, on `DELETE /api/v1/session`, or when its key is revoked.',
      security: [],
      body: OpenSessionRequest,
      response: { 204: z.null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      const { token } = await sessions.open(request.body.apiKey);
      setSessionCookie(request, reply, token);
      return reply.code(204).send(null);
    },
  });

  r.get('/api/v1/session', {
    schema: {
      operationId: 'getSession',
      tags,
      summary: 'Who am I: the key name, role and project behind this cookie or bearer key',
      response: { 200: SessionInfo, ...problemResponses },
    },
    handler: async (request) => ({
      ...(await sessions.describe(principalOf(request))),
      via: request.headers.authorization ? ('bearer' as const) : ('cookie' as const),
    }),
  });

  r.delete('/api/v1/session', {
    // Public so that an expired session can still clear its cookie.
    config: { public: true },
    schema: {
      operationId: 'closeSession',
      tags,
      summary: 'Sign out: ends the session and clears its cookie',
      security: [],
      response: { 204: z.null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      const token = sessionTokenOf(request);
      if (token) await sessions.close(token);
      clearCookie(request, reply);
      return reply.code(204).send(null);
    },
  });
}
