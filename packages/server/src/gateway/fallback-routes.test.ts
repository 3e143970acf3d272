/**
 * The project's fallback route table (`/api/v1/gateway/routes`) and the gateway following it, with
 * the real `openai` client and scripted upstreams, on both databases: fallback on 429, 5xx and a
 * route's timeout, the header overriding the table, validation, roles and audit.
 */
import { sendJson, sendSse, sleep, type WireHandler } from '@promptline/core/test-helpers/wire-server';
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

const failing =
  (status: number): WireHandler =>
  (_req, res) =>
    sendJson(
      res,
      status,
      { error: { message: `upstream ${status}`, type: 'server_error', code: null, param: null } },
      { 'retry-after': '0' },
    );

for (const dialect of DIALECTS) {
  describe(`gateway fallback route table (${dialect})`, () => {
    let gw: GatewayFixture;
    beforeAll(async () => {
      gw = await startGateway(dialect);
    });
    afterAll(async () => {
      await gw.close();
    });
    afterEach(() => gw.closeUpstreams());
    const ask = (model: string, headers: Record<string, string> = {}) =>
      gw
        .openai()
        .chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] }, { headers })
        .withResponse();

    it('falls back along the route of the requested model on 503 and 429, in order', async () => {
      const down = await gw.startUpstream(failing(503));
      const limited = await gw.startUpstream(failing(429));
      const up = await gw.startUpstream((_req, res) => sendJson(res, 200, completion('from the route')));
      const set = await gw.api.put('/api/v1/gateway/routes', {
        model: `${down.name}/big`,
        fallbacks: [`${limited.name}/medium`, `${up.name}/small`],
      });
      expect(set.status).toBe(200);
      expect(set.body).toMatchObject({
        model: `${down.name}/big`,
        fallbacks: [`${limited.name}/medium`, `${up.name}/small`],
        timeoutMs: null,
      });

      const { data, response } = await ask(`${down.name}/big`);
      expect(data.choices[0]?.message.content).toBe('from the route');
      expect(response.headers.get('x-promptline-model')).toBe(`${up.name}/small`);
      // The first attempt and 3 retries each, then the next model.
      expect(down.server.requests).toHaveLength(4);
      expect(limited.server.requests).toHaveLength(4);
      expect(bodyOf(limited.server, 0).model).toBe('medium');
      expect(bodyOf(up.server, 0).model).toBe('small');
      await eventually(() =>
        gw.spans.some(
          (s) =>
            s.span.attributes?.['promptline.gateway.model'] === `${down.name}/big` &&
            s.span.attributes?.['promptline.gateway.attempts'] === 3,
        ),
      );

      // A model without a route does not fall back.
      const alone = await gw.startUpstream(failing(503));
      const error = await ask(`${alone.name}/big`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      expect(up.server.requests).toHaveLength(1);
    });

    it("moves on when a model does not begin its answer within the route's timeoutMs, streams included", async () => {
      const slow = await gw.startUpstream(async (_req, res) => {
        await sleep(3_000);
        if (!res.destroyed) sendJson(res, 200, completion('too late'));
      });
      const quick = await gw.startUpstream((req, res) =>
        (req.body as { stream?: boolean } | undefined)?.stream === true
          ? sendSse(res, [
              { data: chunk({ content: 'quick' }) },
              { data: chunk({}, 'stop') },
              { data: '[DONE]' },
            ])
          : sendJson(res, 200, completion('quick')),
      );
      expect(
        (
          await gw.api.put('/api/v1/gateway/routes', {
            model: `${slow.name}/m`,
            fallbacks: [`${quick.name}/m`],
            timeoutMs: 300,
          })
        ).status,
      ).toBe(200);
      const started = performance.now();
      const { data, response } = await ask(`${slow.name}/m`);
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(data.choices[0]?.message.content).toBe('quick');
      expect(response.headers.get('x-promptline-model')).toBe(`${quick.name}/m`);
      // The slow upstream's call was abandoned (its connection closed), not left running.
      await slow.server.closed[0];

      let text = '';
      const stream = await gw.openai().chat.completions.create({
        model: `${slow.name}/m`,
        messages: [{ role: 'user', content: 's' }],
        stream: true,
      });
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
      expect(text).toBe('quick');
    });

    it('lets x-promptline-fallback replace the route for one call, and "none" turn it off', async () => {
      const down = await gw.startUpstream(failing(500));
      const routed = await gw.startUpstream((_req, res) => sendJson(res, 200, completion('routed')));
      const named = await gw.startUpstream((_req, res) => sendJson(res, 200, completion('named')));
      await gw.api.put('/api/v1/gateway/routes', {
        model: `${down.name}/x`,
        fallbacks: [`${routed.name}/x`],
      });

      const header = await ask(`${down.name}/x`, { 'x-promptline-fallback': `${named.name}/x` });
      expect(header.data.choices[0]?.message.content).toBe('named');
      expect(routed.server.requests).toHaveLength(0);

      const off = await ask(`${down.name}/x`, { 'x-promptline-fallback': 'none' }).catch((e: unknown) => e);
      expect(off).toBeInstanceOf(OpenAI.InternalServerError);
      expect(routed.server.requests).toHaveLength(0);

      expect((await ask(`${down.name}/x`)).data.choices[0]?.message.content).toBe('routed');
    });

    it('does not fall back when the upstream calls the request invalid (400)', async () => {
      const bad = await gw.startUpstream((_req, res) =>
        sendJson(res, 400, {
          error: { message: 'bad', type: 'invalid_request_error', code: null, param: 'x' },
        }),
      );
      const other = await gw.startUpstream((_req, res) => sendJson(res, 200, completion('no')));
      await gw.api.put('/api/v1/gateway/routes', { model: `${bad.name}/x`, fallbacks: [`${other.name}/x`] });
      expect(await ask(`${bad.name}/x`).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.BadRequestError);
      expect(other.server.requests).toHaveLength(0);
    });

    it('lists, replaces and removes routes; refuses bad ones with problems; admins only; audited', async () => {
      await gw.api.put('/api/v1/gateway/routes', {
        model: 'openai/gpt-4o',
        fallbacks: ['anthropic/claude-x'],
      });
      const replaced = await gw.api.put('/api/v1/gateway/routes', {
        model: 'openai/gpt-4o',
        fallbacks: ['mock/mock', 'anthropic/claude-x'],
        timeoutMs: 5_000,
      });
      expect(replaced.body).toMatchObject({
        fallbacks: ['mock/mock', 'anthropic/claude-x'],
        timeoutMs: 5_000,
      });
      const listed = await gw.api.get('/api/v1/gateway/routes');
      expect(listed.status).toBe(200);
      const route = (listed.body.items as { model: string }[]).find((r) => r.model === 'openai/gpt-4o');
      expect(route).toMatchObject({ fallbacks: ['mock/mock', 'anthropic/claude-x'], timeoutMs: 5_000 });

      for (const [body, path] of [
        [{ model: 'openai/a', fallbacks: ['openai/a'] }, 'fallbacks.0'],
        [{ model: 'openai/a', fallbacks: ['mock/b', 'mock/b'] }, 'fallbacks.1'],
        [{ model: 'openai/a', fallbacks: [] }, 'fallbacks'],
        [{ model: 'openai/a', fallbacks: ['no-slash'] }, 'fallbacks.0'],
        [{ model: 'openai/a', fallbacks: ['a/1', 'a/2', 'a/3', 'a/4', 'a/5', 'a/6'] }, 'fallbacks'],
        [{ model: 'openai/a', fallbacks: ['mock/b'], timeoutMs: 5 }, 'timeoutMs'],
      ] as const) {
        const refused = await gw.api.put('/api/v1/gateway/routes', body);
        expect(refused.status, JSON.stringify(body)).toBe(422);
        expect(refused.headers['content-type']).toContain('application/problem+json');
        expect(refused.body.code).toBe('VALIDATION_FAILED');
        expect(JSON.stringify(refused.body.errors)).toContain(`"path":"${path}"`);
      }

      const created = await gw.api.post('/api/v1/api-keys', { name: 'route-editor', role: 'editor' });
      const editorKey = (created.body as { key: string }).key;
      const asEditor = (method: string, path: string, body?: unknown) =>
        fetch(`${gw.server.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${editorKey}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      expect((await asEditor('GET', '/api/v1/gateway/routes')).status).toBe(200);
      expect(
        (await asEditor('PUT', '/api/v1/gateway/routes', { model: 'openai/gpt-4o', fallbacks: ['mock/x'] }))
          .status,
      ).toBe(403);
      expect((await asEditor('DELETE', '/api/v1/gateway/routes?model=openai%2Fgpt-4o')).status).toBe(403);

      expect((await gw.api.delete('/api/v1/gateway/routes?model=openai%2Fgpt-4o')).status).toBe(204);
      const gone = await gw.api.delete('/api/v1/gateway/routes?model=openai%2Fgpt-4o');
      expect(gone.status).toBe(404);
      expect(gone.body.code).toBe('GATEWAY_ROUTE_NOT_FOUND');
      const listedAfter = await gw.api.get('/api/v1/gateway/routes');
      expect((listedAfter.body.items as { model: string }[]).some((r) => r.model === 'openai/gpt-4o')).toBe(
        false,
      );

      const audit = JSON.stringify((await gw.api.get('/api/v1/audit')).body);
      expect(audit).toContain('gateway.route.set');
      expect(audit).toContain('gateway.route.remove');
    });
  });
}
