import {
  AuditCheckpoint,
  AuditHead,
  AuditPage,
  AuditPublicKey,
  AuditQuery,
  AuditVerification,
  AuditVerifyQuery,
} from '@promptline/core';
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
      summary:
        'Recompute the hash chain and every row it seals; name the first broken link and each altered row',
      description:
        'Recomputes each event hash and link, then the record hash of every version and deployment history row against the hash the chain recorded for it (`tampered` names each altered, inserted or deleted row), and compares each live release with its history entry. With `head` (a hash from GET /api/v1/audit/head recorded earlier), also fails when no event has it: the newest events were removed.',
      querystring: AuditVerifyQuery,
      response: { 200: AuditVerification, ...problemResponses },
    },
    handler: async (request) =>
      audit.verify(principalOf(request).projectId, undefined, { head: request.query.head }),
  });

  r.get('/api/v1/audit/head', {
    schema: {
      operationId: 'auditHead',
      tags,
      summary: 'The newest event of the chain: record its hash to detect truncation later',
      response: { 200: AuditHead, ...problemResponses },
    },
    handler: async (request) => audit.headOf(principalOf(request).projectId),
  });

  r.get('/api/v1/audit/checkpoint', {
    schema: {
      operationId: 'auditCheckpoint',
      tags,
      summary: 'The head of the chain signed with the instance key (Ed25519)',
      description:
        'The signature covers the UTF-8 bytes of the canonical JSON of `payload` (keys sorted, no whitespace). Verify it with the `publicKey` (PEM) — e.g. `crypto.verify(null, Buffer.from(canonicalJson(payload)), publicKey, Buffer.from(signature, "base64"))` — then `GET /api/v1/audit/verify?head=<payload.head.hash>`.',
      response: { 200: AuditCheckpoint, ...problemResponses },
    },
    handler: async (request) => audit.checkpoint(principalOf(request).projectId),
  });

  r.get('/api/v1/audit/public-key', {
    schema: {
      operationId: 'auditPublicKey',
      tags,
      summary: 'The public key that verifies audit checkpoints',
      response: { 200: AuditPublicKey, ...problemResponses },
    },
    handler: async () => audit.publicKey(),
  });
}
