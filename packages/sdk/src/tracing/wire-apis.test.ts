/**
 * `wrapOpenAI` on the Responses API (`responses.create`, streamed and not) with the real `openai`
 * package, and `wrapAnthropic` with the real `@anthropic-ai/sdk` (`messages.create` and
 * `messages.stream`), both against a server on 127.0.0.1 speaking those APIs. Spans go through the
 * real export to a collector that validates them with core's span contract.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { AppError, SpanInput } from '@promptline/core';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../test-helpers/api-server.ts';
import { type Collector, startCollector } from '../test-helpers/trace-collector.ts';
import { createTracer, type Tracer } from './tracer.ts';

let api: ApiServer;
let collector: Collector;
let tracer: Tracer;
let errors: AppError[];
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  api = await startApiServer({ firstTokenDelayMs: 80 });
  collector = await startCollector();
  openai = new OpenAI({ baseURL: `${api.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: api.url, apiKey: 'sk-ant-test', maxRetries: 0 });
});
afterAll(async () => {
  await api.close();
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
  variant: 0,
  environment: 'production',
  source: 'server' as const,
};

describe('wrapOpenAI on the Responses API with the openai package', () => {
  it('records responses.create: instructions and input, output items, usage, finish reason, prompt link', async () => {
    const wrapped = tracer.wrapOpenAI(openai, { prompt, userId: 'u1' });
    api.script({ text: 'It ships today.' });
    const response = await wrapped.responses.create({
      model: 'gpt-4.1-mini',
      instructions: 'Be brief.',
      input: 'Where is my parcel?',
      max_output_tokens: 100,
    });
    // The SDK's own answer, convenience fields included.
    expect(response.output_text).toBe('It ships today.');
    expect(api.requests.at(-1)?.path).toBe('/v1/responses');
    const [span] = await spans();
    expect(span).toMatchObject({
      name: 'openai.responses',
      provider: 'openai',
      model: 'gpt-4.1-mini-2026',
      status: 'ok',
      prompt: { name: 'support/reply', version: 3 },
      userId: 'u1',
      usage: { input: 30, output: 6, cachedInput: 10, reasoning: 2 },
      input: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Where is my parcel?' },
      ],
      output: [
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'It ships today.' }] },
      ],
      attributes: {
        'gen_ai.request.max_tokens': 100,
        'gen_ai.response.finish_reasons': ['completed'],
        'gen_ai.response.id': 'resp_1',
      },
    });
    expect(span?.timeToFirstTokenMs).toBeUndefined();
  });

  it('records a streamed response as the caller reads it: the completed response, time to first token', async () => {
    const wrapped = tracer.wrapOpenAI(openai);
    api.script({ text: 'Your parcel ships today.' });
    const stream = await wrapped.responses.create({
      model: 'gpt-4.1-mini',
      input: [{ role: 'user', content: 'Where?' }],
      stream: true,
    });
    let text = '';
    for await (const event of stream) if (event.type === 'response.output_text.delta') text += event.delta;
    expect(text).toBe('Your parcel ships today.');
    const [span] = await spans();
    expect(span).toMatchObject({
      status: 'ok',
      model: 'gpt-4.1-mini-2026',
      usage: { input: 30, output: 6 },
      input: [{ role: 'user', content: 'Where?' }],
      output: [{ type: 'message', content: [{ type: 'output_text', text: 'Your parcel ships today.' }] }],
      attributes: { 'gen_ai.request.stream': true, 'gen_ai.response.finish_reasons': ['completed'] },
    });
    expect(span?.timeToFirstTokenMs).toBeGreaterThanOrEqual(75);
  });

  it('records a streamed function call, and what arrived of a stream the caller left early', async () => {
    const wrapped = tracer.wrapOpenAI(openai);
    api.script({ toolCall: { name: 'track', arguments: '{"order":"A-1"}' } }, { text: 'one two three four' });
    for await (const _ of await wrapped.responses.create({ model: 'm', input: 'track', stream: true })) {
      // read to the end
    }
    let read = 0;
    for await (const event of await wrapped.responses.create({ model: 'm', input: 'count', stream: true })) {
      if (event.type === 'response.output_text.delta' && ++read === 2) break;
    }
    const [call, partial] = await spans();
    expect(call?.output).toEqual([
      {
        type: 'function_call',
        id: 'fc_1',
        call_id: 'call_1',
        name: 'track',
        arguments: '{"order":"A-1"}',
        status: 'completed',
      },
    ]);
    expect(partial).toMatchObject({
      status: 'ok',
      model: 'm-2026',
      output: [{ type: 'message', text: 'one two ' }],
      attributes: { 'gen_ai.response.id': 'resp_1' },
    });
  });

  it('marks a refused call and a stream that fails mid-answer as errors; the caller gets the openai errors', async () => {
    const wrapped = tracer.wrapOpenAI(openai);
    api.script({ status: 500 }, { text: 'one two three', failAfterWords: 1 });
    const refused = await wrapped.responses.create({ model: 'm', input: 'x' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.InternalServerError);
    const failed = await (async () => {
      for await (const _ of await wrapped.responses.create({ model: 'm', input: 'y', stream: true })) {
        // read until it fails
      }
    })().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(OpenAI.APIError);
    const [first, second] = await spans();
    expect(first).toMatchObject({
      status: 'error',
      model: 'm',
      statusMessage: expect.stringContaining('500'),
    });
    expect(second).toMatchObject({
      status: 'error',
      statusMessage: expect.stringContaining('crashed mid-answer'),
    });
  });

  it('still records chat.completions.create on the same wrapped client', async () => {
    const wrapped = tracer.wrapOpenAI(openai);
    expect(typeof wrapped.chat.completions.create).toBe('function');
    expect(wrapped.responses.retrieve).toBeDefined();
    expect(await spans()).toEqual([]);
  });
});

describe('wrapAnthropic with @anthropic-ai/sdk', () => {
  const params = {
    model: 'claude-test-1',
    max_tokens: 256,
    system: 'Be brief.',
    messages: [{ role: 'user' as const, content: 'Where is my parcel?' }],
  };

  it('records messages.create: cache reads and writes count as input', async () => {
    api.script({ text: 'It ships today.' });
    const message = await tracer.wrapAnthropic(anthropic, { prompt }).messages.create(params);
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'It ships today.' });
    expect(api.requests.at(-1)?.path).toBe('/v1/messages');
    const [span] = await spans();
    expect(span).toMatchObject({
      name: 'anthropic.messages',
      model: 'claude-test-1-20260101',
      usage: { input: 125, output: 6, cachedInput: 100 },
      input: [{ role: 'system', content: 'Be brief.' }, params.messages[0]],
      prompt: { name: 'support/reply', version: 3 },
      attributes: { 'gen_ai.response.finish_reasons': ['end_turn'], 'gen_ai.response.id': 'msg_01' },
    });
  });

  it("records messages.stream read through .on('text') and finalMessage(): final usage, time to first token", async () => {
    api.script({ text: 'Your parcel ships today.' });
    const stream = tracer.wrapAnthropic(anthropic).messages.stream(params);
    let text = '';
    stream.on('text', (delta) => {
      text += delta;
    });
    const message = await stream.finalMessage();
    expect(text).toBe('Your parcel ships today.');
    expect(message.stop_reason).toBe('end_turn');
    const [span] = await spans();
    expect(span).toMatchObject({
      name: 'anthropic.messages',
      status: 'ok',
      model: 'claude-test-1-20260101',
      usage: { output: 9, cachedInput: 100 },
      output: { role: 'assistant', content: [{ type: 'text', text: 'Your parcel ships today.' }] },
      attributes: { 'gen_ai.request.stream': true, 'gen_ai.response.finish_reasons': ['end_turn'] },
    });
    expect(span?.usage?.input).toBeGreaterThanOrEqual(120);
    expect(span?.timeToFirstTokenMs).toBeGreaterThanOrEqual(75);
  });

  it('records messages.stream iterated with for await, and what arrived when the caller breaks off', async () => {
    api.script({ text: 'one two three four' });
    const stream = tracer.wrapAnthropic(anthropic).messages.stream(params);
    let deltas = 0;
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && ++deltas === 2) break;
    }
    // Breaking off aborts the stream; it ends a moment later.
    expect(await stream.done().catch((e: unknown) => e)).toBeInstanceOf(Anthropic.APIUserAbortError);
    const [span] = await spans();
    expect(span).toMatchObject({
      status: 'ok',
      model: 'claude-test-1-20260101',
      output: { role: 'assistant', content: [{ type: 'text', text: 'one two ' }] },
    });
  });

  it('marks a stream that fails mid-answer, and one refused with 529, as errors; the caller sees the SDK errors', async () => {
    api.script({ text: 'one two three', failAfterWords: 1 }, { status: 529 });
    const failed = await tracer
      .wrapAnthropic(anthropic)
      .messages.stream(params)
      .finalMessage()
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Anthropic.APIError);
    const refused = await tracer
      .wrapAnthropic(anthropic)
      .messages.stream(params)
      .done()
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.APIError);
    expect((refused as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    const [first, second] = await spans();
    expect(first).toMatchObject({
      status: 'error',
      statusMessage: expect.stringContaining('Overloaded mid-answer'),
      output: { content: [{ type: 'text', text: 'one ' }] },
    });
    expect(second).toMatchObject({
      status: 'error',
      model: 'claude-test-1',
      statusMessage: expect.stringContaining('529'),
    });
  });

  it('records messages.create with stream: true through the real SDK stream', async () => {
    api.script({ text: 'Streamed.' });
    const stream = await tracer.wrapAnthropic(anthropic).messages.create({ ...params, stream: true });
    let text = '';
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    expect(text).toBe('Streamed.');
    const [span] = await spans();
    expect(span).toMatchObject({
      status: 'ok',
      usage: { output: 9 },
      attributes: { 'gen_ai.request.stream': true },
    });
  });
});
