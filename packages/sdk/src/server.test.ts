/**
 * The SDK against the real Promptline server (its test helper: a fresh SQLite database, real
 * HTTP on 127.0.0.1), deployed through the REST API.
 */
import { startTestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
