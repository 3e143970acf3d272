import { EndUserErasure, RedactionSettings } from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import type { PrivacyService } from './service.ts';

const tags = ['privacy'];

/** PII redaction settings and end-user erasure. */
export function registerPrivacyRoutes(app: FastifyInstance, { privacy }: { privacy: PrivacyService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/v1/privacy/redaction', {
    schema: {
      operationId: 'getRedaction',
      tags,
      summary: 'The project’s PII redaction at ingestion (off until enabled)',
      response: { 200: RedactionSettings, ...problemResponses },
    },
    handler: async (request) => privacy.redaction(principalOf(request).projectId),
  });

  r.put('/api/v1/privacy/redaction', {
    config: { role: 'admin' },
    schema: {
      operationId: 'setRedaction',
      tags,
      summary:
        'Turn PII redaction on or off, choose detectors (email, phone, card, iban, ip, secret) and custom patterns',
      body: RedactionSettings,
      response: { 200: RedactionSettings, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return privacy.setRedaction(p.projectId, request.body, p.name);
    },
  });

  r.delete('/api/v1/end-users/:userId/data', {
    config: { role: 'admin' },
    schema: {
      operationId: 'eraseEndUser',
      tags,
      summary: 'Erase an end user: their traces (every span), scores and the dataset items made from them',
      params: z.object({ userId: z.string().min(1).max(1000) }),
      response: { 200: EndUserErasure, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return privacy.eraseEndUser(p.projectId, request.params.userId, p.name);
    },
  });
}
