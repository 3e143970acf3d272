import {
  AddAnnotationItemsRequest,
  AddAnnotationItemsResult,
  AnnotationItem,
  AnnotationItemPage,
  AnnotationItemToDatasetRequest,
  AnnotationQueue,
  AnnotationQueueDetail,
  CompleteAnnotationItemRequest,
  CreateAnnotationQueueRequest,
  CreateScoreDefinitionRequest,
  ListAnnotationItemsQuery,
  listOf,
  NextAnnotationItem,
  RowIdParam,
  ScoreDefinition,
  TracesToDatasetResult,
  UpdateAnnotationQueueRequest,
  UpdateScoreDefinitionRequest,
} from '@promptline/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { Deleted, IdParams, problemResponses } from '../http/schemas.ts';
import type { ScoreDefinitionService } from './definitions.ts';
import type { AnnotationService, Reviewer } from './service.ts';

const ItemParams = z.object({ id: RowIdParam, itemId: RowIdParam });

function reviewerOf(request: FastifyRequest): Reviewer {
  const p = principalOf(request);
  return { id: p.userId, email: p.userEmail };
}

/** Score definitions: `/api/v1/score-definitions…`. */
export function registerScoreDefinitionRoutes(
  app: FastifyInstance,
  { definitions }: { definitions: ScoreDefinitionService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['scores'];

  r.get('/api/v1/score-definitions', {
    schema: {
      operationId: 'listScoreDefinitions',
      tags,
      summary: 'The project’s score definitions: what a score of each defined name may hold',
      response: { 200: listOf(ScoreDefinition), ...problemResponses },
    },
    handler: async (request) => ({ items: await definitions.list(principalOf(request).projectId) }),
  });

  r.post('/api/v1/score-definitions', {
    config: { role: 'editor' },
    schema: {
      operationId: 'createScoreDefinition',
      tags,
      summary:
        'Define a score name: numeric (min/max), boolean or categorical (categories); scores of that name are then checked against it',
      body: CreateScoreDefinitionRequest,
      response: { 201: ScoreDefinition, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      return reply.code(201).send(await definitions.create(p.projectId, request.body, p.name));
    },
  });

  r.patch('/api/v1/score-definitions/:id', {
    config: { role: 'editor' },
    schema: {
      operationId: 'updateScoreDefinition',
      tags,
      summary: 'Change a definition’s description, range or categories (its name and type stay)',
      params: IdParams,
      body: UpdateScoreDefinitionRequest,
      response: { 200: ScoreDefinition, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return definitions.update(p.projectId, request.params.id, request.body, p.name);
    },
  });

  r.delete('/api/v1/score-definitions/:id', {
    config: { role: 'editor' },
    schema: {
      operationId: 'deleteScoreDefinition',
      tags,
      summary: 'Delete a score definition no annotation queue uses (scores already written stay)',
      params: IdParams,
      response: { 200: Deleted, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      await definitions.remove(p.projectId, request.params.id, p.name);
      return { deleted: true as const };
    },
  });
}

/** Annotation queues: `/api/v1/annotation-queues…`. */
export function registerAnnotationRoutes(
  app: FastifyInstance,
  { annotation }: { annotation: AnnotationService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['annotation'];

  r.get('/api/v1/annotation-queues', {
    schema: {
      operationId: 'listAnnotationQueues',
      tags,
      summary: 'Annotation queues with their progress (pending, claimed, completed, skipped)',
      response: { 200: listOf(AnnotationQueue), ...problemResponses },
    },
    handler: async (request) => ({ items: await annotation.list(principalOf(request).projectId) }),
  });

  r.post('/api/v1/annotation-queues', {
    config: { role: 'editor' },
    schema: {
      operationId: 'createAnnotationQueue',
      tags,
      summary:
        'Create an annotation queue: the score definitions reviewers fill in, and optionally who may review',
      body: CreateAnnotationQueueRequest,
      response: { 201: AnnotationQueue, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      return reply.code(201).send(await annotation.create(p.projectId, request.body, p.name));
    },
  });

  r.get('/api/v1/annotation-queues/:id', {
    schema: {
      operationId: 'getAnnotationQueue',
      tags,
      summary: 'One annotation queue with its progress and its score definitions spelled out',
      params: IdParams,
      response: { 200: AnnotationQueueDetail, ...problemResponses },
    },
    handler: async (request) => annotation.get(principalOf(request).projectId, request.params.id),
  });

  r.patch('/api/v1/annotation-queues/:id', {
    config: { role: 'editor' },
    schema: {
      operationId: 'updateAnnotationQueue',
      tags,
      summary: 'Rename a queue, or change its description, score definitions or assignees',
      params: IdParams,
      body: UpdateAnnotationQueueRequest,
      response: { 200: AnnotationQueue, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return annotation.update(p.projectId, request.params.id, request.body, p.name);
    },
  });

  r.delete('/api/v1/annotation-queues/:id', {
    config: { role: 'editor' },
    schema: {
      operationId: 'deleteAnnotationQueue',
      tags,
      summary: 'Delete a queue and its items (scores already given stay on their traces)',
      params: IdParams,
      response: { 200: Deleted, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      await annotation.remove(p.projectId, request.params.id, p.name);
      return { deleted: true as const };
    },
  });

  r.post('/api/v1/annotation-queues/:id/items', {
    config: { role: 'editor' },
    schema: {
      operationId: 'addAnnotationItems',
      tags,
      summary: 'Add traces to a queue: by id, or every trace a traces-list filter matches (up to limit)',
      description:
        '`filter` takes the query of GET /api/v1/traces (prompt, version, env, status, userId, sessionId, model, from, to, q, score…). A trace already in the queue is not added twice; ids the project does not have come back in `missing`.',
      params: IdParams,
      body: AddAnnotationItemsRequest,
      response: { 201: AddAnnotationItemsResult, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      return reply
        .code(201)
        .send(await annotation.addItems(p.projectId, request.params.id, request.body, p.name));
    },
  });

  r.get('/api/v1/annotation-queues/:id/items', {
    schema: {
      operationId: 'listAnnotationItems',
      tags,
      summary: 'A queue’s items by id, optionally of one status',
      params: IdParams,
      querystring: ListAnnotationItemsQuery,
      response: { 200: AnnotationItemPage, ...problemResponses },
    },
    handler: async (request) =>
      annotation.items(principalOf(request).projectId, request.params.id, request.query),
  });

  r.get('/api/v1/annotation-queues/:id/next', {
    config: { role: 'reviewer' },
    schema: {
      operationId: 'claimNextAnnotationItem',
      tags,
      summary:
        'Claim the next item to review (the one you hold, its lease renewed, else the oldest nobody holds); item null when the queue is done',
      params: IdParams,
      response: { 200: NextAnnotationItem, ...problemResponses },
    },
    handler: async (request) =>
      annotation.next(principalOf(request).projectId, request.params.id, reviewerOf(request)),
  });

  r.post('/api/v1/annotation-queues/:id/items/:itemId/complete', {
    config: { role: 'reviewer' },
    schema: {
      operationId: 'completeAnnotationItem',
      tags,
      summary:
        'Complete an item: its scores (names of the queue’s definitions) are written to the trace with source human, with the comment',
      params: ItemParams,
      body: CompleteAnnotationItemRequest,
      response: { 200: AnnotationItem, ...problemResponses },
    },
    handler: async (request) =>
      annotation.complete(
        principalOf(request).projectId,
        request.params.id,
        request.params.itemId,
        request.body,
        reviewerOf(request),
      ),
  });

  r.post('/api/v1/annotation-queues/:id/items/:itemId/skip', {
    config: { role: 'reviewer' },
    schema: {
      operationId: 'skipAnnotationItem',
      tags,
      summary: 'Skip an item: it leaves the queue without scores',
      params: ItemParams,
      response: { 200: AnnotationItem, ...problemResponses },
    },
    handler: async (request) =>
      annotation.skip(
        principalOf(request).projectId,
        request.params.id,
        request.params.itemId,
        reviewerOf(request),
      ),
  });

  r.post('/api/v1/annotation-queues/:id/items/:itemId/dataset', {
    config: { role: 'editor' },
    schema: {
      operationId: 'addAnnotationItemToDataset',
      tags,
      summary: 'Add the item’s trace to a dataset (as POST /api/v1/datasets/{name}/items/from-traces does)',
      params: ItemParams,
      body: AnnotationItemToDatasetRequest,
      response: { 201: TracesToDatasetResult, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      return reply
        .code(201)
        .send(
          await annotation.toDataset(
            p.projectId,
            request.params.id,
            request.params.itemId,
            request.body,
            p.name,
          ),
        );
    },
  });
}
