/**
 * Issue 9: an upstream that echoes the credentials it was sent must not leak them. A real
 * OpenAI-compatible server on 127.0.0.1 answers every call with an error body quoting the
 * Authorization header, a custom secret header, a truncated key and the key of another provider
 * the project stores (an upstream such as a shared proxy may know it); none of them may appear
 * where a user or operator can read it: playground SSE errors, the playground's JSON answer,
 * stored eval results (server runs and CLI uploads, read through the API and in the database),
 * the gateway's answers (a refusal, and an error inside a stream), the connection test's problem
 * and the server log.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveServer, openSse, startLiveServer } from '../live/test-helpers/index.ts';
import { DIALECTS } from '../test-helpers/database.ts';

const KEY = 'sk-echo-7Hq2Vb9Nw4Lc8Xe1Ty6Pz3';
const HEADER_SECRET = 'hdr-secret-Jk5Mn8Qr2St6Uv9W';
/** The key of another provider of the same project, never sent to the echoing upstream. */
const OTHER_KEY = 'sk-other-Rt4Yu7Io0Pa3Sd6Fg9Hj';

async function startEchoingUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const auth = req.headers.authorization ?? '';
    const message = `Incorrect API key provided: ${auth.replace(/^Bearer /, '')} (header x-org-token=${String(req.headers['x-org-token'])}; key starts ${KEY.slice(0, 14)}…; also refused ${OTHER_KEY})`;
    if ((JSON.parse(raw || '{}') as { model?: string }).model === 'fails-mid-stream') {
      // The answer begins, then the upstream reports an error inside the stream.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(
        `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: 'fails-mid-stream', choices: [{ index: 0, delta: { content: 'Hel' }, finish_reason: null }] })}\n\n`,
      );
      res.end(`data: ${JSON.stringify({ error: { message } })}\n\n`);
      return;
    }
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message } }));
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
  expect(text).not.toContain(OTHER_KEY);
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
      const other = await server.call('PUT', '/api/v1/providers/other', {
        kind: 'openai-compatible',
        baseUrl: 'http://127.0.0.1:9/v1',
        apiKey: OTHER_KEY,
      });
      expect(other.status).toBe(200);
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
      const stored = await storedErrors(id);
      expect(stored[0]).toContain('Incorrect API key provided: [redacted]');
      for (const error of stored) expectNoSecret(error);
    });

    async function storedErrors(runId: number): Promise<string[]> {
      const rows = await server.database.db
        .selectFrom('eval_results' as never)
        .select(['error' as never, 'assertions' as never])
        .where('run_id' as never, '=', runId as never)
        .execute();
      return (rows as { error: string | null; assertions: string }[]).flatMap((r) => [
        r.error ?? '',
        r.assertions,
      ]);
    }

    it("CLI uploads: the project's stored secrets are taken out of uploaded errors and reasons", async () => {
      const echoed = `Incorrect API key provided: ${KEY} (x-org-token=${HEADER_SECRET}; ${OTHER_KEY})`;
      const result = {
        key: 'p|openai-compatible:any-model|0',
        promptId: 'p',
        providerId: 'openai-compatible:any-model',
        caseIndex: 0,
        vars: { word: 'hi' },
        prompt: 'Say hi',
        output: '',
        error: `openai-compatible answered 401 Unauthorized: ${echoed}`,
        pass: false,
        score: 0,
        reason: `llm-rubric: the judge failed: ${echoed}`,
        assertions: [{ type: 'llm-rubric', pass: false, score: 0, reason: `judge: ${echoed}`, weight: 1 }],
      };
      const uploaded = await server.call('POST', '/api/v1/eval-runs/import', {
        version: 1,
        results: [result],
      });
      expect(uploaded.status).toBe(201);
      const id = uploaded.body.id as number;
      const results = await server.call('GET', `/api/v1/eval-runs/${id}/results`);
      expect(results.status).toBe(200);
      expect(results.body.items[0].error).toBe(
        'openai-compatible answered 401 Unauthorized: Incorrect API key provided: [redacted] (x-org-token=[redacted]; [redacted])',
      );
      expectNoSecret(results.text);
      const stored = await storedErrors(id);
      expect(stored.join('\n')).toContain('judge: Incorrect API key provided: [redacted]');
      for (const text of stored) expectNoSecret(text);
    });

    it('gateway: a forwarded refusal and an error inside a stream carry no secret', async () => {
      const gateway = (body: unknown) =>
        fetch(`${server.url}/gateway/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const messages = [{ role: 'user', content: 'ping' }];
      const refused = await gateway({ model: 'echo/any-model', messages });
      expect(refused.status).toBe(401);
      const refusal = await refused.text();
      expect(refusal).toContain('Incorrect API key provided: [redacted]');
      expectNoSecret(refusal);

      const streamed = await gateway({ model: 'echo/any-model', messages, stream: true });
      expect(streamed.status).toBe(401);
      expectNoSecret(await streamed.text());

      const midStream = await gateway({ model: 'echo/fails-mid-stream', messages, stream: true });
      expect(midStream.status).toBe(200);
      const frames = await midStream.text();
      expect(frames).toContain('Hel');
      expect(frames).toContain('also refused [redacted]');
      expectNoSecret(frames);
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
