import { afterEach, describe, expect, it } from 'vitest';
import { createPriceBook } from '../pricing/index.ts';
import { createProvider } from './index.ts';
import { collect, sendJson, sendSse, startWireServer, type WireServer } from './test-helpers/wire-server.ts';
import type { ChatRequest, StreamEvent } from './types.ts';

let server: WireServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

const request: ChatRequest = {
  model: 'gpt-4o',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'developer', content: 'Use tools.' },
    { role: 'user', content: 'Weather in Paris?' },
    {
      role: 'assistant',
      content: '',
      toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
    },
    { role: 'tool', toolCallId: 'call_1', content: '{"temp":21}' },
  ],
  parameters: { temperature: 0.2, maxTokens: 50, topP: 0.9, stop: ['END'], seed: 7, logprobs: true },
  responseFormat: { type: 'json_object' },
  tools: [weatherTool],
};

describe('openai provider', () => {
  it('maps a request to chat completions and the answer back, with cached tokens and cost', async () => {
    server = await startWireServer((_req, res) =>
      sendJson(res, 200, {
        id: 'chatcmpl-1',
        model: 'gpt-4o-2024-08-06',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: null,
              tool_calls: [
                {
                  id: 'call_2',
                  type: 'function',
                  function: { name: 'get_weather', arguments: '{"city":"Lyon"}' },
                },
              ],
            },
            finish_reason: 'tool_calls',
          },
        ],
        usage: {
          prompt_tokens: 1_000_000,
          completion_tokens: 100_000,
          prompt_tokens_details: { cached_tokens: 400_000 },
        },
      }),
    );
    const provider = createProvider({ kind: 'openai', apiKey: 'sk-test', baseUrl: `${server.url}/v1` });
    const result = await provider.complete(request);

    const received = server.requests[0];
    expect(received?.url).toBe('/v1/chat/completions');
    expect(received?.headers.authorization).toBe('Bearer sk-test');
    expect(received?.headers['content-type']).toBe('application/json');
    expect(received?.body).toEqual({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'developer', content: 'Use tools.' },
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
      ],
      temperature: 0.2,
      top_p: 0.9,
      max_completion_tokens: 50,
      stop: ['END'],
      seed: 7,
      logprobs: true,
      response_format: { type: 'json_object' },
      tools: [weatherTool],
    });

    expect(result.provider).toBe('openai');
    expect(result.model).toBe('gpt-4o-2024-08-06');
    expect(result.text).toBe('');
    expect(result.toolCalls).toEqual([{ id: 'call_2', name: 'get_weather', arguments: '{"city":"Lyon"}' }]);
    expect(result.finishReason).toBe('tool_calls');
    expect(result.usage).toEqual({
      inputTokens: 1_000_000,
      outputTokens: 100_000,
      cachedInputTokens: 400_000,
      estimated: false,
    });
    // gpt-4o: 600k uncached at $2.50/M + 400k cached at $1.25/M; 100k out at $10/M.
    expect(result.cost).toEqual({ inputUsd: 2, outputUsd: 1, totalUsd: 3 });
    expect(result.latencyMs).toBeGreaterThan(0);
    expect(result.timeToFirstTokenMs).toBeNull();
  });

  it('streams deltas and tool-call fragments, then one done with usage and time to first token', async () => {
    server = await startWireServer(async (_req, res) => {
      const chunk = (delta: unknown, finish: string | null = null) => ({
        model: 'gpt-4o-mini-2024-07-18',
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
      await sendSse(
        res,
        [
          { data: chunk({ role: 'assistant', content: '' }) },
          { data: chunk({ content: 'Let me ' }) },
          { data: chunk({ content: 'check.' }) },
          {
            data: chunk({
              tool_calls: [
                {
                  index: 0,
                  id: 'call_a',
                  type: 'function',
                  function: { name: 'get_weather', arguments: '' },
                },
              ],
            }),
          },
          { data: chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }) },
          { data: chunk({ tool_calls: [{ index: 0, function: { arguments: '"Rome"}' } }] }) },
          { data: chunk({}, 'tool_calls') },
          {
            data: {
              model: 'gpt-4o-mini-2024-07-18',
              choices: [],
              usage: {
                prompt_tokens: 20,
                completion_tokens: 10,
                prompt_tokens_details: { cached_tokens: 0 },
              },
            },
          },
          { data: '[DONE]' },
        ],
        { delayMs: 5 },
      );
    });
    const provider = createProvider({ kind: 'openai', apiKey: 'sk-test', baseUrl: server.url });
    const events = await collect(provider.stream({ ...request, model: 'gpt-4o-mini' }));

    expect(server.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(events.slice(0, -1)).toEqual([
      { type: 'delta', text: 'Let me ' },
      { type: 'delta', text: 'check.' },
      { type: 'tool-call', toolCall: { id: 'call_a', name: 'get_weather', arguments: '{"city":"Rome"}' } },
    ]);
    const done = events.at(-1) as Extract<StreamEvent, { type: 'done' }>;
    expect(done.type).toBe('done');
    expect(done.result.text).toBe('Let me check.');
    expect(done.result.finishReason).toBe('tool_calls');
    expect(done.result.usage).toEqual({
      inputTokens: 20,
      outputTokens: 10,
      cachedInputTokens: 0,
      estimated: false,
    });
    expect(done.result.cost?.totalUsd).toBeCloseTo((20 * 0.15 + 10 * 0.6) / 1e6, 12);
    expect(done.result.timeToFirstTokenMs).toBeGreaterThan(0);
    // The first delta came two events (~10 ms) before the end of the stream.
    expect(done.result.latencyMs).toBeGreaterThan(done.result.timeToFirstTokenMs ?? Infinity);
  });

  it('estimates usage with the tokenizer when an openai-compatible server reports none', async () => {
    server = await startWireServer(async (_req, res) => {
      await sendSse(res, [
        {
          data: { choices: [{ index: 0, delta: { content: 'Hello there, friend.' }, finish_reason: null }] },
        },
        { data: { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] } },
        { data: '[DONE]' },
      ]);
    });
    const provider = createProvider({ kind: 'openai-compatible', baseUrl: `${server.url}/v1` });
    const events = await collect(
      provider.stream({ model: 'llama3.1:8b', messages: [{ role: 'user', content: 'Say hello to me.' }] }),
    );
    const done = events.at(-1) as Extract<StreamEvent, { type: 'done' }>;
    expect(done.result.text).toBe('Hello there, friend.');
    expect(done.result.finishReason).toBe('stop');
    // o200k_base: "Hello there, friend." is 5 tokens; the prompt is 5 tokens + 4 per message + 3.
    expect(done.result.usage).toEqual({
      inputTokens: 12,
      outputTokens: 5,
      cachedInputTokens: 0,
      estimated: true,
    });
    // No price is known for a local llama.
    expect(done.result.cost).toBeNull();
  });

  it('speaks the compatible dialect: no auth without a key, extra headers, max_tokens, system for developer, base URL query kept', async () => {
    server = await startWireServer((_req, res) =>
      sendJson(res, 200, {
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'length' }],
        usage: { prompt_tokens: 3, completion_tokens: 1 },
      }),
    );
    const provider = createProvider({
      kind: 'openai-compatible',
      baseUrl: `${server.url}/openai/deployments/gpt-4o?api-version=2024-10-21`,
      headers: { 'api-key': 'azure-key' },
    });
    const result = await provider.complete({
      model: 'gpt-4o',
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      parameters: { maxTokens: 1 },
    });
    const received = server.requests[0];
    expect(received?.url).toBe('/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
    expect(received?.headers.authorization).toBeUndefined();
    expect(received?.headers['api-key']).toBe('azure-key');
    expect(received?.body).toEqual({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      max_tokens: 1,
    });
    expect(result.text).toBe('ok');
    expect(result.finishReason).toBe('length');
    // A compatible endpoint serving an OpenAI model name is priced like OpenAI's.
    expect(result.cost?.totalUsd).toBeCloseTo((3 * 2.5 + 1 * 10) / 1e6, 12);
  });

  it('prices with the provider settings price book (project overrides)', async () => {
    server = await startWireServer((_req, res) =>
      sendJson(res, 200, {
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1_000_000, completion_tokens: 0 },
      }),
    );
    const prices = createPriceBook([{ provider: 'openai', pattern: 'gpt-4o', input: 1, output: 1 }]);
    const provider = createProvider({ kind: 'openai', apiKey: 'k', baseUrl: server.url, prices });
    const result = await provider.complete({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
    expect(result.cost).toEqual({ inputUsd: 1, outputUsd: 0, totalUsd: 1 });
  });

  it('embeds through /embeddings, in input order', async () => {
    server = await startWireServer((_req, res) =>
      sendJson(res, 200, {
        data: [
          { index: 1, embedding: [0, 1] },
          { index: 0, embedding: [1, 0] },
        ],
      }),
    );
    const provider = createProvider({ kind: 'openai', apiKey: 'k', baseUrl: server.url });
    const vectors = await provider.embed?.(['a', 'b']);
    expect(server.requests[0]?.url).toBe('/embeddings');
    expect(server.requests[0]?.body).toEqual({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    expect(vectors).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });

  it('refuses to start without an API key or base URL, saying what to configure', () => {
    expect(() => createProvider({ kind: 'openai' })).toThrow(/needs an API key/);
    expect(() => createProvider({ kind: 'openai-compatible' })).toThrow(/needs a base URL/);
    expect(() => createProvider({ kind: 'openai-compatible', baseUrl: 'ftp://x' })).toThrow(/not an http/);
  });
});
