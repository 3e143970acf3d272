/**
 * The real `openai` client through the gateway to OpenAI-compatible servers the tests start, on
 * both databases: answers, streams as they arrive, tools, JSON mode, span tags, the gateway's own
 * errors, models and embeddings (retries, fallback, cache and disconnects: resilience.test.ts).
 */
import { sendJson, sendSse } from '@promptline/core/test-helpers/wire-server';
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
  usageChunk,
} from './test-helpers/gateway.ts';

for (const dialect of DIALECTS) {
  describe(`gateway chat completions (${dialect})`, () => {
    let gw: GatewayFixture;
    beforeAll(async () => {
      gw = await startGateway(dialect);
    });
    afterAll(async () => {
      await gw.close();
    });
    afterEach(() => gw.closeUpstreams());
    const upstream = (handler: Parameters<GatewayFixture['startUpstream']>[0]) => gw.startUpstream(handler);

    it('answers a chat completion, passing the request through with the stored key and the model without its provider', async () => {
      const { server, name } = await upstream((_req, res) => sendJson(res, 200, completion('Hello there')));
      const answer = await gw.openai().chat.completions.create({
        model: `${name}/gpt-4o-mini`,
        messages: [
          { role: 'system', content: 'Be brief.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Hi' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            ],
          },
        ],
        temperature: 0.2,
        logprobs: true,
        tool_choice: 'none',
      });
      expect(answer.choices[0]?.message.content).toBe('Hello there');
      expect(answer.usage?.prompt_tokens).toBe(12);
      const received = server.requests[0];
      expect(received?.url).toBe('/v1/chat/completions');
      expect(received?.headers.authorization).toBe('Bearer sk-upstream-secret');
      expect(received?.body).toEqual({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'Be brief.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Hi' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            ],
          },
        ],
        temperature: 0.2,
        logprobs: true,
        tool_choice: 'none',
      });
    });

    it('streams chunks as they arrive: the client reads the first before the upstream sends the rest', async () => {
      let release: () => void = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const { server, name } = await upstream(async (_req, res) => {
        await sendSse(res, [{ data: chunk({ role: 'assistant', content: 'Hel' }) }], { end: false });
        await released;
        await sendSse(res, [
          { data: chunk({ content: 'lo' }) },
          { data: chunk({}, 'stop') },
          { data: usageChunk() },
          { data: '[DONE]' },
        ]);
      });
      const stream = await gw.openai().chat.completions.create({
        model: `${name}/gpt-4o-mini`,
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
      });
      const iterator = stream[Symbol.asyncIterator]();
      const first = await iterator.next();
      // The upstream is still holding the rest: this chunk was not buffered behind it.
      expect(first.value?.choices[0]?.delta.content).toBe('Hel');
      release();
      const rest: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest.push(next.value);
      expect(rest.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('lo');
      // The gateway asked for usage; the client did not, so the usage-only chunk was not forwarded.
      expect(bodyOf(server, 0).stream_options).toEqual({
        include_usage: true,
      });
      expect(rest.every((c) => c.choices.length > 0)).toBe(true);
      await eventually(() => gw.spans.some((s) => s.span.name === `chat ${name}/gpt-4o-mini`));
      const span = gw.spans.find((s) => s.span.name === `chat ${name}/gpt-4o-mini`)?.span;
      expect(span?.usage).toEqual({ input: 9, output: 3, cachedInput: 0 });
      expect(span?.output).toEqual({ role: 'assistant', content: 'Hello' });
      expect(span?.timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
    });

    it('forwards the usage chunk to a client that asked for it', async () => {
      const { name } = await upstream((_req, res) =>
        sendSse(res, [
          { data: chunk({ content: 'Hi' }) },
          { data: chunk({}, 'stop') },
          { data: usageChunk() },
          { data: '[DONE]' },
        ]),
      );
      const stream = await gw.openai().chat.completions.create({
        model: `${name}/gpt-4o-mini`,
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
      for await (const c of stream) chunks.push(c);
      expect(chunks.at(-1)?.usage?.total_tokens).toBe(12);
    });

    it('passes tools and tool calls through', async () => {
      const { server, name } = await upstream((_req, res) =>
        sendJson(res, 200, {
          ...completion(null),
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: null,
                tool_calls: [
                  { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } },
                ],
              },
              finish_reason: 'tool_calls',
            },
          ],
        }),
      );
      const tools = [
        {
          type: 'function' as const,
          function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
        },
      ];
      const answer = await gw.openai().chat.completions.create({
        model: `${name}/gpt-4o-mini`,
        messages: [{ role: 'user', content: 'Find x' }],
        tools,
      });
      const call = answer.choices[0]?.message.tool_calls?.[0];
      expect(call?.type === 'function' ? call.function : undefined).toEqual({
        name: 'lookup',
        arguments: '{"q":"x"}',
      });
      expect(answer.choices[0]?.finish_reason).toBe('tool_calls');
      expect(bodyOf(server, 0).tools).toEqual(tools);
    });

    it('passes JSON mode and json_schema response formats through', async () => {
      const { server, name } = await upstream((_req, res) => sendJson(res, 200, completion('{"ok":true}')));
      const format = {
        type: 'json_schema' as const,
        json_schema: {
          name: 'answer',
          strict: true,
          schema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
        },
      };
      const answer = await gw.openai().chat.completions.create({
        model: `${name}/gpt-4o-mini`,
        messages: [{ role: 'user', content: 'ok?' }],
        response_format: format,
      });
      expect(JSON.parse(answer.choices[0]?.message.content ?? '')).toEqual({ ok: true });
      await gw.openai().chat.completions.create({
        model: `${name}/gpt-4o-mini`,
        messages: [{ role: 'user', content: 'ok?' }],
        response_format: { type: 'json_object' },
      });
      expect(bodyOf(server, 0).response_format).toEqual(format);
      expect(bodyOf(server, 1).response_format).toEqual({
        type: 'json_object',
      });
    });

    it('tags the span with the x-promptline headers and the caller traceparent', async () => {
      const { name } = await upstream((_req, res) => sendJson(res, 200, completion('tagged')));
      await gw.openai().chat.completions.create(
        { model: `${name}/gpt-4o-mini`, messages: [{ role: 'user', content: 'Hi' }] },
        {
          headers: {
            'x-promptline-prompt': 'support/triage',
            'x-promptline-version': '3',
            'x-promptline-environment': 'production',
            'x-promptline-variant': '1',
            'x-promptline-unit': 'user-42',
            'x-promptline-user': 'u-42',
            'x-promptline-session': 's-1',
            traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          },
        },
      );
      await eventually(() => gw.spans.some((s) => s.span.name === `chat ${name}/gpt-4o-mini`));
      const span = gw.spans.find((s) => s.span.name === `chat ${name}/gpt-4o-mini`)?.span;
      expect(span).toMatchObject({
        prompt: { name: 'support/triage', version: 3, environment: 'production', variant: 1 },
        unit: 'user-42',
        userId: 'u-42',
        sessionId: 's-1',
        traceId: '0af7651916cd43dd8448eb211c80319c',
        parentSpanId: 'b7ad6b7169203331',
        provider: name,
        model: 'gpt-4o-mini-2024-07-18',
        status: 'ok',
        usage: { input: 12, output: 5, cachedInput: 0 },
        input: [{ role: 'user', content: 'Hi' }],
        output: { role: 'assistant', content: 'tagged' },
      });
      expect(span?.costUsd).toBeGreaterThan(0);
      expect(span?.attributes?.['promptline.gateway.cache']).toBe('off');
    });

    it('refuses its own errors in both shapes: OpenAI error object and problem+json', async () => {
      const noKey = await new OpenAI({
        baseURL: `${gw.server.url}/gateway/v1`,
        apiKey: 'pl_wrong',
        maxRetries: 0,
      }).models
        .list()
        .catch((e: unknown) => e);
      expect(noKey).toBeInstanceOf(OpenAI.AuthenticationError);
      expect((noKey as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
      const unknown = await gw
        .openai()
        .chat.completions.create({ model: 'nowhere/gpt', messages: [{ role: 'user', content: 'Hi' }] })
        .catch((e: unknown) => e);
      expect(unknown).toBeInstanceOf(OpenAI.UnprocessableEntityError);
      const raw = await fetch(`${gw.server.url}/gateway/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.server.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'no-slash', messages: [] }),
      });
      expect(raw.status).toBe(422);
      expect(raw.headers.get('content-type')).toContain('application/problem+json');
      const body = (await raw.json()) as {
        code: string;
        error: { type: string; code: string; param: string };
      };
      expect(body.code).toBe('VALIDATION_FAILED');
      expect(body.error.type).toBe('invalid_request_error');
      expect(body.error.param).toBe('model');
    });

    it('lists models of the configured providers and mock', async () => {
      await gw.upstream('openai', 'http://127.0.0.1:9/v1', 'openai', 'sk-test-openai-key');
      const models = await gw.openai().models.list();
      const ids = models.data.map((m) => m.id);
      expect(ids).toContain('mock/mock');
      expect(ids).toContain('openai/gpt-4o-mini');
      expect(ids.every((id) => id.includes('/'))).toBe(true);
    });

    it('passes embeddings through to an OpenAI-kind upstream', async () => {
      const { server, name } = await upstream((_req, res) =>
        sendJson(res, 200, {
          object: 'list',
          data: [
            { object: 'embedding', index: 0, embedding: [0.1, 0.2] },
            { object: 'embedding', index: 1, embedding: [0.3, 0.4] },
          ],
          model: 'text-embedding-3-small',
          usage: { prompt_tokens: 4, total_tokens: 4 },
        }),
      );
      const answer = await gw.openai().embeddings.create({
        model: `${name}/text-embedding-3-small`,
        input: ['a', 'b'],
        encoding_format: 'float',
      });
      expect(answer.data.map((d) => d.embedding)).toEqual([
        [0.1, 0.2],
        [0.3, 0.4],
      ]);
      expect(server.requests[0]?.url).toBe('/v1/embeddings');
      expect(server.requests[0]?.body).toEqual({
        model: 'text-embedding-3-small',
        input: ['a', 'b'],
        encoding_format: 'float',
      });
      await eventually(() =>
        gw.spans.some((s) => s.span.name === `embeddings ${name}/text-embedding-3-small`),
      );
    });
  });
}
