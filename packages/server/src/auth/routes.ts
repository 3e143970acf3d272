import {
  ApiKey,
  CreateApiKeyRequest,
  CreatedApiKey,
  listOf,
  RotateApiKeyRequest,
  RowIdParam,
} from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problemResponses } from '../http/schemas.ts';
import { principalOf } from './hook.ts';
import type { AuthService } from './service.ts';

const tags = ['api-keys'];

/** API keys: `/api/v1/api-keys…` (admins only). */
export function registerApiKeyRoutes(app: FastifyInstance, { auth }: { auth: AuthService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/v1/api-keys', {
    config: { role: 'admin' },
    schema: {
      operationId: 'createApiKey',
      tags,
      summary: 'Create an API key (its secret is shown only in this response)',
      description:
        'The key acts as the user named by `user` (an email: created as an invited account, or a service account with `"account": "service"`, and added to the project with the key\'s role when new), else as the caller\'s user. Its role cannot exceed that user\'s role in the project (409 KEY_ROLE_ABOVE_MEMBER). Limits: `environments` (the only environments it may name), `promptPrefix` (`support/*`: the only prompts it may touch), `readOnly` (an application key: snapshots, streams, resolve, render, traces and scores only; its role is viewer) and `expiresAt`. A request outside them is `403 KEY_SCOPE`; after the expiry, `403 KEY_EXPIRED`.',
      body: CreateApiKeyRequest,
      response: { 201: CreatedApiKey, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      return reply
        .code(201)
        .send(await auth.create(p.projectId, request.body, { userId: p.userId, name: p.name }));
    },
  });

  r.get('/api/v1/api-keys', {
    config: { role: 'admin' },
    schema: {
      operationId: 'listApiKeys',
      tags,
      summary: 'List API keys (without secrets)',
      response: { 200: listOf(ApiKey), ...problemResponses },
    },
    handler: async (request) => ({ items: await auth.list(principalOf(request).projectId) }),
  });

  r.post('/api/v1/api-keys/:id/rotate', {
    config: { role: 'admin' },
    schema: {
      operationId: 'rotateApiKey',
      tags,
      summary: 'Rotate an API key: a new secret (shown once); the old one works for graceSeconds more',
      description:
        'The new key has the same name, role, user and limits. The old key is refused with `403 KEY_EXPIRED` once `graceSeconds` (default 3600, 0: at once) have passed.',
      params: z.object({ id: RowIdParam }),
      body: RotateApiKeyRequest,
      response: { 201: CreatedApiKey, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      return reply
        .code(201)
        .send(await auth.rotate(p.projectId, request.params.id, request.body.graceSeconds, p.name));
    },
  });

  r.delete('/api/v1/api-keys/:id', {
    config: { role: 'admin' },
    schema: {
      operationId: 'revokeApiKey',
      tags,
      summary: 'Revoke an API key; it stops working at once',
      description:
        "The key is refused with 401 by this instance as soon as the answer is sent. Other instances on the same PostgreSQL hear of it through the change feed (a trigger NOTIFYs in the revoking transaction) and refuse it within a second, typically tens of milliseconds. Only while an instance has lost its LISTEN connection may it accept a key from its cache, for at most 30 s (it forgets every cached key when it reconnects). With SQLite there is one instance. Refused with 409 LAST_ADMIN_KEY for the project's last active admin key.",
      params: z.object({ id: RowIdParam }),
      response: { 200: ApiKey, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return auth.revoke(p.projectId, request.params.id, p.name);
    },
  });
}
