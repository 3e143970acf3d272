import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors.ts';
import type { ChatResult } from '../providers/types.ts';
import { ChatCompletionRequest } from './schemas.ts';
import { createChunkWriter, toChatCompletion, toChatRequest } from './translate.ts';

const parse = (body: unknown) => ChatCompletionRequest.parse(body);

describe('OpenAI chat request → provider request', () => {
  it('maps messages, tool calls, tool results, parameters and formats, and names what it left out', () => {
    const { request, ignored } = toChatRequest(
      parse({
        model: 'anthropic/claude',
        messages: [
          { role: 'system', content: 'Be brief.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'a' },
              { type: 'text', text: 'b' },
            ],
          },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 'c1', content: 'done' },
        ],
        max_completion_tokens: 50,
        temperature: 0.5,
        stop: 'END',
        response_format: { type: 'json_object' },
        tool_choice: 'required',
        logprobs: true,
        parallel_tool_calls: false,
      }),
      'anthropic',
      'claude',
    );
    expect(request.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'a\nb' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }] },
      { role: 'tool', content: 'done', toolCallId: 'c1' },
    ]);
    expect(request.parameters).toEqual({
      maxTokens: 50,
      temperature: 0.5,
      stop: ['END'],
      tool_choice: 'required',
    });
    expect(request.responseFormat).toEqual({ type: 'json_object' });
    expect(ignored).toEqual(['logprobs', 'parallel_tool_calls']);
    // tool_choice only reaches Anthropic, whose mapping knows it.
    expect(
      toChatRequest(
        parse({ model: 'gemini/g', messages: [{ role: 'user', content: 'x' }], tool_choice: 'auto' }),
        'gemini',
        'g',
      ).ignored,
    ).toEqual(['tool_choice']);
  });

  it('refuses image parts and n > 1 with GATEWAY_UNSUPPORTED naming the field', () => {
    const image = parse({
      model: 'mock/m',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }],
    });
    try {
      toChatRequest(image, 'mock', 'm');
      expect.unreachable();
    } catch (error) {
      expect(isAppError(error) && error.code).toBe('GATEWAY_UNSUPPORTED');
      expect(isAppError(error) && error.errors?.[0]?.path).toBe('messages.0.content');
    }
    expect(() =>
      toChatRequest(
        parse({ model: 'mock/m', messages: [{ role: 'user', content: 'x' }], n: 2 }),
        'mock',
        'm',
      ),
    ).toThrow(/n=2/);
  });
});

describe('provider result → OpenAI shapes', () => {
  const result: ChatResult = {
    provider: 'anthropic',
    model: 'claude-3-5-haiku',
    text: '',
    toolCalls: [{ id: 't1', name: 'f', arguments: '{"a":1}' }],
    finishReason: 'tool_calls',
    usage: { inputTokens: 10, outputTokens: 4, cachedInputTokens: 2, estimated: true },
    cost: null,
    latencyMs: 5,
    timeToFirstTokenMs: null,
  };

  it('answers a chat.completion with null content beside tool calls and estimated usage marked', () => {
    expect(toChatCompletion(result, 'chatcmpl-1', 7)).toEqual({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 7,
      model: 'claude-3-5-haiku',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: {
        prompt_tokens: 10,
        completion_tokens: 4,
        total_tokens: 14,
        prompt_tokens_details: { cached_tokens: 2 },
        estimated: true,
      },
    });
  });

  it('numbers streamed tool calls and ends with a finish chunk and an optional usage chunk', () => {
    const chunks = createChunkWriter('c', 1, 'm');
    expect(chunks.start().choices[0]).toMatchObject({ delta: { role: 'assistant', content: '' } });
    expect(chunks.toolCall({ id: 'a', name: 'f', arguments: '{}' }).choices[0]).toMatchObject({
      delta: { tool_calls: [{ index: 0, id: 'a' }] },
    });
    expect(chunks.toolCall({ id: 'b', name: 'g', arguments: '{}' }).choices[0]).toMatchObject({
      delta: { tool_calls: [{ index: 1, id: 'b' }] },
    });
    expect(chunks.finish(null).choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks.usage(result.usage)).toMatchObject({ choices: [], usage: { total_tokens: 14 } });
  });
});
