import { describe, expect, it } from 'vitest';
import { createProvider } from './index.ts';
import { mockEmbedding } from './mock.ts';
import { collect } from './test-helpers/wire-server.ts';
import type { ChatRequest, StreamEvent } from './types.ts';

const request: ChatRequest = {
  model: 'mock-1',
  messages: [
    { role: 'system', content: 'Be nice.' },
    { role: 'user', content: 'Summarise   the plot of Hamlet in one line.' },
  ],
};

function cosine(a: number[], b: number[]): number {
  return a.reduce((sum, value, i) => sum + value * (b[i] ?? 0), 0);
}

describe('mock provider', () => {
  it('answers deterministically from the last user message, with usage and zero cost', async () => {
    const provider = createProvider({ kind: 'mock' });
    const first = await provider.complete(request);
    const second = await provider.complete(request);
    expect(first.text).toBe(
      'Mock answer from mock-1. You said: "Summarise the plot of Hamlet in one line." (8 words, 2 messages).',
    );
    expect(second.text).toBe(first.text);
    expect(first.provider).toBe('mock');
    expect(first.finishReason).toBe('stop');
    expect(first.usage).toEqual({
      inputTokens: 24,
      outputTokens: 26,
      cachedInputTokens: 0,
      estimated: false,
    });
    expect(first.cost).toEqual({ inputUsd: 0, outputUsd: 0, totalUsd: 0 });
  });

  it('streams the same answer word by word with the configured delay', async () => {
    const provider = createProvider({ kind: 'mock', mockDelayMs: 10 });
    const events = await collect(provider.stream(request));
    const deltas = events.filter((event) => event.type === 'delta');
    const done = events.at(-1) as Extract<StreamEvent, { type: 'done' }>;
    expect(deltas.length).toBe(18);
    expect(deltas.map((event) => event.text).join('')).toBe(done.result.text);
    expect(done.result.text).toBe((await provider.complete(request)).text);
    expect(done.result.timeToFirstTokenMs).toBeGreaterThanOrEqual(9);
    expect(done.result.latencyMs).toBeGreaterThanOrEqual(18 * 9);
  });

  it('fills a JSON schema and calls the first tool with sample arguments', async () => {
    const provider = createProvider({ kind: 'mock', mockDelayMs: 0 });
    const schema = {
      type: 'object',
      properties: {
        summary: { type: 'string' },
        count: { type: 'integer' },
        tone: { enum: ['calm', 'angry'] },
        tags: { type: 'array', items: { type: 'string' } },
      },
    };
    const json = await provider.complete({
      ...request,
      responseFormat: { type: 'json_schema', json_schema: { name: 'r', schema } },
    });
    expect(JSON.parse(json.text)).toEqual({
      summary: 'Summarise the plot of Hamlet in one line.',
      count: 8,
      tone: 'calm',
      tags: ['Summarise the plot of Hamlet in one line.'],
    });

    const tools = [
      {
        type: 'function',
        function: { name: 'search', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
      },
    ];
    const called = await provider.complete({ ...request, tools });
    expect(called.finishReason).toBe('tool_calls');
    expect(called.toolCalls).toEqual([
      { id: 'call_mock_0', name: 'search', arguments: '{"q":"Summarise the plot of Hamlet in one line."}' },
    ]);
    const answered = await provider.complete({
      ...request,
      tools,
      messages: [
        ...request.messages,
        { role: 'assistant', content: '', toolCalls: called.toolCalls },
        { role: 'tool', toolCallId: 'call_mock_0', content: 'Hamlet avenges his father.' },
      ],
    });
    expect(answered.text).toBe(
      'Mock answer from mock-1 using the tool result: "Hamlet avenges his father.".',
    );
  });

  it('cuts at maxTokens with finish reason length', async () => {
    const provider = createProvider({ kind: 'mock' });
    const result = await provider.complete({ ...request, parameters: { maxTokens: 3 } });
    expect(result.text).toBe('Mock answer ');
    expect(result.finishReason).toBe('length');
  });

  it('stops streaming when aborted', async () => {
    const provider = createProvider({ kind: 'mock', mockDelayMs: 20 });
    const controller = new AbortController();
    let deltas = 0;
    const error = await (async () => {
      for await (const event of provider.stream({ ...request, signal: controller.signal })) {
        if (event.type === 'delta' && ++deltas === 2) controller.abort();
      }
    })().catch((caught: unknown) => caught);
    expect((error as Error).name).toBe('AbortError');
    expect(deltas).toBe(2);
  });

  it('embeds deterministically: unit vectors, closer for texts that share words', async () => {
    const provider = createProvider({ kind: 'mock' });
    const [a, b, c] =
      (await provider.embed?.(['the cat sat on the mat', 'the cat sat', 'quantum chromodynamics'])) ?? [];
    expect(a).toEqual(mockEmbedding('the cat sat on the mat'));
    expect(a?.length).toBe(256);
    expect(Math.hypot(...(a ?? []))).toBeCloseTo(1, 10);
    expect(cosine(a ?? [], b ?? [])).toBeGreaterThan(0.6);
    expect(Math.abs(cosine(a ?? [], c ?? []))).toBeLessThan(0.3);
  });
});
