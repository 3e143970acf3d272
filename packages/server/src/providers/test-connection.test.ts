import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveServer, startLiveServer } from '../live/test-helpers/index.ts';
import { DIALECTS } from '../test-helpers/database.ts';

const SECRET = 'sk-test-Hq4nW8xLp2Vr6Tz0';

/**
 * A local OpenAI-compatible server on 127.0.0.1:0: answers chat completions with "ok", except
 * for the model `refuse`, which gets a 401 whose message echoes the key it was sent (as some
 * upstreams do).
 */
async function startFakeProvider() {
  const received: { url: string; headers: IncomingHttpHeaders; body: Record<string, unknown> }[] = [];
  const server: Server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const body = JSON.parse(text || '{}') as Record<string, unknown>;
    received.push({ url: req.url ?? '', headers: req.headers, body });
    res.setHeader('content-type', 'application/json');
    if (body.model === 'refuse') {
      res.statusCode = 401;
      res.end(
        JSON.stringify({ error: { message: `Incorrect API key provided: ${req.headers.authorization}` } }),
      );
      return;
    }
    res.end(
      JSON.stringify({
        id: 'c1',
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'length' }],
        usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

for (const dialect of DIALECTS) {
  describe(`POST /api/v1/providers/{provider}/test (${dialect})`, () => {
    let server: LiveServer;
    let fake: Awaited<ReturnType<typeof startFakeProvider>>;

    beforeAll(async () => {
      fake = await startFakeProvider();
      server = await startLiveServer({ dialect });
    });

    afterAll(async () => {
      await server.close();
      await fake.close();
    });

    it('sends one request for one token with the stored credentials and reports the answer', async () => {
      await server.call('PUT', '/api/v1/providers/local', {
        kind: 'openai-compatible',
        baseUrl: fake.url,
        apiKey: SECRET,
        headers: { 'x-team': 'evals' },
      });
      const res = await server.call('POST', '/api/v1/providers/local/test', { model: 'tiny-1' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        provider: 'local',
        kind: 'openai-compatible',
        model: 'tiny-1',
        reply: 'ok',
      });
      expect(res.body.latencyMs).toBeGreaterThanOrEqual(0);
      expect(fake.received).toHaveLength(1);
      const sent = fake.received[0];
      expect(sent?.url).toBe('/v1/chat/completions');
      expect(sent?.headers.authorization).toBe(`Bearer ${SECRET}`);
      expect(sent?.headers['x-team']).toBe('evals');
      expect(sent?.body).toMatchObject({ model: 'tiny-1', max_tokens: 1 });
    });

    it('turns a refusal into PROVIDER_ERROR without the key the upstream echoed, and does not retry', async () => {
      const before = fake.received.length;
      const res = await server.call('POST', '/api/v1/providers/local/test', { model: 'refuse' });
      expect(res.status).toBe(502);
      expect(res.body.code).toBe('PROVIDER_ERROR');
      expect(res.body.detail).toContain('Incorrect API key provided');
      expect(res.text).not.toContain(SECRET);
      expect(fake.received.length - before).toBe(1);
    });

    it('says when nothing is stored, and always succeeds for mock', async () => {
      const missing = await server.call('POST', '/api/v1/providers/anthropic/test', { model: 'claude-x' });
      expect(missing.status).toBe(422);
      expect(missing.body.code).toBe('PROVIDER_NOT_CONFIGURED');
      const mock = await server.call('POST', '/api/v1/providers/mock/test', { model: 'mock-1' });
      expect(mock.status).toBe(200);
      expect(mock.body).toMatchObject({ provider: 'mock', kind: 'mock', model: 'mock-1' });
    });

    it('reports an unreachable provider as PROVIDER_ERROR', async () => {
      const closed = await startFakeProvider();
      await closed.close();
      await server.call('PUT', '/api/v1/providers/gone', { kind: 'openai-compatible', baseUrl: closed.url });
      const res = await server.call('POST', '/api/v1/providers/gone/test', { model: 'm' });
      expect(res.status).toBe(502);
      expect(res.body.code).toBe('PROVIDER_ERROR');
    });

    it('needs a model, and the editor role', async () => {
      const noModel = await server.call('POST', '/api/v1/providers/mock/test', {});
      expect(noModel.status).toBe(422);
      const viewer = await server.call('POST', '/api/v1/api-keys', { name: 'reader', role: 'viewer' });
      const res = await fetch(`${server.url}/api/v1/providers/mock/test`, {
        method: 'POST',
        headers: { authorization: `Bearer ${viewer.body.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock-1' }),
      });
      expect(res.status).toBe(403);
    });
  });
}
