import {
  CreatePromptRequest,
  CreateVersionRequest,
  DiffQuery,
  ListPromptsQuery,
  listOf,
  Prompt,
  RowIdParam,
  UpdatePromptRequest,
  Version,
  VersionDiff,
} from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf } from '../auth/hook.ts';
import { promptInScope } from '../auth/scope.ts';
import { PromptParams, problemResponses } from '../http/schemas.ts';
import type { PromptService } from './service.ts';

const tags = ['prompts'];

/** Prompts and versions: `/api/v1/prompts…`. */
export function registerPromptRoutes(app: FastifyInstance, { prompts }: { prompts: PromptService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/v1/prompts', {
    schema: {
      operationId: 'createPrompt',
      tags,
      summary: 'Register a prompt (optionally with its first version)',
      body: CreatePromptRequest,
      response: { 201: Prompt, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      const { prompt } = await prompts.create(p.projectId, request.body, p.name);
      return reply.code(201).send(prompt);
    },
  });

  r.get('/api/v1/prompts', {
    schema: {
      operationId: 'listPrompts',
      tags,
      summary: 'List prompts with what each environment serves',
      querystring: ListPromptsQuery,
      response: { 200: listOf(Prompt), ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      const items = await prompts.list(p.projectId, request.query);
      const pattern = p.scope?.promptPrefix;
      // A prompt-scoped key lists only its prompts.
      return { items: pattern ? items.filter((item) => promptInScope(pattern, item.name)) : items };
    },
  });

  r.get('/api/v1/prompts/:name', {
    schema: {
      operationId: 'getPrompt',
      tags,
      summary: 'Get a prompt',
      params: PromptParams,
      response: { 200: Prompt, ...problemResponses },
    },
    handler: async (request) => prompts.get(principalOf(request).projectId, request.params.name),
  });

  r.patch('/api/v1/prompts/:name', {
    schema: {
      operationId: 'updatePrompt',
      tags,
      summary: 'Update a prompt’s description, owner or tags',
      params: PromptParams,
      body: UpdatePromptRequest,
      response: { 200: Prompt, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return prompts.update(p.projectId, request.params.name, request.body, p.name);
    },
  });

  r.post('/api/v1/prompts/:name/versions', {
    schema: {
      operationId: 'createVersion',
      tags,
      summary: 'Save a new immutable version (200 with the head when the content is identical)',
      description:
        'Semver is inferred from what changed; `bump` may ask for more, never less. With `parent`, answers 409 VERSION_CONFLICT when the head has moved since.',
      params: PromptParams,
      body: CreateVersionRequest,
      response: { 200: Version, 201: Version, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      const { version, created } = await prompts.createVersion(
        p.projectId,
        request.params.name,
        request.body,
        p.name,
      );
      return reply.code(created ? 201 : 200).send(version);
    },
  });

  r.get('/api/v1/prompts/:name/versions', {
    schema: {
      operationId: 'listVersions',
      tags,
      summary: 'List a prompt’s versions, newest first',
      params: PromptParams,
      response: { 200: listOf(Version), ...problemResponses },
    },
    handler: async (request) => ({
      items: await prompts.listVersions(principalOf(request).projectId, request.params.name),
    }),
  });

  r.get('/api/v1/prompts/:name/versions/:number', {
    schema: {
      operationId: 'getVersion',
      tags,
      summary: 'Get one version',
      params: PromptParams.extend({ number: RowIdParam }),
      response: { 200: Version, ...problemResponses },
    },
    handler: async (request) =>
      prompts.getVersion(principalOf(request).projectId, request.params.name, request.params.number),
  });

  r.get('/api/v1/prompts/:name/diff', {
    schema: {
      operationId: 'diffVersions',
      tags,
      summary: 'Structured diff between two versions',
      params: PromptParams,
      querystring: DiffQuery,
      response: { 200: VersionDiff, ...problemResponses },
    },
    handler: async (request) =>
      prompts.diff(principalOf(request).projectId, request.params.name, request.query.from, request.query.to),
  });
}
