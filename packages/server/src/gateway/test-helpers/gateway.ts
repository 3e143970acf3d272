/** Fixtures of the gateway's tests: a listening server per dialect, the real `openai` client, upstreams. */
import type { SpanInput } from '@promptline/core';
import { startWireServer, type WireServer } from '@promptline/core/test-helpers/wire-server';
import OpenAI from 'openai';
import type { Dialect } from '../../db/database.ts';
import { createTestClient } from '../../test-helpers/client.ts';
import { startTestServer, type TestServer } from '../../test-helpers/server.ts';

export interface GatewayFixture {
  server: TestServer;
  api: ReturnType<typeof createTestClient>;
  /** Spans the gateway recorded (in-memory ingest until read back through the trace service). */
  spans: { projectId: number; span: SpanInput }[];
  /** The `openai` client on the gateway, no client-side retries (the gateway's own are tested). */
  openai(apiKey?: string): OpenAI;
  /** Stores an openai-compatible provider `name` pointing at `baseUrl`. */
  upstream(name: string, baseUrl: string, kind?: string, apiKey?: string): Promise<void>;
  /** Starts a scripted OpenAI-compatible server and stores it as a new provider (`up1`, `up2`…). */
  startUpstream(
    handler: Parameters<typeof startWireServer>[0],
  ): Promise<{ server: WireServer; name: string }>;
  /** Closes the servers `startUpstream` started (after each test). */
  closeUpstreams(): Promise<void>;
  close(): Promise<void>;
}

export async function startGateway(dialect: Dialect): Promise<GatewayFixture> {
  const spans: GatewayFixture['spans'] = [];
  const server = await startTestServer({
    dialect,
    listen: true,
    gateway: {
      recordIntervalMs: 20,
      ingest: {
        ingest: async (projectId, batch) => {
          for (const span of batch) spans.push({ projectId, span });
        },
      },
    },
  });
  const api = createTestClient(server.app, server.apiKey);
  const upstreams: WireServer[] = [];
  let seq = 0;
  const fixture: GatewayFixture = {
    server,
    api,
    spans,
    openai: (apiKey = server.apiKey) =>
      new OpenAI({ baseURL: `${server.url}/gateway/v1`, apiKey, maxRetries: 0 }),
    async upstream(name, baseUrl, kind = 'openai-compatible', apiKey = 'sk-upstream-secret') {
      const body: Record<string, unknown> = { baseUrl, apiKey };
      if (!['openai', 'anthropic', 'gemini', 'openai-compatible'].includes(name)) body.kind = kind;
      const response = await api.put(`/api/v1/providers/${name}`, body);
      if (response.status !== 200)
        throw new Error(`configuring ${name}: ${response.status} ${response.text}`);
    },
    async startUpstream(handler) {
      const upstream = await startWireServer(handler);
      upstreams.push(upstream);
      const name = `up${++seq}`;
      await fixture.upstream(name, `${upstream.url}/v1`);
      return { server: upstream, name };
    },
    closeUpstreams: async () => {
      await Promise.all(upstreams.splice(0).map((u) => u.close()));
    },
    close: () => server.close(),
  };
  return fixture;
}

/** What the upstream received as the n-th request's JSON body. */
export function bodyOf(server: WireServer, index: number): Record<string, unknown> {
  return (server.requests[index]?.body ?? {}) as Record<string, unknown>;
}

/** An OpenAI chat completion as an upstream answers it. */
export function completion(content: string | null, extra: Record<string, unknown> = {}) {
  return {
    id: 'chatcmpl-up',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'gpt-4o-mini-2024-07-18',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
    ...extra,
  };
}

/** One streamed chunk as OpenAI sends it. */
export function chunk(delta: Record<string, unknown>, finish: string | null = null) {
  return {
    id: 'chatcmpl-up',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'gpt-4o-mini-2024-07-18',
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  };
}

export function usageChunk() {
  return {
    id: 'chatcmpl-up',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'gpt-4o-mini-2024-07-18',
    choices: [],
    usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
  };
}

/** Waits until `check` holds (spans are recorded in the background). */
export async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
