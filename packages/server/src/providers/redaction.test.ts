/**
 * Issue 9: an upstream that echoes the credentials it was sent must not leak them. A real
 * OpenAI-compatible server on 127.0.0.1 answers every call with an error body quoting the
 * Authorization header, a custom secret header and a truncated key; the key must appear nowhere
 * a user or operator can read it: playground SSE errors, the playground's JSON answer, stored
 * eval results, the connection test's problem and the server log.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveServer, openSse, startLiveServer } from '../live/test-helpers/index.ts';
import { DIALECTS } from '../test-helpers/database.ts';

const KEY = 'sk-echo-7Hq2Vb9Nw4Lc8Xe1Ty6Pz3';
const HEADER_SECRET = 'hdr-secret-Jk5Mn8Qr2St6Uv9W';

async function startEchoingUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    for await (const _ of req) {
      // Drain the request body before answering.
    }
    const auth = req.headers.authorization ?? '';
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        error: {
          message: `Incorrect API key provided: ${auth.replace(/^Bearer /, '')} (header x-org-token=${String(req.headers['x-org-token'])}; key starts ${KEY.slice(0, 14)}…)`,
        },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function expectNoSecret(text: string) {
  expect(text).not.toContain(KEY);
  expect(text).not.toContain(HEADER_SECRET);
  expect(text).not.toContain(KEY.slice(0, 14));
}

for (const dialect of DIALECTS) {
  describe(`provider errors are redacted (${dialect})`, () => {
    let server: LiveServer;
    let upstream: Awaited<ReturnType<typeof startEchoingUpstream>>;
    let log = '';

    beforeAll(async () => {
      upstream = await startEchoingUpstream();
      const sink = {
        write(line: string) {
          log += line;
        },
      };
      server = await startLiveServer({ dialect, logger: { level: 'trace', stream: sink } });
      const configured = await server.call('PUT', '/api/v1/providers/echo', {
        kind: 'openai-compatible',
        baseUrl: upstream.url,
        apiKey: KEY,
        headers: { 'x-org-token': HEADER_SECRET },
      });
      expect(configured.status).toBe(200);
    });

    afterAll(async () => {
      await server.close();
      await upstream.close();
    });

    it('playground: the SSE error event and the JSON answer say what failed without the key', async () => {
      const body = {
        draft: { type: 'text', template: 'ping' },
        models: [{ provider: 'echo', model: 'any-model' }],
      };
      const stream = await openSse(`${server.url}/api/v1/playground/runs`, server.apiKey, {
        method: 'POST',
        body,
      });
      await stream.next((e) => e.event === 'end', 10_000);
      const errors = stream.events.filter((e) => e.event === 'error').map((e) => JSON.parse(e.data));
      expect(errors).toHaveLength(1);
      expect(errors[0].code).toBe('PROVIDER_ERROR');
      expect(errors[0].detail).toContain('Incorrect API key provided: [redacted]');
      expect(errors[0].detail).toContain('x-org-token=[redacted]');
      for (const event of stream.events) expectNoSecret(event.data);

      const json = await server.call('POST', '/api/v1/playground/runs', body, { accept: 'application/json' });
      expect(json.status).toBe(200);
      expect(json.text).toContain('[redacted]');
      expectNoSecret(json.text);
    });

    it('eval runs: the stored result error and every read of the run are free of the key', async () => {
      await server.call('POST', '/api/v1/prompts', {
        name: 'redact/probe',
        version: { type: 'text', template: 'Say {{word}}' },
      });
      await server.call('POST', '/api/v1/datasets', {
        name: 'redact-words',
        items: [{ variables: { word: 'hi' } }],
      });
      const started = await server.call('POST', '/api/v1/eval-runs', {
        prompt: 'redact/probe',
        versions: [1],
        dataset: 'redact-words',
        models: [{ provider: 'echo', model: 'any-model' }],
      });
      expect(started.status).toBe(202);
      const id = started.body.id as number;
      const deadline = Date.now() + 20_000;
      let run = await server.call('GET', `/api/v1/eval-runs/${id}`);
      while (!['completed', 'failed', 'cancelled'].includes(run.body.status)) {
        if (Date.now() > deadline) throw new Error(`run did not finish: ${run.text}`);
        await new Promise((r) => setTimeout(r, 50));
        run = await server.call('GET', `/api/v1/eval-runs/${id}`);
      }
      const results = await server.call('GET', `/api/v1/eval-runs/${id}/results`);
      expect(results.status).toBe(200);
      expect(results.body.items[0].error).toContain('[redacted]');
      expectNoSecret(results.text);
      expectNoSecret(run.text);
    });

    it('the connection test answers a problem without the key, and the log never holds it', async () => {
      const tested = await server.call('POST', '/api/v1/providers/echo/test', { model: 'any-model' });
      expect(tested.status).toBe(502);
      expect(tested.body.code).toBe('PROVIDER_ERROR');
      expect(tested.text).toContain('[redacted]');
      expectNoSecret(tested.text);
      // Trace-level logs of everything above (request lines, errors, job failures).
      expect(log.length).toBeGreaterThan(0);
      expectNoSecret(log);
    });
  });
}
