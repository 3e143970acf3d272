/**
 * Typed inputs in the SDK: a version that declares `config.input.schema` refuses variables that
 * break it at render, locally, with the same INPUT_INVALID error (and field list) as the server.
 */
import { startTestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from './client.ts';

type Server = Awaited<ReturnType<typeof startTestServer>>;
let server: Server;

async function api(method: 'POST' | 'PUT', path: string, body: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { code?: string; errors?: unknown } };
}

beforeAll(async () => {
  server = await startTestServer({ dialect: 'sqlite' });
});
afterAll(async () => {
  await server?.close();
});

describe('typed inputs in the SDK', () => {
  it('throws INPUT_INVALID naming each field before rendering, as the server does; strict: false skips the check', async () => {
    const name = 'typed/sdk';
    const input = {
      schema: { customer: { name: 'string' }, ticket: 'string', 'priority(enum)': ['low', 'high'] },
    };
    expect(
      (
        await api('POST', '/api/v1/prompts', {
          name,
          version: {
            type: 'chat',
            messages: [
              { role: 'system', content: 'Route tickets.' },
              { role: 'user', content: '{{customer.name}} ({{priority}}): {{ticket}}' },
            ],
            config: { input },
          },
        })
      ).status,
    ).toBe(201);
    expect(
      (await api('PUT', `/api/v1/prompts/${encodeURIComponent(name)}/deployments/production`, { version: 1 }))
        .status,
    ).toBe(200);
    const client = createClient({
      url: server.url,
      apiKey: server.apiKey,
      environment: 'production',
      pollIntervalMs: 60_000,
    });
    try {
      expect(await client.ready()).toBe('server');
      const prompt = client.prompt(name);
      expect(prompt.config.input).toEqual(input);
      const bad = { customer: {}, ticket: 7, priority: 'urgent' };
      let thrown: unknown;
      try {
        prompt.render(bad);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ code: 'INPUT_INVALID', status: 422 });
      const local = (thrown as { errors: unknown }).errors;
      // The server names the same fields with the same messages.
      const remote = await api('POST', `/api/v1/prompts/${encodeURIComponent(name)}/render`, {
        env: 'production',
        variables: bad,
      });
      expect(remote.body.code).toBe('INPUT_INVALID');
      expect(local).toEqual(remote.body.errors);
      expect(local).toEqual([
        { path: 'variables.customer.name', message: 'is required' },
        { path: 'variables.ticket', message: 'must be string' },
        { path: 'variables.priority', message: 'must be equal to one of the allowed values' },
      ]);
      expect(prompt.render({ customer: { name: 'Ann' }, ticket: 'Refund', priority: 'low' })).toEqual([
        { role: 'system', content: 'Route tickets.' },
        { role: 'user', content: 'Ann (low): Refund' },
      ]);
      expect(prompt.render(bad, { strict: false })).toEqual([
        { role: 'system', content: 'Route tickets.' },
        { role: 'user', content: ' (urgent): 7' },
      ]);
    } finally {
      await client.close();
    }
  });
});
