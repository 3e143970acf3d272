/**
 * Providers of other wire formats reached through the OpenAI shape: an Anthropic-speaking server the
 * test starts, and the built-in mock; budgets per key. Both databases.
 */
import {
  sendJson,
  sendSse,
  startWireServer,
  type WireServer,
} from '@promptline/core/test-helpers/wire-server';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../test-helpers/database.ts';
import { completion, eventually, type GatewayFixture, startGateway } from './test-helpers/gateway.ts';

function anthropicStream() {
  return [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: { model: 'claude-3-5-haiku-20241022', usage: { input_tokens: 20, output_tokens: 1 } },
      },
    },
    {
      event: 'content_block_start',
      data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    },
    {
      event: 'content_block_delta',
      data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Bon' } },
    },
    {
      event: 'content_block_delta',
      data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'jour' } },
    },
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    {
      event: 'message_delta',
      data: { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 7 } },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  ];
}

for (const dialect of DIALECTS) {
  describe(`gateway to other providers, and budgets (${dialect})`, () => {
    let gw: GatewayFixture;
    const upstreams: WireServer[] = [];
    beforeAll(async () => {
      gw = await startGateway(dialect);
    });
    afterAll(async () => {
      await gw.close();
    });
    afterEach(async () => {
      await Promise.all(upstreams.splice(0).map((u) => u.close()));
    });

    it('reaches an Anthropic model through the OpenAI shape, streaming and not', async () => {
      const server = await startWireServer((req, res) => {
        const body = req.body as { stream?: boolean };
        if (body.stream) return sendSse(res, anthropicStream());
        return sendJson(res, 200, {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          model: 'claude-3-5-haiku-20241022',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'x' } },
          ],
          stop_reason: 'tool_use',
          usage: { input_tokens: 30, output_tokens: 10 },
        });
      });
      upstreams.push(server);
      await gw.upstream('anthropic', `${server.url}/v1`, 'anthropic', 'sk-ant-test-key');
      const tools = [
        {
          type: 'function' as const,
          function: { name: 'lookup', parameters: { type: 'object', properties: {} } },
        },
      ];
      const answer = await gw.openai().chat.completions.create({
        model: 'anthropic/claude-3-5-haiku-latest',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Find x' },
        ],
        max_tokens: 100,
        tools,
        tool_choice: 'auto',
      });
      const received = server.requests[0];
      expect(received?.url).toBe('/v1/messages');
      expect(received?.headers['x-api-key']).toBe('sk-ant-test-key');
      expect(received?.body).toMatchObject({
        model: 'claude-3-5-haiku-latest',
        system: 'Be brief.',
        max_tokens: 100,
        tool_choice: { type: 'auto' },
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Find x' }] }],
      });
      expect(answer.object).toBe('chat.completion');
      expect(answer.choices[0]?.message.content).toBe('Checking.');
      const call = answer.choices[0]?.message.tool_calls?.[0];
      expect(call?.type === 'function' ? call.function : undefined).toEqual({
        name: 'lookup',
        arguments: '{"q":"x"}',
      });
      expect(answer.choices[0]?.finish_reason).toBe('tool_calls');
      expect(answer.usage).toMatchObject({ prompt_tokens: 30, completion_tokens: 10, total_tokens: 40 });

      const stream = await gw.openai().chat.completions.create({
        model: 'anthropic/claude-3-5-haiku-latest',
        messages: [{ role: 'user', content: 'Say hello in French' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
      for await (const c of stream) chunks.push(c);
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Bonjour');
      expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe('stop');
      expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: 20, completion_tokens: 7 });
      await eventually(() => gw.spans.filter((s) => s.span.provider === 'anthropic').length === 2);
    });

    it('passes an Anthropic error through with its status and an OpenAI-shaped body', async () => {
      const server = await startWireServer((_req, res) =>
        sendJson(res, 401, {
          type: 'error',
          error: { type: 'authentication_error', message: 'invalid x-api-key' },
        }),
      );
      upstreams.push(server);
      // A provider of its own name: stored settings are reused for up to 5 s after a change.
      await gw.upstream('claude-bad', `${server.url}/v1`, 'anthropic', 'sk-ant-bad-key');
      const error = await gw
        .openai()
        .chat.completions.create({
          model: 'claude-bad/claude-3-5-haiku-latest',
          messages: [{ role: 'user', content: 'Hi' }],
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect((error as InstanceType<typeof OpenAI.AuthenticationError>).type).toBe('authentication_error');
    });

    it('reaches a Gemini model through the OpenAI shape, JSON schema mapped', async () => {
      const server = await startWireServer((_req, res) =>
        sendJson(res, 200, {
          candidates: [
            { content: { role: 'model', parts: [{ text: '{"city":"Oslo"}' }] }, finishReason: 'STOP' },
          ],
          usageMetadata: { promptTokenCount: 11, candidatesTokenCount: 6 },
          modelVersion: 'gemini-2.5-flash',
        }),
      );
      upstreams.push(server);
      await gw.upstream('gemini', `${server.url}/v1beta`, 'gemini', 'g-test-key-0000');
      const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
      const answer = await gw.openai().chat.completions.create({
        model: 'gemini/gemini-2.5-flash',
        messages: [
          { role: 'system', content: 'Answer in JSON.' },
          { role: 'user', content: 'Where?' },
        ],
        response_format: { type: 'json_schema', json_schema: { name: 'place', schema } },
      });
      const received = server.requests[0];
      expect(received?.url).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
      expect(received?.body).toMatchObject({
        systemInstruction: { parts: [{ text: 'Answer in JSON.' }] },
        contents: [{ role: 'user', parts: [{ text: 'Where?' }] }],
        generationConfig: { responseMimeType: 'application/json' },
      });
      expect(JSON.parse(answer.choices[0]?.message.content ?? '')).toEqual({ city: 'Oslo' });
      expect(answer.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 6 });
    });

    it('answers from the mock provider with no credentials, and refuses image parts it cannot take', async () => {
      const answer = await gw.openai().chat.completions.create({
        model: 'mock/anything',
        messages: [{ role: 'user', content: 'echo me' }],
      });
      expect(answer.choices[0]?.message.content).toContain('echo me');
      const refused = await gw
        .openai()
        .chat.completions.create({
          model: 'mock/anything',
          messages: [
            {
              role: 'user',
              content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }],
            },
          ],
        })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
      const embedded = await gw.openai().embeddings.create({ model: 'mock/embed', input: 'hello' });
      expect(embedded.data[0]?.embedding.length).toBeGreaterThan(0);
    });

    it('refuses a key whose daily budget is spent with 429 insufficient_quota; other keys go on', async () => {
      const server = await startWireServer((_req, res) => sendJson(res, 200, completion('costly')));
      upstreams.push(server);
      await gw.upstream('budgeted', `${server.url}/v1`);
      const created = await gw.api.post('/api/v1/api-keys', { name: 'app', role: 'editor' });
      expect(created.status).toBe(201);
      const { id, key } = created.body as { id: number; key: string };
      // An editor cannot set budgets.
      const forbidden = await fetch(`${gw.server.url}/api/v1/gateway/budgets/${id}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ usdPerDay: 1 }),
      });
      expect(forbidden.status).toBe(403);
      const set = await gw.api.put(`/api/v1/gateway/budgets/${id}`, { usdPerDay: 0.000001, usdPerMonth: 10 });
      expect(set.status).toBe(200);
      expect(set.body).toMatchObject({ keyId: id, usdPerDay: 0.000001, usdPerMonth: 10, spentTodayUsd: 0 });

      const request = { model: 'budgeted/gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Hi' }] };
      await gw.openai(key).chat.completions.create(request);
      const refused = await gw
        .openai(key)
        .chat.completions.create(request)
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
      expect((refused as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('insufficient_quota');
      expect(server.requests).toHaveLength(1);
      // Another key is not affected.
      await gw.openai().chat.completions.create(request);
      expect(server.requests).toHaveLength(2);

      // The spend is durable and readable by an admin.
      await eventually(() => true);
      const read = await gw.api.get(`/api/v1/gateway/budgets/${id}`);
      expect(read.status).toBe(200);
      expect(read.body.spentTodayUsd).toBeGreaterThan(0);
      const listed = await gw.api.get('/api/v1/gateway/budgets');
      expect(listed.body.items.map((b: { keyId: number }) => b.keyId)).toContain(id);

      // Raising the budget lets the key through again.
      expect(
        (await gw.api.put(`/api/v1/gateway/budgets/${id}`, { usdPerDay: null })).body.usdPerDay,
      ).toBeNull();
      await gw.openai(key).chat.completions.create(request);
      expect(server.requests).toHaveLength(3);
      expect((await gw.api.delete(`/api/v1/gateway/budgets/${id}`)).status).toBe(204);
      expect((await gw.api.get(`/api/v1/gateway/budgets/${id}`)).status).toBe(404);
      const audit = await gw.api.get('/api/v1/audit');
      expect(JSON.stringify(audit.body)).toContain('gateway.budget.set');
    });
  });
}
