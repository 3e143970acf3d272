/**
 * Trace export against the Promptline server as a real process (what `npm start` runs), on SQLite
 * and on PostgreSQL: spans recorded through `record`, `trace` and the `openai` wrapper arrive and
 * count in the prompt's metrics; with the server killed they wait in memory up to the bound (the
 * oldest dropped, counted and reported) and are sent once it is back on the same port; `close()`
 * sends what is left.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppError } from '@promptline/core';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type PromptlineClient } from '../src/client.ts';
import { type ChatServer, startChatServer } from '../src/test-helpers/chat-server.ts';
import {
  createPostgresDatabase,
  freePort,
  randomApiKey,
  type ServerProcess,
  startServerProcess,
} from './server-process.ts';

const PROMPT = 'support/triage';
const path = `/api/v1/prompts/${encodeURIComponent(PROMPT)}`;

interface TraceSpanRead {
  spanId: string;
  source: string;
  parentSpanId?: string;
  name: string;
  depth: number;
  status: string;
  model?: string;
  usage?: { input: number; output: number };
  prompt?: { name: string; version: number; environment?: string; variant?: number };
  unit?: string;
  timeToFirstTokenMs?: number;
  output?: unknown;
  scores: { name: string; value: unknown; source: string; comment: string | null }[];
}

interface VersionMetrics {
  version: number;
  count: number;
  errors: number;
  tokens: { input: number; output: number };
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function tracingAgainstProcess(dialect: 'sqlite' | 'postgres') {
  const apiKey = randomApiKey();
  let dir: string;
  let port: number;
  let server: ServerProcess;
  let database: Awaited<ReturnType<typeof createPostgresDatabase>> | undefined;
  let chat: ChatServer;
  let client: PromptlineClient;
  const errors: AppError[] = [];
  const start = () =>
    startServerProcess({
      port,
      dataDir: join(dir, 'data'),
      apiKey,
      ...(database === undefined ? {} : { databaseUrl: database.url }),
    });

  async function readTrace(traceId: string): Promise<{ spans: TraceSpanRead[] }> {
    return server.api('GET', `/api/v1/traces/${traceId}`);
  }

  /** The prompt's metrics for version 1 in production over the last hour. */
  async function metrics(): Promise<VersionMetrics | undefined> {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const body = await server.api<{ versions: VersionMetrics[] }>(
      'GET',
      `${path}/metrics?env=production&interval=1h&from=${from}`,
    );
    return body.versions.find((v) => v.version === 1);
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'promptline-sdk-tracing-'));
    port = await freePort();
    if (dialect === 'postgres') database = await createPostgresDatabase();
    server = await start();
    await server.api('POST', '/api/v1/prompts', {
      name: PROMPT,
      version: { type: 'text', template: 'Triage: {{ticket}}' },
    });
    await server.api('PUT', `${path}/deployments/production`, { version: 1 });
    chat = await startChatServer({ firstTokenDelayMs: 20, chunkDelayMs: 5 });
    client = createClient({
      url: server.url,
      apiKey,
      environment: 'production',
      onError: (e) => errors.push(e),
      reconnect: { baseMs: 100, maxMs: 500 },
      tracing: {
        maxQueueSize: 200,
        maxBatchSize: 50,
        flushIntervalMs: 100,
        retry: { baseMs: 50, maxMs: 300 },
      },
    });
    expect(await client.ready()).toBe('server');
  });

  afterAll(async () => {
    await client?.close();
    await chat?.close();
    await server?.kill('SIGKILL');
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('spans from record, trace and the openai wrapper arrive, linked to the resolved version', async () => {
    const openai = new OpenAI({ baseURL: chat.url, apiKey: 'sk-test', maxRetries: 0 });
    const prompt = client.prompt(PROMPT, { unit: 'user-1' });
    expect(prompt).toMatchObject({ name: PROMPT, version: 1, environment: 'production', variant: 0 });
    const text = prompt.type === 'text' ? prompt.render({ ticket: 'refund' }) : '';

    const root = await client.trace('handle-ticket', async (span) => {
      const stream = await client.wrapOpenAI(openai, { prompt, unit: 'user-1' }).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: text }],
        stream: true,
        stream_options: { include_usage: true },
      });
      for await (const _ of stream) {
        // read to the end
      }
      return span;
    });
    client.record({
      name: 'manual',
      prompt,
      usage: { input: 100, output: 10 },
      durationMs: 120,
      error: 'timeout',
    });

    expect(await client.flush()).toBe(true);
    // Read back: the trace() span and, under it, the generation with everything the wrapper saw.
    const trace = await readTrace(root.traceId);
    expect(trace.spans.map((s) => [s.name, s.depth])).toEqual([
      ['handle-ticket', 0],
      ['openai.chat.completions', 1],
    ]);
    const generation = trace.spans[1];
    expect(trace.spans.map((s) => s.source)).toEqual(['sdk', 'sdk']);
    expect(generation).toMatchObject({
      parentSpanId: root.spanId,
      status: 'ok',
      model: 'gpt-4o-mini-2026',
      usage: { input: 12, output: 7 },
      prompt: { name: PROMPT, version: 1, environment: 'production', variant: 0 },
      unit: 'user-1',
      output: { role: 'assistant', content: 'echo: Triage: refund' },
    });
    expect(generation?.timeToFirstTokenMs).toBeGreaterThanOrEqual(15);

    // A score on the generation, sent in the background after it.
    client.score({
      traceId: root.traceId,
      spanId: generation?.spanId ?? '',
      name: 'thumbs_up',
      value: true,
      source: 'user',
      comment: 'right',
    });
    expect(await client.flush()).toBe(true);
    const scored = await readTrace(root.traceId);
    expect(scored.spans[1]?.scores).toMatchObject([
      { name: 'thumbs_up', value: true, source: 'user', comment: 'right' },
    ]);

    // The generation and the manual span name the prompt; the trace() span does not.
    expect(await metrics()).toMatchObject({ count: 2, errors: 1, tokens: { input: 112, output: 17 } });
    expect(client.tracingStats()).toMatchObject({ queued: 0, sent: 3, dropped: 0, scoresSent: 1 });
    expect(errors).toEqual([]);
  });

  it('keeps the newest spans up to the bound while the server is down, and sends them when it is back on the same port', async () => {
    await server.kill('SIGKILL');
    const prompt = client.prompt(PROMPT, { unit: 'user-2' });
    const offline = Array.from({ length: 300 }, (_, i) =>
      client.record({ name: `offline-${i}`, prompt, usage: { input: 1, output: 1 } }),
    );
    expect(client.tracingStats()).toMatchObject({ queued: 200, dropped: 100 });
    await waitFor(
      () =>
        errors.some((e) => e.code === 'TELEMETRY_DROPPED') &&
        errors.some((e) => e.message.includes('trace export')),
      'the drop report and a failed export',
    );
    expect(errors.find((e) => e.code === 'TELEMETRY_DROPPED')?.details).toMatchObject({ spans: 100 });
    // Still down: flush gives up at its timeout without throwing, nothing is lost meanwhile.
    expect(await client.flush({ timeoutMs: 300 })).toBe(false);
    expect(client.tracingStats()).toMatchObject({ queued: 200, dropped: 100 });

    server = await start();
    // The background worker finds the server again by itself.
    await waitFor(() => client.tracingStats().queued === 0, 'the queued spans to be sent', 20_000);
    expect(await metrics()).toMatchObject({ count: 202, tokens: { input: 312, output: 217 } });
    expect(client.tracingStats()).toMatchObject({ sent: 203, dropped: 100 });
    // The oldest were the ones dropped.
    expect((await readTrace(offline[299]?.traceId ?? '')).spans[0]?.name).toBe('offline-299');
    expect((await readTrace(offline[100]?.traceId ?? '')).spans[0]?.name).toBe('offline-100');
    await expect(readTrace(offline[99]?.traceId ?? '')).rejects.toThrow(/404/);
  });

  it('close() sends what is still queued', async () => {
    const prompt = client.prompt(PROMPT);
    for (let i = 0; i < 5; i++) client.record({ name: `last-${i}`, prompt, usage: { input: 1, output: 1 } });
    await client.close();
    expect(await metrics()).toMatchObject({ count: 207 });
  });
}

describe('SDK tracing against a server process on SQLite', () => {
  tracingAgainstProcess('sqlite');
});

describe('SDK tracing against a server process on PostgreSQL', () => {
  tracingAgainstProcess('postgres');
});
