import {
  listOf,
  PriceTable,
  ProviderCredentialRequest,
  ProviderInfo,
  ProviderName,
  ProviderTestRequest,
  ProviderTestResult,
  PutPricesRequest,
} from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import type { ProviderService } from './service.ts';

const ProviderParams = z.object({ provider: ProviderName });

/** Provider credentials (`/api/v1/providers…`, write-only) and price overrides (`/api/v1/prices`). */
export function registerProviderRoutes(
  app: FastifyInstance,
  { providers }: { providers: ProviderService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/v1/providers', {
    schema: {
      operationId: 'listProviders',
      tags: ['providers'],
      summary:
        'Providers and whether they are configured (keys are never shown, at most their last 4 characters)',
      response: { 200: listOf(ProviderInfo), ...problemResponses },
    },
    handler: async (request) => ({ items: await providers.list(principalOf(request).projectId) }),
  });

  r.put('/api/v1/providers/:provider', {
    config: { role: 'admin' },
    schema: {
      operationId: 'configureProvider',
      tags: ['providers'],
      summary: "Store a provider's credentials (encrypted at rest, write-only)",
      description:
        'Body `{apiKey?, baseUrl?, headers?, kind?}`. Omitted fields keep their stored value; `null` clears `baseUrl` or `headers`. `kind` is needed for a name of your own (`ollama` → `openai-compatible`).',
      params: ProviderParams,
      body: ProviderCredentialRequest,
      response: { 200: ProviderInfo, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return providers.configure(p.projectId, request.params.provider, request.body, p.name);
    },
  });

  r.delete('/api/v1/providers/:provider', {
    config: { role: 'admin' },
    schema: {
      operationId: 'removeProvider',
      tags: ['providers'],
      summary: "Delete a provider's stored credentials",
      params: ProviderParams,
      response: { 204: z.null().describe('Deleted'), ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      await providers.remove(p.projectId, request.params.provider, p.name);
      return reply.code(204).send(null);
    },
  });

  r.post('/api/v1/providers/:provider/test', {
    schema: {
      operationId: 'testProvider',
      tags: ['providers'],
      summary: 'Test the connection: one request for one token of `model` with the stored credentials',
      description:
        'Answers 200 with the latency and the reply when the provider answered; otherwise `PROVIDER_NOT_CONFIGURED` (422) or `PROVIDER_ERROR` (502) with the reason (stored secrets blanked out). `mock` always succeeds. Needs the editor role (it makes a real, billed call).',
      params: ProviderParams,
      body: ProviderTestRequest,
      response: { 200: ProviderTestResult, ...problemResponses },
    },
    handler: async (request) =>
      providers.testConnection(principalOf(request).projectId, request.params.provider, request.body.model),
  });

  r.get('/api/v1/prices', {
    schema: {
      operationId: 'getPrices',
      tags: ['providers'],
      summary: "The project's model price overrides, and the shipped table they override",
      response: { 200: PriceTable, ...problemResponses },
    },
    handler: async (request) => providers.prices(principalOf(request).projectId),
  });

  r.put('/api/v1/prices', {
    schema: {
      operationId: 'setPrices',
      tags: ['providers'],
      summary: "Replace the project's price overrides (USD per million tokens)",
      description:
        'Body `{items: [{provider, pattern, input, output, cachedInput?}]}`. A pattern matches a model name and its dated snapshots, or is a glob with `*`; the most specific match wins and an override beats the shipped entry.',
      body: PutPricesRequest,
      response: { 200: PriceTable, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return providers.setPrices(p.projectId, request.body.items, p.name);
    },
  });
}
