/**
 * The SDK against the real Promptline server (its test helper: a fresh SQLite database, real
 * HTTP on 127.0.0.1), deployed through the REST API.
 */
import type { IncomingMessage } from 'node:http';
import { startTestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient, type PromptlineClient } from './client.ts';
import type { UpdateEvent } from './types.ts';

type Server = Awaited<ReturnType<typeof startTestServer>>;
let server: Server;

async function api(method: 'POST' | 'PUT' | 'GET', path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${server.apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

function nextUpdate(c: PromptlineClient, prompt: string): Promise<UpdateEvent> {
  return new Promise((resolve) => {
    const off = c.on('update', (event) => {
      if (!event.changed.includes(prompt)) return;
      off();
      resolve(event);
    });
  });
}

beforeAll(async () => {
  server = await startTestServer({ dialect: 'sqlite' });
});
afterAll(async () => {
  await server?.close();
});

describe('SDK against the real server', () => {
  it('loads the snapshot, follows deployments, and picks the same variant as /resolve', async () => {
    const name = 'support/triage';
    const path = `/api/v1/prompts/${encodeURIComponent(name)}`;
    await api('POST', '/api/v1/prompts', {
      name,
      version: { type: 'text', template: 'Triage v1: {{ticket}}' },
    });
    await api('PUT', `${path}/deployments/production`, { version: 1 });

    const errors: unknown[] = [];
    const client = createClient({
      url: server.url,
      apiKey: server.apiKey,
      environment: 'production',
      pollIntervalMs: 100,
      onError: (e) => errors.push(e),
    });
    try {
      expect(await client.ready()).toBe('server');
      const first = client.prompt(name, { unit: 'user-1' });
      expect(first).toMatchObject({ version: 1, semver: expect.any(String), source: 'server' });
      expect(first.render({ ticket: 'refund' })).toBe('Triage v1: refund');

      await api('POST', `${path}/versions`, { type: 'text', template: 'Triage v2: {{ticket}}' });
      const updated = nextUpdate(client, name);
      const t0 = performance.now();
      await api('PUT', `${path}/deployments/production`, {
        variants: [
          { version: 2, weight: 2_500 },
          { version: 1, weight: 7_500 },
        ],
      });
      await updated;
      console.log(
        `[sdk] real server, deployment → update (${client.connection}): ${(performance.now() - t0).toFixed(1)} ms`,
      );

      const versions = new Set<number>();
      for (let i = 0; i < 40; i++) {
        const unit = `user-${i}`;
        const local = client.prompt(name, { unit });
        const remote = (await api('GET', `${path}/resolve?env=production&unit=${unit}`)) as {
          variant: number;
          version: number;
        };
        expect({ variant: local.variant, version: local.version }).toEqual({
          variant: remote.variant,
          version: remote.version,
        });
        versions.add(local.version);
      }
      expect(versions).toEqual(new Set([1, 2]));
      // Either the stream (once the server has it) or polling after its 404: never an error.
      expect(['streaming', 'polling']).toContain(client.connection);
      expect(errors).toEqual([]);
    } finally {
      await client.close();
    }
  });
});

describe('SDK against the real server: snapshots inside stream events', () => {
  it('adopts changes from the stream without a snapshot request, fetches only above the inline limit, and catches up from the connect event after a reconnect', async () => {
    // Counted at the server's socket, whatever the SDK believes it did.
    const requests: string[] = [];
    const streamSockets: { destroy(): void }[] = [];
    const count = (req: IncomingMessage) => {
      requests.push(req.url ?? '');
      if (req.url?.endsWith('/stream')) streamSockets.push(req.socket);
    };
    // Cuts the client's stream only (a proxy or a restart would): the test's own requests go on.
    const cutStreams = () => {
      for (const socket of streamSockets.splice(0)) socket.destroy();
    };
    server.app.server.on('request', count);
    const snapshots = () => requests.filter((url) => url.endsWith('/staging/snapshot')).length;
    const streams = () => requests.filter((url) => url.endsWith('/staging/stream')).length;
    const name = 'inline/greet';
    const path = `/api/v1/prompts/${encodeURIComponent(name)}`;
    await api('POST', '/api/v1/prompts', { name, version: { type: 'text', template: 'v1 {{x}}' } });
    await api('POST', `${path}/versions`, { type: 'text', template: 'v2 {{x}}' });
    await api('PUT', `${path}/deployments/staging`, { version: 1 });

    const errors: unknown[] = [];
    const client = createClient({
      url: server.url,
      apiKey: server.apiKey,
      environment: 'staging',
      // Reconnect later than the deployment below takes, so the connect event is what brings it.
      reconnect: { baseMs: 400, maxMs: 400 },
      onError: (e) => errors.push(e),
    });
    try {
      expect(await client.ready()).toBe('server');
      const deadline = Date.now() + 5_000;
      while (client.connection !== 'streaming' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      expect(snapshots()).toBe(1);

      let updated = nextUpdate(client, name);
      await api('PUT', `${path}/deployments/staging`, { version: 2 });
      await updated;
      expect(client.prompt(name).render({ x: 'a' })).toBe('v2 a');
      expect(snapshots()).toBe(1);

      // Streams cut (a proxy, a restart): the change made meanwhile arrives with the reconnect,
      // inside its connect event.
      cutStreams();
      updated = nextUpdate(client, name);
      await api('PUT', `${path}/deployments/staging`, { version: 1 });
      await updated;
      expect(client.prompt(name).render({ x: 'b' })).toBe('v1 b');
      expect(streams()).toBe(2);
      expect(snapshots()).toBe(1);

      // 300 KiB of template: above the 256 KiB limit, so that event carries the ETag only.
      const big = 'inline/big';
      await api('POST', '/api/v1/prompts', {
        name: big,
        version: { type: 'text', template: `${'y'.repeat(300 * 1024)}{{x}}` },
      });
      updated = nextUpdate(client, big);
      await api('PUT', `/api/v1/prompts/${encodeURIComponent(big)}/deployments/staging`, { version: 1 });
      await updated;
      expect(client.prompt(big).render({ x: '!' })).toHaveLength(300 * 1024 + 1);
      expect(snapshots()).toBe(2);

      // A small change in that large environment still travels as a delta.
      updated = nextUpdate(client, name);
      await api('PUT', `${path}/deployments/staging`, { version: 2 });
      await updated;
      expect(snapshots()).toBe(2);

      // Reconnecting to it: the connect event carries the ETag only, and the client fetches.
      cutStreams();
      updated = nextUpdate(client, name);
      await api('PUT', `${path}/deployments/staging`, { version: 1 });
      await updated;
      expect(client.prompt(name).render({ x: 'c' })).toBe('v1 c');
      expect(streams()).toBe(3);
      expect(snapshots()).toBe(3);
      expect(errors.every((e) => /stream/.test(String(e)))).toBe(true);
    } finally {
      server.app.server.off('request', count);
      await client.close();
    }
  });

  it('close() is not an error: nothing reaches the default onError (console.warn), closed ready or connecting', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const ready = createClient({ url: server.url, apiKey: server.apiKey, environment: 'production' });
      expect(await ready.ready()).toBe('server');
      // Closed while its stream is open, and another while its first snapshot is still in flight.
      const connecting = createClient({ url: server.url, apiKey: server.apiKey, environment: 'staging' });
      const polling = createClient({
        url: server.url,
        apiKey: server.apiKey,
        environment: 'production',
        updates: 'poll',
        pollIntervalMs: 20,
      });
      await polling.ready();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await Promise.all([ready.close(), connecting.close(), polling.close()]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(warn.mock.calls).toEqual([]);
    } finally {
      warn.mockRestore();
    }
  });

  it('renders partials as the server does, after the server refused the deploy that would break them', async () => {
    const path = (n: string) => `/api/v1/prompts/${encodeURIComponent(n)}`;
    await api('POST', '/api/v1/prompts', {
      name: 'sdk/tone',
      version: { type: 'text', template: 'Be kind.' },
    });
    await api('POST', '/api/v1/prompts', {
      name: 'sdk/reply',
      version: { type: 'text', template: 'Reply to {{who}}. {{> sdk/tone}}' },
    });
    await expect(api('PUT', `${path('sdk/reply')}/deployments/production`, { version: 1 })).rejects.toThrow(
      /409.*DEPLOY_PARTIAL_MISSING/,
    );
    await api('PUT', `${path('sdk/tone')}/deployments/production`, { version: 1 });
    await api('PUT', `${path('sdk/reply')}/deployments/production`, { version: 1 });
    const client = createClient({ url: server.url, apiKey: server.apiKey, environment: 'production' });
    try {
      await client.ready();
      const remote = (await api('POST', `${path('sdk/reply')}/render`, {
        env: 'production',
        variables: { who: 'Ann' },
      })) as { text: string };
      const local = client.prompt('sdk/reply');
      expect(local.type === 'text' && local.render({ who: 'Ann' })).toBe(remote.text);
      expect(remote.text).toBe('Reply to Ann. Be kind.');
    } finally {
      await client.close();
    }
  });
});
