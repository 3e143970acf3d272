import {
  attributesFromQuery,
  RenderRequest,
  RenderResult,
  ResolveQuery,
  ResolveResult,
  Snapshot,
} from '@promptline/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { scopedSnapshot, scopeError } from '../auth/scope.ts';
import { EnvParams, PromptParams, problemResponses } from '../http/schemas.ts';
import type { LineageService } from '../lineage/service.ts';
import type { ResolutionService } from './service.ts';

const SnapshotQuery = z.object({
  /** An instant in the past (ISO 8601): what the environment served then, with the audit chain's proof. */
  at: z.iso.datetime({ offset: true }).optional(),
});

const tags = ['resolution'];

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/**
 * Sends JSON serialised ahead of time (built from the response schema's fields when the snapshot
 * was cached). A string with a JSON content type skips Fastify's serializer.
 */
function sendRaw(reply: FastifyReply, json: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(json);
}

/** Resolve, render and environment snapshots. */
export function registerResolutionRoutes(
  app: FastifyInstance,
  { resolution, lineage }: { resolution: ResolutionService; lineage: LineageService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/v1/prompts/:name/resolve', {
    // High volume: per-request logs only for warnings and errors, whatever the server's level.
    logLevel: 'warn',
    schema: {
      operationId: 'resolvePrompt',
      tags,
      summary: 'Which version an environment serves (to a unit)',
      description:
        'Targeting first: a unit pinned by the release gets its version, else the first rule whose condition the context matches (`attr.<name>=<value>` parameters, e.g. `attr.plan=enterprise`). Otherwise the variant is picked by MurmurHash3 (x86, 32-bit, seed 0) of "<prompt>:<unit>" modulo 10000 against the cumulative weights; random without `unit`. `variant` indexes the served list: the variants, then the versions only targeting serves.',
      params: PromptParams,
      querystring: ResolveQuery,
      response: { 200: ResolveResult, ...problemResponses },
    },
    // The hot path: the body was serialised when the snapshot was built, from the same fields.
    // A synchronous handler when the answer is at hand (no promise); a throw is the same refusal
    // as a rejection (Fastify sends either through the error handler).
    handler: (request, reply) => {
      const body = resolution.resolve(
        principalOf(request).projectId,
        request.params.name,
        request.query.env,
        request.query.unit,
        attributesFromQuery(request.query),
      );
      if (typeof body === 'string') {
        sendRaw(reply, body);
        return;
      }
      return body.then((json) => {
        sendRaw(reply, json);
      });
    },
  });

  r.post('/api/v1/prompts/:name/render', {
    schema: {
      operationId: 'renderPrompt',
      tags,
      summary: 'Render what an environment serves (or a version) with variables',
      params: PromptParams,
      body: RenderRequest,
      response: { 200: RenderResult, ...problemResponses },
    },
    handler: async (request) =>
      resolution.render(principalOf(request).projectId, request.params.name, request.body),
  });

  r.get('/api/v1/environments/:env/snapshot', {
    schema: {
      operationId: 'getSnapshot',
      tags,
      summary: 'Every prompt an environment serves, with content; ETag and 304 on If-None-Match',
      description:
        "With `at` (ISO 8601, in the past): what the environment served at that instant — each prompt's release then, its versions' content and hashes, the history entry that made it live, the audit event that sealed that entry — and the chain as verified now. No ETag then.",
      params: EnvParams,
      querystring: SnapshotQuery,
      response: {
        200: z.union([Snapshot, z.looseObject({ at: z.string(), chain: z.unknown() })]),
        304: z.null().describe('Not modified: the ETag still matches'),
        ...problemResponses,
      },
    },
    handler: async (request, reply) => {
      const promptPrefix = principalOf(request).scope?.promptPrefix ?? null;
      if (request.query.at !== undefined && promptPrefix !== null) {
        throw scopeError(
          `A key limited to the prompts ${promptPrefix} cannot read a past snapshot (it covers every prompt).`,
          "Read each prompt's lineage (GET /api/v1/prompts/{name}/lineage) instead.",
        );
      }
      if (request.query.at !== undefined) {
        const past = await lineage.snapshotAt(
          principalOf(request).projectId,
          request.params.env,
          new Date(request.query.at),
        );
        return sendRaw(reply.header('cache-control', 'no-store'), JSON.stringify(past));
      }
      const whole = await resolution.snapshot(principalOf(request).projectId, request.params.env);
      // A prompt-scoped key sees only its prompts.
      const snapshot = promptPrefix === null ? whole : scopedSnapshot(whole.body, whole.etag, promptPrefix);
      reply.header('etag', snapshot.etag).header('cache-control', 'no-cache');
      if (etagMatches(request.headers['if-none-match'], snapshot.etag))
        return (reply as FastifyReply).code(304).send();
      return sendRaw(reply, snapshot.body);
    },
  });
}
