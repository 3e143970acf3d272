import { afterEach, describe, expect, it } from 'vitest';
import { createProvider } from './index.ts';
import { collect, sendJson, sendSse, startWireServer, type WireServer } from './test-helpers/wire-server.ts';
import type { StreamEvent } from './types.ts';

let server: WireServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const schema = { type: 'object', properties: { city: { type: 'string' } } };

describe('gemini provider', () => {
  it('maps messages to contents, system to systemInstruction, parameters to generationConfig', async () => {
    server = await startWireServer((_req, res) =>
      sendJson(res, 200, {
        candidates: [
          {
            content: {
              role: 'model',
              parts: [{ text: 'thinking…', thought: true }, { text: '{"city":' }, { text: '"Oslo"}' }],
            },
            finishReason: 'STOP',
          },
        ],
        usageMetadata: {
          promptTokenCount: 2_000_000,
          cachedContentTokenCount: 1_000_000,
          candidatesTokenCount: 600_000,
          thoughtsTokenCount: 400_000,
        },
        modelVersion: 'gemini-2.5-flash',
      }),
    );
    const provider = createProvider({ kind: 'gemini', apiKey: 'g-key', baseUrl: `${server.url}/v1beta` });
    const result = await provider.complete({
      model: 'gemini-2.5-flash',
      messages: [
        { role: 'system', content: 'Answer in JSON.' },
        { role: 'user', content: 'Where?' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'locate', arguments: '{"q":"x"}' }] },
        { role: 'tool', toolCallId: 'c1', content: '{"found":true}' },
        { role: 'tool', toolCallId: 'c1', content: 'plain text' },
        { role: 'user', content: 'And now?' },
      ],
      parameters: {
        temperature: 0.5,
        maxTokens: 100,
        topP: 1,
        stop: ['x'],
        seed: 1,
        topK: 4,
        safetySettings: [],
      },
      responseFormat: { type: 'json_schema', json_schema: { name: 'place', schema } },
      tools: [{ type: 'function', function: { name: 'locate', parameters: { type: 'object' } } }],
    });
    const received = server.requests[0];
    expect(received?.url).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(received?.headers['x-goog-api-key']).toBe('g-key');
    expect(received?.body).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'Where?' }] },
        { role: 'model', parts: [{ functionCall: { name: 'locate', args: { q: 'x' } } }] },
        {
          role: 'user',
          parts: [
            { functionResponse: { name: 'locate', response: { found: true } } },
            { functionResponse: { name: 'locate', response: { result: 'plain text' } } },
            { text: 'And now?' },
          ],
        },
      ],
      systemInstruction: { parts: [{ text: 'Answer in JSON.' }] },
      generationConfig: {
        temperature: 0.5,
        maxOutputTokens: 100,
        topP: 1,
        stopSequences: ['x'],
        seed: 1,
        responseMimeType: 'application/json',
        responseJsonSchema: schema,
        topK: 4,
      },
      tools: [{ functionDeclarations: [{ name: 'locate', parameters: { type: 'object' } }] }],
      safetySettings: [],
    });
    expect(result.text).toBe('{"city":"Oslo"}');
    expect(result.finishReason).toBe('stop');
    // Thinking tokens are billed as output.
    expect(result.usage).toEqual({
      inputTokens: 2_000_000,
      outputTokens: 1_000_000,
      cachedInputTokens: 1_000_000,
      estimated: false,
    });
    // 1M × $0.30 + 1M cached × $0.03 + 1M out × $2.50
    expect(result.cost).toEqual({ inputUsd: 0.33, outputUsd: 2.5, totalUsd: 2.83 });
  });

  it('streams from streamGenerateContent?alt=sse with function calls and the last usage block', async () => {
    server = await startWireServer(async (_req, res) => {
      await sendSse(
        res,
        [
          { data: { candidates: [{ content: { role: 'model', parts: [{ text: 'Checking ' }] } }] } },
          {
            data: {
              candidates: [
                {
                  content: {
                    role: 'model',
                    parts: [{ text: 'now.' }, { functionCall: { name: 'locate', args: {} } }],
                  },
                  finishReason: 'STOP',
                },
              ],
              usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 4, totalTokenCount: 12 },
              modelVersion: 'gemini-2.0-flash-001',
            },
          },
        ],
        { delayMs: 3 },
      );
    });
    const provider = createProvider({ kind: 'gemini', apiKey: 'g', baseUrl: server.url });
    const events = await collect(
      provider.stream({
        model: 'models/gemini-2.0-flash',
        messages: [{ role: 'user', content: 'where am I' }],
      }),
    );
    expect(server.requests[0]?.url).toBe('/models/gemini-2.0-flash:streamGenerateContent?alt=sse');
    expect(events.slice(0, -1)).toEqual([
      { type: 'delta', text: 'Checking ' },
      { type: 'delta', text: 'now.' },
      { type: 'tool-call', toolCall: { id: 'call_0', name: 'locate', arguments: '{}' } },
    ]);
    const done = events.at(-1) as Extract<StreamEvent, { type: 'done' }>;
    expect(done.result.model).toBe('gemini-2.0-flash-001');
    expect(done.result.finishReason).toBe('tool_calls');
    expect(done.result.usage).toEqual({
      inputTokens: 8,
      outputTokens: 4,
      cachedInputTokens: 0,
      estimated: false,
    });
    expect(done.result.cost?.totalUsd).toBeCloseTo((8 * 0.1 + 4 * 0.4) / 1e6, 12);
  });

  it('normalises safety blocks to content_filter', async () => {
    server = await startWireServer((_req, res) =>
      sendJson(res, 200, {
        candidates: [{ content: { parts: [] }, finishReason: 'SAFETY' }],
        usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 0 },
      }),
    );
    const provider = createProvider({ kind: 'gemini', apiKey: 'g', baseUrl: server.url });
    const result = await provider.complete({
      model: 'gemini-1.5-pro',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(result.finishReason).toBe('content_filter');
    expect(result.text).toBe('');
  });

  it('embeds a batch with batchEmbedContents', async () => {
    server = await startWireServer((_req, res) =>
      sendJson(res, 200, { embeddings: [{ values: [0.1, 0.2] }, { values: [0.3, 0.4] }] }),
    );
    const provider = createProvider({ kind: 'gemini', apiKey: 'g', baseUrl: server.url });
    const vectors = await provider.embed?.(['one', 'two'], { model: 'text-embedding-004' });
    expect(server.requests[0]?.url).toBe('/models/text-embedding-004:batchEmbedContents');
    expect(server.requests[0]?.body).toEqual({
      requests: [
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'one' }] } },
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'two' }] } },
      ],
    });
    expect(vectors).toEqual([
      [0.1, 0.2],
      [0.3, 0.4],
    ]);
  });

  it('names gemini and its status in errors', async () => {
    server = await startWireServer((_req, res) =>
      sendJson(res, 403, {
        error: { code: 403, message: 'API key not valid.', status: 'PERMISSION_DENIED' },
      }),
    );
    const provider = createProvider({ kind: 'gemini', apiKey: 'bad', baseUrl: server.url });
    await expect(
      provider.complete({ model: 'gemini-2.5-pro', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      message:
        'gemini answered 403 Forbidden: API key not valid. Check the provider credentials of this project.',
      details: { provider: 'gemini', status: 403, retryable: false },
    });
  });
});
