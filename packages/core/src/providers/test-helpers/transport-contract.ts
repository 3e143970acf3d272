/**
 * What every provider transport must do the way `fetch` does, as one suite run per transport:
 * retries, cancellation and timeouts, call bookkeeping, compressed answers and redirects, secrets
 * kept out of errors. core runs it over `fetch` and its node:http transport (http.test.ts), the
 * server over its undici transport.
 */
import { getEventListeners } from 'node:events';
import { createServer } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { isAppError } from '../../errors.ts';
import { createOpenAiPassthrough, createProvider } from '../index.ts';
import type { ChatRequest, HttpTransport, ProviderSettings } from '../types.ts';
import { collect, sendJson, sendSse, sleep, startWireServer, type WireServer } from './wire-server.ts';

const ask: ChatRequest = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
const ok = {
  choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 1 },
};

/** The suite over `transport` (undefined: the default, `fetch`), named after `transportName`. */
export function describeTransportContract(transportName: string, transport: HttpTransport | undefined): void {
  let server: WireServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const make = (settings: ProviderSettings) =>
    createProvider(transport ? { ...settings, transport } : settings);

  describe(`over ${transportName}`, () => {
    describe('retries', () => {
      it('retries a 429 once, after the Retry-After the server asked for', async () => {
        server = await startWireServer((_req, res, index) => {
          if (index === 0)
            sendJson(res, 429, { error: { message: 'Rate limit reached' } }, { 'retry-after': '1' });
          else sendJson(res, 200, ok);
        });
        const provider = make({
          kind: 'openai',
          apiKey: 'k',
          baseUrl: server.url,
          retryBaseDelayMs: 1,
        });
        const result = await provider.complete(ask);
        expect(result.text).toBe('fine');
        expect(server.requests).toHaveLength(2);
        const [first, second] = server.requests;
        // A 1 ms backoff base would have retried at once: the wait is the server's second.
        expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
        expect(result.latencyMs).toBeGreaterThanOrEqual(950);
      });

      it('gives up on repeated 500s after maxRetries, naming the provider and the status', async () => {
        server = await startWireServer((_req, res) =>
          sendJson(res, 500, { error: { message: 'The server had an error' } }),
        );
        const provider = make({
          kind: 'openai',
          apiKey: 'k',
          baseUrl: server.url,
          maxRetries: 2,
          retryBaseDelayMs: 5,
        });
        const error = await provider.complete(ask).catch((caught: unknown) => caught);
        expect(server.requests).toHaveLength(3);
        expect(isAppError(error)).toBe(true);
        expect(error).toMatchObject({
          code: 'PROVIDER_ERROR',
          status: 502,
          message:
            'openai answered 500 Internal Server Error: The server had an error. The provider failed (retried 2 times). Try again later.',
          details: { provider: 'openai', status: 500, retryable: true },
        });
      });

      it('does not retry a 400 or a 401, and says what to check', async () => {
        server = await startWireServer((_req, res, index) =>
          index === 0
            ? sendJson(res, 400, { error: { message: "Invalid value for 'temperature'." } })
            : sendJson(res, 401, { error: { message: 'Incorrect API key provided.' } }),
        );
        const provider = make({
          kind: 'openai',
          apiKey: 'k',
          baseUrl: server.url,
          retryBaseDelayMs: 1,
        });
        await expect(provider.complete(ask)).rejects.toMatchObject({
          message: expect.stringMatching(
            /^openai answered 400 Bad Request: Invalid value for 'temperature'\. Check the request/,
          ),
          details: { retryable: false },
        });
        expect(server.requests).toHaveLength(1);
        await expect(provider.complete(ask)).rejects.toMatchObject({
          message:
            'openai answered 401 Unauthorized: Incorrect API key provided. Check the provider credentials of this project.',
        });
        expect(server.requests).toHaveLength(2);
      });

      it('retries network failures and then reports the provider as unreachable', async () => {
        // A port that was just free: connections are refused.
        const probe = createServer();
        await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
        const port = (probe.address() as { port: number }).port;
        await new Promise<void>((resolve) => probe.close(() => resolve()));
        const provider = make({
          kind: 'openai-compatible',
          baseUrl: `http://127.0.0.1:${port}/v1`,
          maxRetries: 1,
          retryBaseDelayMs: 1,
        });
        await expect(provider.complete(ask)).rejects.toMatchObject({
          code: 'PROVIDER_ERROR',
          message: expect.stringMatching(
            /^openai-compatible could not be reached after 2 attempts \(.+\)\. Check the base URL/,
          ),
        });
      });

      it('never retries once a stream has begun', async () => {
        server = await startWireServer(async (_req, res) => {
          await sendSse(res, [{ data: { choices: [{ index: 0, delta: { content: 'Hal' } }] } }], {
            end: false,
          });
          await sleep(20);
          res.destroy();
        });
        const provider = make({
          kind: 'openai',
          apiKey: 'k',
          baseUrl: server.url,
          retryBaseDelayMs: 1,
        });
        const seen: string[] = [];
        const error = await (async () => {
          for await (const event of provider.stream(ask)) if (event.type === 'delta') seen.push(event.text);
        })().catch((caught: unknown) => caught);
        expect(seen).toEqual(['Hal']);
        expect(error).toMatchObject({ code: 'PROVIDER_ERROR', details: { provider: 'openai' } });
        expect(server.requests).toHaveLength(1);
      });
    });

    describe('cancellation and timeouts', () => {
      it('stops a stream when the caller aborts, with its abort reason, and closes the connection', async () => {
        server = await startWireServer(async (_req, res) => {
          const events = Array.from({ length: 200 }, (_, i) => ({
            data: { choices: [{ index: 0, delta: { content: `w${i} ` } }] },
          }));
          await sendSse(res, events, { delayMs: 10 });
        });
        const provider = make({ kind: 'openai', apiKey: 'k', baseUrl: server.url });
        const controller = new AbortController();
        let deltas = 0;
        const started = performance.now();
        const error = await (async () => {
          for await (const event of provider.stream({ ...ask, signal: controller.signal })) {
            if (event.type === 'delta' && ++deltas === 3) controller.abort();
          }
        })().catch((caught: unknown) => caught);
        expect((error as Error).name).toBe('AbortError');
        expect(deltas).toBe(3);
        expect(performance.now() - started).toBeLessThan(1000);
        await server.closed[0];
        expect(server.requests).toHaveLength(1);
      });

      it('closes the connection when the consumer stops reading early', async () => {
        server = await startWireServer(async (_req, res) => {
          const events = Array.from({ length: 200 }, (_, i) => ({
            data: { choices: [{ index: 0, delta: { content: `w${i} ` } }] },
          }));
          await sendSse(res, events, { delayMs: 10 });
        });
        const provider = make({ kind: 'openai', apiKey: 'k', baseUrl: server.url });
        const started = performance.now();
        for await (const event of provider.stream(ask)) if (event.type === 'delta') break;
        await server.closed[0];
        expect(performance.now() - started).toBeLessThan(1000);
      });

      it('ends a call that outlives timeoutMs with a PROVIDER_TIMEOUT saying so, without retrying', async () => {
        server = await startWireServer(async (_req, res) => {
          await sleep(2_000);
          sendJson(res, 200, ok);
        });
        const provider = make({
          kind: 'openai',
          apiKey: 'k',
          baseUrl: server.url,
          retryBaseDelayMs: 1,
        });
        const started = performance.now();
        await expect(provider.complete({ ...ask, timeoutMs: 150 })).rejects.toMatchObject({
          code: 'PROVIDER_TIMEOUT',
          status: 504,
          message:
            'openai did not finish within 150 ms. Raise timeoutMs, ask for a shorter answer, or try again.',
          details: { timeout: true },
        });
        expect(performance.now() - started).toBeLessThan(1500);
        expect(server.requests).toHaveLength(1);
      });

      it('applies the timeout while waiting to retry', async () => {
        server = await startWireServer((_req, res) => sendJson(res, 503, {}, { 'retry-after': '30' }));
        const provider = make({ kind: 'openai', apiKey: 'k', baseUrl: server.url, timeoutMs: 200 });
        await expect(provider.complete(ask)).rejects.toMatchObject({
          status: 504,
          details: { timeout: true },
        });
        expect(server.requests).toHaveLength(1);
      });
    });

    describe('call bookkeeping', () => {
      const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

      it('leaves no timer and no abort listener behind after 100 calls that succeed, fail, stream or stop early', async () => {
        server = await startWireServer(async (req, res) => {
          const body = req.body as { stream?: boolean; messages?: { content: string }[] } | undefined;
          if (req.url.endsWith('/embeddings'))
            return sendJson(res, 200, { data: [{ index: 0, embedding: [1, 0] }] });
          if (body?.messages?.[0]?.content === 'fail')
            return sendJson(res, 400, { error: { message: 'no' } });
          if (!body?.stream) return sendJson(res, 200, ok);
          await sendSse(res, [
            { data: { choices: [{ index: 0, delta: { content: 'a ' } }] } },
            { data: { choices: [{ index: 0, delta: { content: 'b' }, finish_reason: 'stop' }] } },
            { data: '[DONE]' },
          ]);
        });
        const provider = make({ kind: 'openai', apiKey: 'k', baseUrl: server.url });
        const mock = make({ kind: 'mock', mockDelayMs: 0 });
        // A long-lived caller signal, like an eval run's, shared by every call.
        const run = new AbortController();
        const signal = run.signal;
        await provider.complete({ ...ask, signal });
        const baseline = timers();
        const kinds: string[] = [];
        for (let i = 0; i < 100; i++) {
          const kind =
            ['complete', 'error', 'stream', 'stop early', 'embed', 'mock', 'mock stream'][i % 7] ?? '';
          kinds.push(kind);
          if (kind === 'complete') await provider.complete({ ...ask, signal });
          else if (kind === 'error')
            await expect(
              provider.complete({ ...ask, messages: [{ role: 'user', content: 'fail' }], signal }),
            ).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
          else if (kind === 'stream')
            expect((await collect(provider.stream({ ...ask, signal }))).at(-1)?.type).toBe('done');
          else if (kind === 'stop early') for await (const _ of provider.stream({ ...ask, signal })) break;
          else if (kind === 'embed') await provider.embed?.(['x'], { signal });
          else if (kind === 'mock') await mock.complete({ ...ask, signal });
          else await collect(mock.stream({ ...ask, signal }));
        }
        expect(new Set(kinds).size).toBe(7);
        // An undisposed call leaves a pending (ref'd) 10-minute timer and a listener on the run's signal.
        // At most the baseline: it may hold a transient timer of the warm-up's keep-alive socket.
        expect(timers()).toBeLessThanOrEqual(baseline);
        expect(getEventListeners(signal, 'abort')).toHaveLength(0);
      });

      it('still aborts a call in flight when the shared caller signal aborts, with its reason', async () => {
        server = await startWireServer(async (_req, res) => {
          await sleep(2_000);
          sendJson(res, 200, ok);
        });
        const provider = make({ kind: 'openai', apiKey: 'k', baseUrl: server.url });
        const run = new AbortController();
        const reason = new Error('run cancelled');
        const call = provider.complete({ ...ask, signal: run.signal });
        await new Promise((resolve) => setTimeout(resolve, 50));
        const started = performance.now();
        run.abort(reason);
        await expect(call).rejects.toBe(reason);
        expect(performance.now() - started).toBeLessThan(500);
        await server.closed[0];
        expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
      });
    });

    describe('answers as fetch would', () => {
      it('reads a gzip-compressed answer and follows a redirect', async () => {
        server = await startWireServer((req, res) => {
          if (req.url === '/old/chat/completions') {
            res.writeHead(307, { location: '/v1/chat/completions' });
            res.end();
            return;
          }
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
          res.end(gzipSync(JSON.stringify(ok)));
        });
        const direct = make({ kind: 'openai', apiKey: 'k', baseUrl: `${server.url}/v1` });
        expect((await direct.complete(ask)).text).toBe('fine');
        const moved = make({ kind: 'openai', apiKey: 'k', baseUrl: `${server.url}/old` });
        expect((await moved.complete(ask)).text).toBe('fine');
        // (node:http hands a redirect to fetch, which asks the old URL once more.)
        expect(server.requests.at(-1)?.url).toBe('/v1/chat/completions');
        expect(server.requests.at(-1)?.body).toMatchObject({ model: 'gpt-4o-mini' });
      });
    });

    describe('secrets in what a provider says', () => {
      // An upstream that echoes the key it was sent and a secret it should not even know (another
      // credential of the same project, passed as knownSecrets).
      const KEY = 'sk-live-Qw8Er5Ty2Ui9Op3As6';
      const OTHER = 'sk-other-Zx1Cv4Bn7Ml0Kj3Hg';
      const echo = (auth: string | undefined) => `bad key ${auth ?? ''} (also ${OTHER})`;
      const settings = (url: string): ProviderSettings => ({
        kind: 'openai-compatible',
        apiKey: KEY,
        baseUrl: url,
        knownSecrets: [OTHER],
        maxRetries: 0,
        ...(transport ? { transport } : {}),
      });

      it('are redacted from thrown errors, answered refusals and errors inside a stream', async () => {
        server = await startWireServer((req, res) => {
          const body = req.body as { stream?: boolean };
          if (body.stream) {
            void sendSse(res, [
              { data: { choices: [{ index: 0, delta: { content: 'Hi' } }] } },
              { data: { error: { message: echo(req.headers.authorization) } } },
            ]);
          } else sendJson(res, 401, { error: { message: echo(req.headers.authorization) } });
        });
        const error = await make(settings(server.url))
          .complete(ask)
          .catch((e: unknown) => e);
        expect(isAppError(error)).toBe(true);
        expect((error as Error).message).toContain('bad key Bearer [redacted] (also [redacted])');

        const streamed = await collect(make(settings(server.url)).stream(ask)).catch((e: unknown) => e);
        expect((streamed as Error).message).toContain('(also [redacted])');
        expect((streamed as Error).message).not.toContain(KEY);

        const passthrough = createOpenAiPassthrough(settings(server.url));
        const refusal = await passthrough.post('chat/completions', { model: 'm', messages: [] });
        refusal.dispose();
        expect(refusal.response.status).toBe(401);
        const text = await refusal.response.text();
        expect(text).toContain('[redacted]');
        for (const said of [text, (error as Error).message, String((streamed as Error).stack)]) {
          expect(said).not.toContain(KEY);
          expect(said).not.toContain(OTHER);
        }
        expect(passthrough.redact(`key=${KEY}`)).toBe('key=[redacted]');
      });
    });
  });
}
