/**
 * The gateway when things go wrong or repeat, with the real `openai` client and upstreams the tests
 * start, on both databases: retries after Retry-After, error passthrough, fallback, the response
 * cache, and clients that leave.
 */
import { sendJson, sendSse, sleep } from '@promptline/core/test-helpers/wire-server';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../test-helpers/database.ts';
import {
  bodyOf,
  chunk,
  completion,
  eventually,
  type GatewayFixture,
  startGateway,
} from './test-helpers/gateway.ts';

for (const dialect of DIALECTS) {
  describe(`gateway retries, fallback, cache and disconnects (${dialect})`, () => {
    let gw: GatewayFixture;
    beforeAll(async () => {
      gw = await startGateway(dialect);
    });
    afterAll(async () => {
      await gw.close();
    });
    afterEach(() => gw.closeUpstreams());
    const upstream = (handler: Parameters<GatewayFixture['startUpstream']>[0]) => gw.startUpstream(handler);

    it('retries an upstream 429 after its Retry-After, then answers', async () => {
      const { server, name } = await upstream((_req, res, index) =>
        index === 0
          ? sendJson(
              res,
              429,
              {
                error: {
                  message: 'slow down',
                  type: 'rate_limit_error',
                  code: 'rate_limit_exceeded',
                  param: null,
                },
              },
              { 'retry-after': '1' },
            )
          : sendJson(res, 200, completion('after the wait')),
      );
      const answer = await gw.openai().chat.completions.create({
        model: `${name}/gpt-4o-mini`,
        messages: [{ role: 'user', content: 'Hi' }],
      });
      expect(answer.choices[0]?.message.content).toBe('after the wait');
      expect(server.requests).toHaveLength(2);
      const gap = (server.requests[1]?.at ?? 0) - (server.requests[0]?.at ?? 0);
      expect(gap).toBeGreaterThanOrEqual(950);
    });

    it('passes an upstream 500 through with its status and OpenAI error body once retries are spent', async () => {
      const { server, name } = await upstream((_req, res) =>
        sendJson(
          res,
          500,
          { error: { message: 'The model crashed', type: 'server_error', code: 'model_crash', param: null } },
          { 'retry-after': '0' },
        ),
      );
      const error = await gw
        .openai()
        .chat.completions.create({
          model: `${name}/gpt-4o-mini`,
          messages: [{ role: 'user', content: 'Hi' }],
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      const apiError = error as InstanceType<typeof OpenAI.InternalServerError>;
      expect(apiError.status).toBe(500);
      expect(apiError.code).toBe('model_crash');
      expect(apiError.message).toContain('The model crashed');
      // The first attempt and 3 retries.
      expect(server.requests).toHaveLength(4);
      await eventually(() =>
        gw.spans.some((s) => s.span.name === `chat ${name}/gpt-4o-mini` && s.span.status === 'error'),
      );
    });

    it("passes the provider's 429 and its rate-limit headers on once retries are spent", async () => {
      const { server, name } = await upstream((_req, res) =>
        sendJson(
          res,
          429,
          {
            error: {
              message: 'Rate limit reached',
              type: 'requests',
              code: 'rate_limit_exceeded',
              param: null,
            },
          },
          { 'retry-after': '0', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '20s' },
        ),
      );
      const error = await gw
        .openai()
        .chat.completions.create({
          model: `${name}/gpt-4o-mini`,
          messages: [{ role: 'user', content: 'Hi' }],
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      const limited = error as InstanceType<typeof OpenAI.RateLimitError>;
      expect(limited.code).toBe('rate_limit_exceeded');
      expect(limited.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
      expect(limited.headers?.get('x-ratelimit-reset-requests')).toBe('20s');
      expect(limited.headers?.get('retry-after')).toBe('0');
      expect(server.requests).toHaveLength(4);
    });

    it('never passes on the stored key when an upstream echoes it in its error', async () => {
      const { name } = await upstream((req, res) =>
        sendJson(res, 401, {
          error: {
            message: `Invalid key ${String(req.headers.authorization)}`,
            type: 'auth',
            code: 'invalid_api_key',
            param: null,
          },
        }),
      );
      const error = await gw
        .openai()
        .chat.completions.create({
          model: `${name}/gpt-4o-mini`,
          messages: [{ role: 'user', content: 'Hi' }],
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect((error as Error).message).not.toContain('sk-upstream-secret');
      expect((error as Error).message).toContain('[redacted]');
    });

    it('falls back to the next model in x-promptline-fallback when one fails', async () => {
      const down = await upstream((_req, res) =>
        sendJson(
          res,
          503,
          { error: { message: 'overloaded', type: 'server_error', code: null, param: null } },
          { 'retry-after': '0' },
        ),
      );
      const up = await upstream((_req, res) => sendJson(res, 200, completion('from the fallback')));
      const { data, response } = await gw
        .openai()
        .chat.completions.create(
          { model: `${down.name}/gpt-4o`, messages: [{ role: 'user', content: 'Hi' }] },
          { headers: { 'x-promptline-fallback': `nothing-here/x, ${up.name}/gpt-4o-mini` } },
        )
        .withResponse();
      expect(data.choices[0]?.message.content).toBe('from the fallback');
      expect(response.headers.get('x-promptline-model')).toBe(`${up.name}/gpt-4o-mini`);
      expect(down.server.requests.length).toBeGreaterThan(0);
      expect(bodyOf(up.server, 0).model).toBe('gpt-4o-mini');
    });

    it('does not fall back on a request the upstream refuses as invalid (400)', async () => {
      const bad = await upstream((_req, res) =>
        sendJson(res, 400, {
          error: { message: 'bad param', type: 'invalid_request_error', code: null, param: 'temperature' },
        }),
      );
      const other = await upstream((_req, res) => sendJson(res, 200, completion('no')));
      const error = await gw
        .openai()
        .chat.completions.create(
          { model: `${bad.name}/m`, messages: [{ role: 'user', content: 'Hi' }] },
          { headers: { 'x-promptline-fallback': `${other.name}/m` } },
        )
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('temperature');
      expect(other.server.requests).toHaveLength(0);
    });

    it('answers an identical request from the cache when asked, and says hit or miss', async () => {
      const { server, name } = await upstream((_req, res) => sendJson(res, 200, completion('cached answer')));
      const request = {
        model: `${name}/gpt-4o-mini`,
        messages: [{ role: 'user' as const, content: 'same' }],
      };
      const headers = { 'x-promptline-cache': 'on', 'x-promptline-cache-ttl': '60' };
      const first = await gw.openai().chat.completions.create(request, { headers }).withResponse();
      const second = await gw.openai().chat.completions.create(request, { headers }).withResponse();
      expect(first.response.headers.get('x-promptline-cache-status')).toBe('miss');
      expect(second.response.headers.get('x-promptline-cache-status')).toBe('hit');
      expect(second.data.choices[0]?.message.content).toBe('cached answer');
      expect(server.requests).toHaveLength(1);
      // Without the header nothing is read from the cache.
      await gw.openai().chat.completions.create(request);
      expect(server.requests).toHaveLength(2);
      // A streamed request is its own entry, replayed whole on a hit.
      const { server: streaming, name: streamName } = await upstream((_req, res) =>
        sendSse(res, [{ data: chunk({ content: 'once' }) }, { data: chunk({}, 'stop') }, { data: '[DONE]' }]),
      );
      const streamed = {
        model: `${streamName}/m`,
        messages: [{ role: 'user' as const, content: 's' }],
        stream: true as const,
      };
      for (let i = 0; i < 2; i++) {
        let text = '';
        for await (const c of await gw.openai().chat.completions.create(streamed, { headers }))
          text += c.choices[0]?.delta.content ?? '';
        expect(text).toBe('once');
      }
      expect(streaming.requests).toHaveLength(1);
    });

    it('cancels the upstream call when the client disconnects mid-stream', async () => {
      const { server, name } = await upstream(async (_req, res) => {
        for (let i = 0; i < 200 && !res.destroyed; i++) {
          await sendSse(res, [{ data: chunk({ content: `w${i} ` }) }], { end: false });
          await sleep(20);
        }
        if (!res.destroyed) res.end();
      });
      const controller = new AbortController();
      const stream = await gw
        .openai()
        .chat.completions.create(
          { model: `${name}/gpt-4o-mini`, messages: [{ role: 'user', content: 'long' }], stream: true },
          { signal: controller.signal },
        );
      const iterator = stream[Symbol.asyncIterator]();
      await iterator.next();
      const leftAt = performance.now();
      controller.abort();
      const closed = server.closed[0];
      if (closed === undefined) throw new Error('the upstream saw no request');
      await closed;
      // Closed long before the 4 s the full answer takes.
      expect(performance.now() - leftAt).toBeLessThan(1_500);
      await eventually(() => gw.spans.some((s) => s.span.name === `chat ${name}/gpt-4o-mini`));
      const span = gw.spans.find((s) => s.span.name === `chat ${name}/gpt-4o-mini`)?.span;
      expect(span?.status).toBe('error');
      expect(span?.statusMessage).toContain('disconnected');
    });

    it('cancels the upstream call when the client leaves before the answer began, and records it', async () => {
      const { server, name } = await upstream(async (_req, res) => {
        await sleep(3_000);
        if (!res.destroyed) sendJson(res, 200, completion('too late'));
      });
      const controller = new AbortController();
      const pending = gw
        .openai()
        .chat.completions.create(
          { model: `${name}/gpt-4o-mini`, messages: [{ role: 'user', content: 'slow' }] },
          { signal: controller.signal },
        )
        .catch((e: unknown) => e);
      await eventually(() => server.requests.length === 1);
      const leftAt = performance.now();
      controller.abort();
      expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError);
      await server.closed[0];
      expect(performance.now() - leftAt).toBeLessThan(1_500);
      await eventually(() => gw.spans.some((s) => s.span.name === `chat ${name}/gpt-4o-mini`));
      const span = gw.spans.find((s) => s.span.name === `chat ${name}/gpt-4o-mini`)?.span;
      expect(span?.status).toBe('error');
      expect(span?.attributes?.['http.response.status_code']).toBe(499);
    });
  });
}
