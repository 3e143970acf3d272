import {
  Branch,
  BranchComparison,
  BranchName,
  CreateBranchRequest,
  ListBranchesQuery,
  listOf,
  MergePreview,
  MergePreviewQuery,
  MergeRequest,
  MergeResult,
  VersionGraph,
} from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf } from '../auth/hook.ts';
import { PromptParams, problemResponses } from '../http/schemas.ts';
import type { BranchService } from './branch-service.ts';

const tags = ['prompts'];
const BranchParams = PromptParams.extend({ branch: BranchName });

/** Branches, the version graph and merges: `/api/v1/prompts/{name}/branches|graph|merges…`. */
export function registerBranchRoutes(app: FastifyInstance, { branches }: { branches: BranchService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/v1/prompts/:name/branches', {
    schema: {
      operationId: 'listBranches',
      tags,
      summary: 'List a prompt’s branches (open ones; ?deleted=include for all)',
      params: PromptParams,
      querystring: ListBranchesQuery,
      response: { 200: listOf(Branch), ...problemResponses },
    },
    handler: async (request) => ({
      items: await branches.list(
        principalOf(request).projectId,
        request.params.name,
        request.query.deleted === 'include',
      ),
    }),
  });

  r.post('/api/v1/prompts/:name/branches', {
    schema: {
      operationId: 'createBranch',
      tags,
      summary: 'Create a branch from a version (default: the main line’s head)',
      params: PromptParams,
      body: CreateBranchRequest,
      response: { 201: Branch, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      return reply
        .code(201)
        .send(await branches.create(p.projectId, request.params.name, request.body, p.name));
    },
  });

  r.get('/api/v1/prompts/:name/branches/:branch', {
    schema: {
      operationId: 'getBranch',
      tags,
      summary: 'Get a branch (deleted ones too)',
      params: BranchParams,
      response: { 200: Branch, ...problemResponses },
    },
    handler: async (request) =>
      branches.get(principalOf(request).projectId, request.params.name, request.params.branch),
  });

  r.delete('/api/v1/prompts/:name/branches/:branch', {
    schema: {
      operationId: 'deleteBranch',
      tags,
      summary: 'Delete (close) a branch; its versions stay',
      params: BranchParams,
      response: { 200: Branch, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return branches.delete(p.projectId, request.params.name, request.params.branch, p.name);
    },
  });

  r.get('/api/v1/prompts/:name/branches/:branch/compare', {
    schema: {
      operationId: 'compareBranch',
      tags,
      summary: 'Compare a branch with the main line (heads, merge base, ahead/behind, diff)',
      params: BranchParams,
      response: { 200: BranchComparison, ...problemResponses },
    },
    handler: async (request) =>
      branches.compare(principalOf(request).projectId, request.params.name, request.params.branch),
  });

  r.get('/api/v1/prompts/:name/graph', {
    schema: {
      operationId: 'versionGraph',
      tags,
      summary: 'Every version with its parents and branch, and the branches',
      params: PromptParams,
      response: { 200: VersionGraph, ...problemResponses },
    },
    handler: async (request) => branches.graph(principalOf(request).projectId, request.params.name),
  });

  r.get('/api/v1/prompts/:name/merges/preview', {
    schema: {
      operationId: 'previewMerge',
      tags,
      summary: 'What merging a branch would do now, conflicts included (writes nothing)',
      params: PromptParams,
      querystring: MergePreviewQuery,
      response: { 200: MergePreview, ...problemResponses },
    },
    handler: async (request) =>
      branches.preview(principalOf(request).projectId, request.params.name, request.query),
  });

  r.post('/api/v1/prompts/:name/merges', {
    schema: {
      operationId: 'mergeBranch',
      tags,
      summary: 'Merge a branch into the main line or another branch (three-way)',
      description:
        'A clean merge (or a submitted `resolved` content with `parents`) saves a merge version with two parents on the target line. Conflicts answer 409 MERGE_CONFLICT with the hunks (template regions, messages, config keys) and the three version numbers.',
      params: PromptParams,
      body: MergeRequest,
      response: { 201: MergeResult, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      return reply
        .code(201)
        .send(await branches.merge(p.projectId, request.params.name, request.body, p.name));
    },
  });
}
