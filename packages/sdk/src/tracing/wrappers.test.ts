/**
 * The OpenAI wrapper with the real `openai` package against an OpenAI-compatible server on
 * 127.0.0.1 (streamed and not, tool calls, failures), and the Anthropic wrapper with a duck-typed
 * client shaped like `@anthropic-ai/sdk`'s. Spans go through the real export to a collector that
 * validates them with core's span contract.
 */
import type { AppError, SpanInput } from '@promptline/core';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ChatServer, startChatServer } from '../test-helpers/chat-server.ts';
import { type Collector, startCollector } from '../test-helpers/trace-collector.ts';
import { createTracer, type Tracer } from './tracer.ts';

let chat: ChatServer;
let collector: Collector;
let tracer: Tracer;
let errors: AppError[];
let openai: OpenAI;

beforeAll(async () => {
  chat = await startChatServer({ firstTokenDelayMs: 80, chunkDelayMs: 15 });
  collector = await startCollector();
  openai = new OpenAI({ baseURL: chat.url, apiKey: 'sk-test', maxRetries: 0 });
});
afterAll(async () => {
  await chat.close();
  await collector.stop();
});
beforeEach(() => {
  errors = [];
  collector.spans.length = 0;
  tracer = createTracer({
    url: collector.url,
    apiKey: collector.apiKey,
    environment: 'production',
    onError: (e) => errors.push(e),
  });
});
afterEach(async () => {
  await tracer.close();
  expect(errors).toEqual([]);
});

async function spans(): Promise<SpanInput[]> {
  expect(await tracer.flush()).toBe(true);
  return [...collector.spans];
}

const prompt = {
  name: 'support/reply',
  version: 3,
  variant: 1,
  environment: 'production',
  source: 'server' as const,
};
const messages = [
  { role: 'system' as const, content: 'Be brief.' },
  { role: 'user' as const, content: 'Where is my parcel?' },
];

describe('wrapOpenAI with the openai package', () => {
  it('records a completion: model, usage, input, output, prompt link, and returns the SDK answer untouched', async () => {
    const wrapped = tracer.wrapOpenAI(openai, {
      prompt,
      unit: 'user-7',
      variables: { ticket: 'parcel' },
      userId: 'u7',
    });
    chat.script({
      content: 'It ships today.',
      usage: { prompt_tokens: 30, completion_tokens: 4, cached: 10 },
    });
    const { data, response } = await wrapped.chat.completions
      .create({ model: 'gpt-4o-mini', messages, temperature: 0.2 })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('It ships today.');
    expect(response.headers.get('x-request-id')).toBe('req_123');

    const [span] = await spans();
    expect(span).toMatchObject({
      name: 'openai.chat.completions',
      provider: 'openai',
      model: 'gpt-4o-mini-2026',
      status: 'ok',
      prompt: { name: 'support/reply', version: 3, variant: 1, environment: 'production' },
      unit: 'user-7',
      variables: { ticket: 'parcel' },
      userId: 'u7',
      usage: { input: 30, output: 4, cachedInput: 10, reasoning: 0 },
      input: messages,
      output: { role: 'assistant', content: 'It ships today.' },
      attributes: {
        'gen_ai.request.temperature': 0.2,
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.response.id': 'chatcmpl-1',
      },
    });
    expect(span?.parentSpanId).toBeUndefined();
    expect(span?.timeToFirstTokenMs).toBeUndefined();
  });

  it('leaves the raw answer to a caller who asks for it (asResponse): the body is not consumed behind its back', async () => {
    const wrapped = tracer.wrapOpenAI(openai);
    chat.script({ content: 'raw body' });
    const response = await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages }).asResponse();
    const body = (await response.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toBe('raw body');
    const [span] = await spans();
    // Timing and status only: the answer was the caller's to read.
    expect(span).toMatchObject({ status: 'ok', model: 'gpt-4o-mini', input: messages });
    expect(span?.usage).toBeUndefined();
  });

  it('records a stream as the caller reads it: output assembled, usage from the last chunk, time to first token', async () => {
    const wrapped = tracer.wrapOpenAI(openai);
    chat.script({ content: 'Your parcel ships today.', usage: { prompt_tokens: 20, completion_tokens: 5 } });
    const started = performance.now();
    const stream = await wrapped.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    const elapsed = performance.now() - started;
    expect(text).toBe('Your parcel ships today.');

    const [span] = await spans();
    expect(span).toMatchObject({
      model: 'gpt-4o-mini-2026',
      usage: { input: 20, output: 5 },
      output: { role: 'assistant', content: 'Your parcel ships today.' },
      attributes: { 'gen_ai.request.stream': true, 'gen_ai.response.finish_reasons': ['stop'] },
    });
    const ttft = span?.timeToFirstTokenMs ?? -1;
    // The server waits 80 ms before the first word, then 15 ms between the three others.
    expect(ttft).toBeGreaterThanOrEqual(75);
    const duration = Number(span?.endTime) - Number(span?.startTime);
    expect(duration).toBeGreaterThan(ttft + 30);
    expect(duration).toBeLessThanOrEqual(elapsed + 1);
  });

  it('assembles streamed tool calls', async () => {
    const wrapped = tracer.wrapOpenAI(openai);
    chat.script({ toolCall: { name: 'track_parcel', arguments: '{"order":"A-1"}' } });
    const stream = await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    for await (const _ of stream) {
      // read to the end
    }
    const [span] = await spans();
    expect(span?.output).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'track_parcel', arguments: '{"order":"A-1"}' } },
      ],
    });
    expect(span?.attributes).toMatchObject({ 'gen_ai.response.finish_reasons': ['tool_calls'] });
    // No usage asked for on the stream: none is invented.
    expect(span?.usage).toBeUndefined();
  });

  it('records what was read when the caller stops reading a stream early', async () => {
    const wrapped = tracer.wrapOpenAI(openai);
    chat.script({ content: 'one two three four five' });
    const stream = await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    let chunks = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) chunks++;
      if (chunks === 2) break;
    }
    const [span] = await spans();
    expect(span).toMatchObject({ status: 'ok', output: { content: 'one two ' } });
  });

  it('marks a failed call as an error span and hands the caller the openai error unchanged', async () => {
    const wrapped = tracer.wrapOpenAI(openai);
    chat.script({ status: 500 });
    const error = await wrapped.chat.completions
      .create({ model: 'gpt-4o-mini', messages })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    const [span] = await spans();
    expect(span).toMatchObject({
      status: 'error',
      model: 'gpt-4o-mini',
      statusMessage: expect.stringContaining('500'),
    });
  });

  it('nests generations under the active trace() span, across awaits and concurrent traces', async () => {
    const wrapped = tracer.wrapOpenAI(openai);
    const run = (name: string) =>
      tracer.trace(name, async (span) => {
        await new Promise((r) => setTimeout(r, 5));
        await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages });
        return span;
      });
    const [a, b] = await Promise.all([run('a'), run('b')]);
    const all = await spans();
    const generations = all.filter((s) => s.name === 'openai.chat.completions');
    expect(generations).toHaveLength(2);
    expect(generations.map((g) => `${g.traceId}/${g.parentSpanId}`).sort()).toEqual(
      [`${a.traceId}/${a.spanId}`, `${b.traceId}/${b.spanId}`].sort(),
    );
  });

  it('leaves input and output off with recordContent: false', async () => {
    await tracer
      .wrapOpenAI(openai, { recordContent: false })
      .chat.completions.create({ model: 'gpt-4o-mini', messages });
    const [span] = await spans();
    expect(span?.input).toBeUndefined();
    expect(span?.output).toBeUndefined();
    expect(span?.usage).toMatchObject({ input: 12, output: 7 });
  });

  it('leaves the rest of the client alone', async () => {
    const wrapped = tracer.wrapOpenAI(openai);
    expect(wrapped.baseURL).toBe(chat.url);
    expect(wrapped.chat.completions).toBeDefined();
    expect(await spans()).toEqual([]);
  });
});

/** An object shaped like `new Anthropic()`: `messages.create` answers a message, or a stream of events. */
function anthropicLike() {
  const calls: Record<string, unknown>[] = [];
  const message = {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [{ type: 'text', text: 'It ships today.' }],
    stop_reason: 'end_turn',
    usage: {
      input_tokens: 20,
      output_tokens: 6,
      cache_read_input_tokens: 100,
      cache_creation_input_tokens: 5,
    },
  };
  async function* events() {
    yield {
      type: 'message_start',
      message: {
        ...message,
        content: [],
        usage: { input_tokens: 20, output_tokens: 1, cache_read_input_tokens: 100 },
      },
    };
    yield { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } };
    await new Promise((r) => setTimeout(r, 40));
    yield { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'It ships ' } };
    yield { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'today.' } };
    yield { type: 'content_block_stop', index: 0 };
    yield {
      type: 'content_block_start',
      index: 1,
      content_block: { type: 'tool_use', id: 'tu_1', name: 'track', input: {} },
    };
    yield {
      type: 'content_block_delta',
      index: 1,
      delta: { type: 'input_json_delta', partial_json: '{"order":' },
    };
    yield {
      type: 'content_block_delta',
      index: 1,
      delta: { type: 'input_json_delta', partial_json: '"A-1"}' },
    };
    yield { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } };
    yield { type: 'message_stop' };
  }
  return {
    calls,
    apiKey: 'sk-ant',
    messages: {
      async create(params: Record<string, unknown>) {
        calls.push(params);
        if (params.model === 'broken') throw new Error('overloaded_error');
        return params.stream === true ? events() : message;
      },
    },
  };
}

describe('wrapAnthropic with an Anthropic-shaped client', () => {
  it('records a message: cache reads and writes count as input, the system prompt leads the input', async () => {
    const client = anthropicLike();
    const params = {
      model: 'claude-sonnet-4-5',
      max_tokens: 256,
      system: 'Be brief.',
      messages: [messages[1]],
    };
    const answer = (await tracer.wrapAnthropic(client, { prompt }).messages.create(params)) as {
      content: { text: string }[];
    };
    expect(answer.content[0]?.text).toBe('It ships today.');
    const [span] = await spans();
    expect(span).toMatchObject({
      name: 'anthropic.messages',
      provider: 'anthropic',
      model: 'claude-sonnet-4-5-20250929',
      usage: { input: 125, output: 6, cachedInput: 100 },
      input: [{ role: 'system', content: 'Be brief.' }, messages[1]],
      output: { role: 'assistant', content: [{ type: 'text', text: 'It ships today.' }] },
      prompt: { name: 'support/reply', version: 3 },
      attributes: { 'gen_ai.request.max_tokens': 256, 'gen_ai.response.finish_reasons': ['end_turn'] },
    });
  });

  it('records a stream of events: text and tool input assembled, final usage, time to first token', async () => {
    const client = anthropicLike();
    const stream = await tracer.wrapAnthropic(client).messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 256,
      messages: [messages[1]],
      stream: true,
    });
    let text = '';
    for await (const event of stream as AsyncIterable<{ type: string; delta?: { text?: string } }>) {
      text += event.delta?.text ?? '';
    }
    expect(text).toBe('It ships today.');
    const [span] = await spans();
    expect(span).toMatchObject({
      usage: { input: 120, output: 9, cachedInput: 100 },
      output: {
        content: [
          { type: 'text', text: 'It ships today.' },
          { type: 'tool_use', id: 'tu_1', name: 'track', input: { order: 'A-1' } },
        ],
      },
      attributes: { 'gen_ai.response.finish_reasons': ['tool_use'] },
    });
    expect(span?.timeToFirstTokenMs).toBeGreaterThanOrEqual(35);
  });

  it('marks a failed call as an error and rethrows it', async () => {
    const client = anthropicLike();
    await expect(
      tracer.wrapAnthropic(client).messages.create({ model: 'broken', max_tokens: 1, messages: [] }),
    ).rejects.toThrow('overloaded_error');
    const [span] = await spans();
    expect(span).toMatchObject({ status: 'error', statusMessage: 'overloaded_error', model: 'broken' });
  });
});
