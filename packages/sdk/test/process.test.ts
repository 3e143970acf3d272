/**
 * The SDK against the Promptline server as a real process (what `npm start` runs), driven through
 * the REST API: loading, live updates, the server being killed and restarted under a running
 * client, an application restart while the server is down, fallbacks, and sticky rollouts.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppError, isAppError } from '@promptline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClientOptions, createClient, type PromptlineClient } from '../src/client.ts';
import type { UpdateEvent } from '../src/types.ts';
import {
  createPostgresDatabase,
  freePort,
  randomApiKey,
  type ServerProcess,
  startServerProcess,
} from './server-process.ts';

const TEXT = 'support/triage';
const CHAT = 'support/chat';
const path = (name: string) => `/api/v1/prompts/${encodeURIComponent(name)}`;

/** Resolves with the next `update` event in which `prompt` changed. */
function nextUpdate(c: PromptlineClient, prompt: string): Promise<UpdateEvent> {
  return new Promise((resolve) => {
    const off = c.on('update', (event) => {
      if (!event.changed.includes(prompt)) return;
      off();
      resolve(event);
    });
  });
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function waitFor(check: () => boolean, what: string, deadlineMs = 5_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The ETag of the snapshot in the SDK's disk copy, or undefined while there is none (or it is half-written). */
function diskEtag(path: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { snapshot?: { etag?: string } }).snapshot?.etag;
  } catch {
    return undefined;
  }
}

/** Every SDK client of a test: short reconnect delays so a restarted server is found again quickly. */
function sdkClient(server: { url: string }, apiKey: string, options: Partial<ClientOptions> = {}) {
  const errors: AppError[] = [];
  const client = createClient({
    url: server.url,
    apiKey,
    environment: 'production',
    onError: (error) => errors.push(error),
    // The cap also caps the server's `retry: 2000` hint (it becomes the base, bounded by maxMs).
    reconnect: { baseMs: 100, maxMs: 500 },
    ...options,
  });
  return { client, errors };
}

/** Text and chat prompts, both deployed to production at version 1. */
async function seed(server: ServerProcess): Promise<void> {
  await server.api('POST', '/api/v1/prompts', {
    name: TEXT,
    version: {
      type: 'text',
      template: 'Triage v1 for {{customer}}: {{ticket}}',
      config: { provider: 'openai', model: 'gpt-4o-mini' },
    },
  });
  await server.api('POST', '/api/v1/prompts', {
    name: CHAT,
    version: {
      type: 'chat',
      messages: [
        { role: 'system', content: 'You help {{customer}}.' },
        { type: 'placeholder', name: 'history' },
        { role: 'user', content: '{{question}}' },
      ],
    },
  });
  await server.api('PUT', `${path(TEXT)}/deployments/production`, { version: 1 });
  await server.api('PUT', `${path(CHAT)}/deployments/production`, { version: 1 });
}

/** Flow 1–2 on any database: ready → prompt → render (text and chat), then a deployment reaches the client. */
async function readyRenderAndFollow(server: ServerProcess, apiKey: string, label: string): Promise<void> {
  await seed(server);
  const { client, errors } = sdkClient(server, apiKey);
  try {
    expect(await client.ready()).toBe('server');
    const text = client.prompt(TEXT, { unit: 'user-1' });
    expect(text).toMatchObject({ type: 'text', version: 1, source: 'server', variant: 0 });
    expect(text.config).toMatchObject({ model: 'gpt-4o-mini' });
    if (text.type !== 'text') throw new Error('expected a text prompt');
    const rendered = text.render({ customer: 'ACME', ticket: 'refund please' });
    expect(rendered).toBe('Triage v1 for ACME: refund please');
    // The SDK renders locally exactly what the server renders.
    const remote = await server.api<{ text: string }>('POST', `${path(TEXT)}/render`, {
      env: 'production',
      variables: { customer: 'ACME', ticket: 'refund please' },
    });
    expect(remote.text).toBe(rendered);

    const chat = client.prompt(CHAT, { unit: 'user-1' });
    if (chat.type !== 'chat') throw new Error('expected a chat prompt');
    expect(
      chat.render({
        customer: 'ACME',
        question: 'Where is my order?',
        history: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello' },
        ],
      }),
    ).toEqual([
      { role: 'system', content: 'You help ACME.' },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'Where is my order?' },
    ]);

    await waitFor(() => client.connection === 'streaming', 'the client to open the stream');
    await server.api('POST', `${path(TEXT)}/versions`, {
      type: 'text',
      template: 'Triage v2 for {{customer}}: {{ticket}}',
    });
    const updated = nextUpdate(client, TEXT);
    await server.api('PUT', `${path(TEXT)}/deployments/production`, { version: 2 });
    const answeredAt = performance.now();
    const event = await within(updated, 5_000, 'the deployment change reaching the client');
    console.log(
      `[sdk process ${label}] deployment → client update: ${(performance.now() - answeredAt).toFixed(1)} ms after the PUT's response`,
    );
    expect(event).toMatchObject({ environment: 'production', source: 'server', changed: [TEXT] });
    const now = client.prompt(TEXT, { unit: 'user-1' });
    expect(now.version).toBe(2);
    expect(now.type === 'text' && now.render({ customer: 'ACME', ticket: 'x' })).toBe(
      'Triage v2 for ACME: x',
    );
    expect(errors).toEqual([]);
  } finally {
    await client.close();
  }
}

describe('SDK against a server process on SQLite', () => {
  const apiKey = randomApiKey();
  let dir: string;
  let dataDir: string;
  let cachePath: string;
  let port: number;
  let server: ServerProcess;
  /** The long-lived client of the application, across the server's death and restart. */
  let app: { client: PromptlineClient; errors: AppError[] };
  /** The application restarted while the server was down. */
  let restarted: { client: PromptlineClient; errors: AppError[] } | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'promptline-sdk-process-'));
    dataDir = join(dir, 'data');
    cachePath = join(dir, 'app-cache', 'production.json');
    port = await freePort();
    server = await startServerProcess({ port, dataDir, apiKey });
    // A cold start runs every migration; on a loaded machine that has taken over 30 s.
  }, 120_000);

  afterAll(async () => {
    await app?.client.close();
    await restarted?.client.close();
    await server?.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the snapshot, renders text and chat prompts locally, and follows a deployment change', async () => {
    await readyRenderAndFollow(server, apiKey, 'sqlite');
    // The application's client, with a disk copy, for the tests below.
    app = sdkClient(server, apiKey, { cachePath });
    expect(await app.client.ready()).toBe('server');
    expect(app.client.prompt(TEXT).version).toBe(2);
    await waitFor(() => app.client.connection === 'streaming', 'the app client to stream');
    // The disk copy is written in the background after each snapshot: wait until it holds what
    // memory holds, so the tests below (server killed) start from a complete copy.
    await waitFor(() => diskEtag(cachePath) === app.client.etag, 'the disk copy to be written');
  });

  it('keeps rendering from memory after the server is SIGKILLed, reporting to onError without throwing', async () => {
    const etag = app.client.etag;
    await server.kill('SIGKILL');
    await waitFor(() => app.errors.length > 0, 'onError after the server died');
    expect(app.errors.every(isAppError)).toBe(true);
    expect(app.errors[0]?.details).toMatchObject({ operation: 'stream' });

    const prompt = app.client.prompt(TEXT, { unit: 'user-7' });
    expect(prompt).toMatchObject({ version: 2, source: 'server' });
    expect(prompt.type === 'text' && prompt.render({ customer: 'ACME', ticket: 'still here' })).toBe(
      'Triage v2 for ACME: still here',
    );
    const chat = app.client.prompt(CHAT, { unit: 'user-7' });
    expect(chat.type === 'chat' && chat.render({ customer: 'ACME', question: 'q', history: [] })).toEqual([
      { role: 'system', content: 'You help ACME.' },
      { role: 'user', content: 'q' },
    ]);
    // A refresh asked for by the application fails quietly too.
    const failuresBefore = app.errors.length;
    await expect(app.client.refresh()).resolves.toBe(false);
    expect(app.errors.length).toBeGreaterThan(failuresBefore);
    expect(app.errors.at(-1)?.details).toMatchObject({ operation: 'snapshot' });
    expect(app.client.etag).toBe(etag);

    // The disk copy holds what memory holds.
    const copy = JSON.parse(await readFile(cachePath, 'utf8')) as { snapshot: { etag: string } };
    expect(copy.snapshot.etag).toBe(etag);
  });

  it('serves the disk copy to an application restarted while the server is down', async () => {
    restarted = sdkClient({ url: `http://127.0.0.1:${port}` }, apiKey, { cachePath });
    expect(await restarted.client.ready({ timeoutMs: 5_000 })).toBe('cache');
    const prompt = restarted.client.prompt(TEXT, { unit: 'user-7' });
    expect(prompt).toMatchObject({ version: 2, source: 'cache' });
    expect(prompt.type === 'text' && prompt.render({ customer: 'Initech', ticket: 'cold start' })).toBe(
      'Triage v2 for Initech: cold start',
    );
    expect(restarted.client.prompt(CHAT).source).toBe('cache');
    expect(restarted.client.etag).toBe(app.client.etag);
    expect(restarted.errors.map((e) => e.details)).toContainEqual({ operation: 'snapshot' });
  });

  it('reconnects by itself when the server restarts on the same data dir and port, and sees a later deployment', async () => {
    server = await startServerProcess({ port, dataDir, apiKey });
    const second = restarted;
    if (second === undefined) throw new Error('the previous test did not run');
    await waitFor(() => app.client.connection === 'streaming', 'the app client to reconnect', 10_000);
    await waitFor(() => second.client.connection === 'streaming', 'the restarted client to connect', 10_000);
    // The server vouches for the disk copy (same ETag): it now counts as the server's.
    await waitFor(
      () => second.client.prompt(TEXT).source === 'server',
      'the disk copy to be confirmed by the server',
    );

    const seenByApp = nextUpdate(app.client, TEXT);
    const seenByRestarted = nextUpdate(second.client, TEXT);
    await server.api('POST', `${path(TEXT)}/versions`, {
      type: 'text',
      template: 'Triage v3 for {{customer}}: {{ticket}}',
    });
    await server.api('PUT', `${path(TEXT)}/deployments/production`, { version: 3 });
    await within(Promise.all([seenByApp, seenByRestarted]), 5_000, 'the deployment after the restart');
    for (const c of [app.client, second.client]) {
      const prompt = c.prompt(TEXT, { unit: 'user-7' });
      expect(prompt).toMatchObject({ version: 3, source: 'server' });
      expect(prompt.type === 'text' && prompt.render({ customer: 'ACME', ticket: 'back' })).toBe(
        'Triage v3 for ACME: back',
      );
    }
    // The disk copy follows (written after each snapshot; close() waits for the pending write).
    await second.client.close();
    const copy = JSON.parse(await readFile(cachePath, 'utf8')) as { snapshot: { etag: string } };
    expect(copy.snapshot.etag).toBe(app.client.etag);
  });

  it('keeps every unit of the 5% on the new version at 25% and 100%, agreeing with /resolve', async () => {
    const name = 'exp/sticky';
    await server.api('POST', '/api/v1/prompts', { name, version: { type: 'text', template: 'old' } });
    await server.api('POST', `${path(name)}/versions`, { type: 'text', template: 'new' });
    await server.api('PUT', `${path(name)}/deployments/production`, { version: 1 });
    await waitFor(() => {
      try {
        return app.client.prompt(name).version === 1;
      } catch {
        return false;
      }
    }, 'the new prompt to reach the client');

    const units = Array.from({ length: 300 }, (_, i) => `user-${i}`);
    const onNew: Set<string>[] = [];
    for (const weight of [500, 2_500, 10_000]) {
      const variants =
        weight === 10_000
          ? [{ version: 2, weight }]
          : [
              { version: 2, weight },
              { version: 1, weight: 10_000 - weight },
            ];
      const updated = nextUpdate(app.client, name);
      await server.api('PUT', `${path(name)}/deployments/production`, { variants });
      await within(updated, 5_000, `the ${weight / 100}% rollout reaching the client`);
      const current = new Set<string>();
      await Promise.all(
        units.map(async (unit) => {
          const local = app.client.prompt(name, { unit });
          const remote = await server.api<{ version: number; variant: number }>(
            'GET',
            `${path(name)}/resolve?env=production&unit=${unit}`,
          );
          expect({ unit, version: local.version, variant: local.variant }).toEqual({
            unit,
            version: remote.version,
            variant: remote.variant,
          });
          if (local.version === 2) current.add(unit);
        }),
      );
      onNew.push(current);
    }
    const [five, twentyFive, all] = onNew.map((set) => [...set]);
    console.log(
      `[sdk process] units on the new version at 5% / 25% / 100%: ${five?.length} / ${twentyFive?.length} / ${all?.length} of ${units.length}`,
    );
    // 300 units: about 15 and 75 expected; the bounds only rule out a broken split.
    expect(five?.length).toBeGreaterThan(3);
    expect(five?.length).toBeLessThan(40);
    expect(twentyFive?.length).toBeGreaterThan(40);
    expect(twentyFive?.length).toBeLessThan(120);
    expect(all).toHaveLength(units.length);
    for (const unit of five ?? []) expect(onNew[1]?.has(unit)).toBe(true);
    for (const unit of twentyFive ?? []) expect(onNew[2]?.has(unit)).toBe(true);
  });
});

describe('SDK with nothing ever loaded', () => {
  it('serves the fallback when no server answers, and never throws for a prompt that has one', async () => {
    const port = await freePort();
    const { client, errors } = sdkClient({ url: `http://127.0.0.1:${port}` }, randomApiKey(), {
      fallbacks: {
        [TEXT]: { type: 'text', template: 'Fallback triage: {{ticket}}', config: { model: 'gpt-4o-mini' } },
        [CHAT]: { type: 'chat', messages: [{ role: 'user', content: 'Fallback: {{question}}' }] },
      },
    });
    try {
      expect(await client.ready({ timeoutMs: 5_000 })).toBe('fallback');
      const text = client.prompt(TEXT, { unit: 'user-1' });
      expect(text).toMatchObject({ version: 0, semver: '0.0.0', source: 'fallback', hash: '' });
      expect(text.type === 'text' && text.render({ ticket: 'help' })).toBe('Fallback triage: help');
      const chat = client.prompt(CHAT);
      expect(chat.type === 'chat' && chat.render({ question: 'why?' })).toEqual([
        { role: 'user', content: 'Fallback: why?' },
      ]);
      expect(client.etag).toBeNull();
      expect(errors.length).toBeGreaterThan(0);
      expect(errors[0]).toMatchObject({
        code: 'SERVER_UNREACHABLE',
        status: 503,
        details: { operation: 'snapshot' },
      });
      // Only a prompt without a fallback is an error, and a synchronous, documented one.
      expect(() => client.prompt('not/shipped')).toThrow(
        expect.objectContaining({ code: 'DEPLOYMENT_NOT_FOUND' }),
      );
    } finally {
      await client.close();
    }
  });
});

describe('SDK against a server process on PostgreSQL', () => {
  const apiKey = randomApiKey();
  let dir: string;
  let server: ServerProcess | undefined;
  let database: Awaited<ReturnType<typeof createPostgresDatabase>> | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'promptline-sdk-process-pg-'));
    database = await createPostgresDatabase();
    server = await startServerProcess({
      port: await freePort(),
      dataDir: dir,
      apiKey,
      databaseUrl: database.url,
    });
  }, 120_000);

  afterAll(async () => {
    await server?.kill('SIGTERM');
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the snapshot, renders text and chat prompts locally, and follows a deployment change', async () => {
    if (server === undefined) throw new Error('the server did not start');
    await readyRenderAndFollow(server, apiKey, 'postgres');
  });
});
