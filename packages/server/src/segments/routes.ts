import { listOf, PutSegmentRequest, Segment, SegmentName } from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import type { SegmentService } from './service.ts';

const tags = ['segments'];
const SegmentParams = z.object({ name: SegmentName });

/** Segments: `/api/v1/segments…` (reusable targeting conditions). */
export function registerSegmentRoutes(
  app: FastifyInstance,
  { segments }: { segments: SegmentService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/v1/segments', {
    schema: {
      operationId: 'listSegments',
      tags,
      summary: "The project's targeting segments",
      response: { 200: listOf(Segment), ...problemResponses },
    },
    handler: async (request) => ({ items: await segments.list(principalOf(request).projectId) }),
  });

  r.get('/api/v1/segments/:name', {
    schema: {
      operationId: 'getSegment',
      tags,
      summary: 'One targeting segment',
      params: SegmentParams,
      response: { 200: Segment, ...problemResponses },
    },
    handler: async (request) => segments.get(principalOf(request).projectId, request.params.name),
  });

  r.put('/api/v1/segments/:name', {
    schema: {
      operationId: 'putSegment',
      tags,
      summary: 'Create or replace a segment',
      description:
        'Body `{when?, units?, description?}`: the segment matches the units it lists and the contexts its condition matches. Releases that name it serve by the new definition at once.',
      params: SegmentParams,
      body: PutSegmentRequest,
      response: { 200: Segment, 201: Segment, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      const { segment, created } = await segments.put(p.projectId, request.params.name, request.body, p.name);
      return reply.code(created ? 201 : 200).send(segment);
    },
  });

  r.delete('/api/v1/segments/:name', {
    schema: {
      operationId: 'deleteSegment',
      tags,
      summary: 'Delete a segment no live release uses',
      params: SegmentParams,
      response: { 204: z.null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      await segments.delete(p.projectId, request.params.name, p.name);
      return reply.code(204).send(null);
    },
  });
}
