import { afterEach, describe, expect, it } from 'vitest';
import { isAppError } from '../errors.ts';
import { createProvider } from './index.ts';
import { collect, sendJson, sendSse, startWireServer, type WireServer } from './test-helpers/wire-server.ts';
import type { StreamEvent } from './types.ts';

let server: WireServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const tool = {
  type: 'function',
  function: { name: 'lookup', description: 'Find a thing', parameters: { type: 'object', properties: {} } },
};

describe('anthropic provider', () => {
  it('lifts the system message out, merges tool results into user turns and maps the answer back', async () => {
    server = await startWireServer((_req, res) =>
      sendJson(res, 200, {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-3-5-sonnet-20241022',
        content: [
          { type: 'text', text: 'Looking it up.' },
          { type: 'tool_use', id: 'toolu_2', name: 'lookup', input: { q: 'more' } },
        ],
        stop_reason: 'tool_use',
        usage: {
          input_tokens: 100,
          cache_read_input_tokens: 1000,
          cache_creation_input_tokens: 0,
          output_tokens: 50,
        },
      }),
    );
    const provider = createProvider({ kind: 'anthropic', apiKey: 'sk-ant', baseUrl: `${server.url}/v1` });
    const result = await provider.complete({
      model: 'claude-3-5-sonnet-latest',
      messages: [
        { role: 'system', content: 'Be helpful.' },
        { role: 'user', content: 'Find two things.' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [
            { id: 'toolu_a', name: 'lookup', arguments: '{"q":"one"}' },
            { id: 'toolu_b', name: 'lookup', arguments: '{"q":"two"}' },
          ],
        },
        { role: 'tool', toolCallId: 'toolu_a', content: 'first' },
        { role: 'tool', toolCallId: 'toolu_b', content: 'second' },
      ],
      parameters: { temperature: 0, stop: ['###'], seed: 3, top_k: 5 },
      tools: [tool],
    });

    const received = server.requests[0];
    expect(received?.url).toBe('/v1/messages');
    expect(received?.headers['x-api-key']).toBe('sk-ant');
    expect(received?.headers['anthropic-version']).toBe('2023-06-01');
    expect(received?.headers.authorization).toBeUndefined();
    expect(received?.body).toEqual({
      model: 'claude-3-5-sonnet-latest',
      system: 'Be helpful.',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Find two things.' }] },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'toolu_a', name: 'lookup', input: { q: 'one' } },
            { type: 'tool_use', id: 'toolu_b', name: 'lookup', input: { q: 'two' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_a', content: 'first' },
            { type: 'tool_result', tool_use_id: 'toolu_b', content: 'second' },
          ],
        },
      ],
      // The API requires max_tokens; seed has no Anthropic equivalent and is dropped.
      max_tokens: 4096,
      temperature: 0,
      stop_sequences: ['###'],
      top_k: 5,
      tools: [
        { name: 'lookup', description: 'Find a thing', input_schema: { type: 'object', properties: {} } },
      ],
    });

    expect(result.model).toBe('claude-3-5-sonnet-20241022');
    expect(result.text).toBe('Looking it up.');
    expect(result.toolCalls).toEqual([{ id: 'toolu_2', name: 'lookup', arguments: '{"q":"more"}' }]);
    expect(result.finishReason).toBe('tool_calls');
    expect(result.usage).toEqual({
      inputTokens: 1100,
      outputTokens: 50,
      cachedInputTokens: 1000,
      estimated: false,
    });
    // 100 × $3/M + 1000 cache reads × $0.30/M + 50 × $15/M
    expect(result.cost?.inputUsd).toBeCloseTo(0.0006, 12);
    expect(result.cost?.outputUsd).toBeCloseTo(0.00075, 12);
  });

  it('streams message_start, text and tool-use deltas and message_delta usage', async () => {
    server = await startWireServer(async (_req, res) => {
      await sendSse(
        res,
        [
          {
            event: 'message_start',
            data: {
              type: 'message_start',
              message: {
                model: 'claude-sonnet-4-20250514',
                usage: { input_tokens: 10, cache_read_input_tokens: 30, output_tokens: 1 },
              },
            },
          },
          {
            event: 'content_block_start',
            data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
          },
          { event: 'ping', data: { type: 'ping' } },
          {
            event: 'content_block_delta',
            data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
          },
          {
            event: 'content_block_delta',
            data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'lo' } },
          },
          { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
          {
            event: 'content_block_start',
            data: {
              type: 'content_block_start',
              index: 1,
              content_block: { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: {} },
            },
          },
          {
            event: 'content_block_delta',
            data: {
              type: 'content_block_delta',
              index: 1,
              delta: { type: 'input_json_delta', partial_json: '{"q":' },
            },
          },
          {
            event: 'content_block_delta',
            data: {
              type: 'content_block_delta',
              index: 1,
              delta: { type: 'input_json_delta', partial_json: '"x"}' },
            },
          },
          { event: 'content_block_stop', data: { type: 'content_block_stop', index: 1 } },
          {
            event: 'message_delta',
            data: { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 25 } },
          },
          { event: 'message_stop', data: { type: 'message_stop' } },
        ],
        { delayMs: 2 },
      );
    });
    const provider = createProvider({ kind: 'anthropic', apiKey: 'k', baseUrl: server.url });
    const events = await collect(
      provider.stream({
        model: 'claude-sonnet-4-0',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [tool],
      }),
    );
    expect(server.requests[0]?.body).toMatchObject({ stream: true });
    expect(events.slice(0, -1)).toEqual([
      { type: 'delta', text: 'Hel' },
      { type: 'delta', text: 'lo' },
      { type: 'tool-call', toolCall: { id: 'toolu_1', name: 'lookup', arguments: '{"q":"x"}' } },
    ]);
    const done = events.at(-1) as Extract<StreamEvent, { type: 'done' }>;
    expect(done.result.text).toBe('Hello');
    expect(done.result.finishReason).toBe('tool_calls');
    expect(done.result.usage).toEqual({
      inputTokens: 40,
      outputTokens: 25,
      cachedInputTokens: 30,
      estimated: false,
    });
    expect(done.result.cost?.totalUsd).toBeCloseTo((10 * 3 + 30 * 0.3 + 25 * 15) / 1e6, 12);
    expect(done.result.timeToFirstTokenMs).not.toBeNull();
  });

  it('answers a JSON schema through a forced tool and returns its input as the text', async () => {
    server = await startWireServer(async (_req, res) => {
      await sendSse(res, [
        {
          event: 'message_start',
          data: {
            type: 'message_start',
            message: { model: 'claude-3-5-haiku-20241022', usage: { input_tokens: 5 } },
          },
        },
        {
          event: 'content_block_start',
          data: {
            type: 'content_block_start',
            index: 0,
            content_block: { type: 'tool_use', id: 'toolu_s', name: 'person', input: {} },
          },
        },
        {
          event: 'content_block_delta',
          data: {
            type: 'content_block_delta',
            index: 0,
            delta: { type: 'input_json_delta', partial_json: '{"name":' },
          },
        },
        {
          event: 'content_block_delta',
          data: {
            type: 'content_block_delta',
            index: 0,
            delta: { type: 'input_json_delta', partial_json: '"Ada"}' },
          },
        },
        { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
        {
          event: 'message_delta',
          data: { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 7 } },
        },
      ]);
    });
    const schema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
    const provider = createProvider({ kind: 'anthropic', apiKey: 'k', baseUrl: server.url });
    const events = await collect(
      provider.stream({
        model: 'claude-3-5-haiku-latest',
        messages: [{ role: 'user', content: 'Who wrote the first program?' }],
        responseFormat: { type: 'json_schema', json_schema: { name: 'person', schema } },
      }),
    );
    expect(server.requests[0]?.body).toMatchObject({
      tools: [{ name: 'person', input_schema: schema }],
      tool_choice: { type: 'tool', name: 'person' },
    });
    const done = events.at(-1) as Extract<StreamEvent, { type: 'done' }>;
    expect(JSON.parse(done.result.text)).toEqual({ name: 'Ada' });
    expect(done.result.toolCalls).toEqual([]);
    expect(done.result.finishReason).toBe('stop');
  });

  it("reports the provider's error message, status and advice", async () => {
    server = await startWireServer((_req, res) =>
      sendJson(res, 400, {
        type: 'error',
        error: { type: 'invalid_request_error', message: 'max_tokens: 100000 > 8192, the maximum allowed.' },
      }),
    );
    const provider = createProvider({ kind: 'anthropic', apiKey: 'k', baseUrl: server.url });
    const error = await provider
      .complete({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught);
    expect(isAppError(error)).toBe(true);
    expect((error as Error).message).toBe(
      'anthropic answered 400 Bad Request: max_tokens: 100000 > 8192, the maximum allowed. Check the request: model, parameters, response format and tools.',
    );
    expect(server.requests).toHaveLength(1);
  });

  it('turns an error event in the middle of a stream into a PROVIDER_ERROR', async () => {
    server = await startWireServer(async (_req, res) => {
      await sendSse(res, [
        { event: 'message_start', data: { type: 'message_start', message: { usage: { input_tokens: 1 } } } },
        {
          event: 'error',
          data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
        },
      ]);
    });
    const provider = createProvider({ kind: 'anthropic', apiKey: 'k', baseUrl: server.url });
    await expect(
      collect(
        provider.stream({ model: 'claude-3-haiku-20240307', messages: [{ role: 'user', content: 'x' }] }),
      ),
    ).rejects.toMatchObject({ code: 'PROVIDER_ERROR', message: expect.stringContaining('Overloaded') });
    expect(server.requests).toHaveLength(1);
  });
});
