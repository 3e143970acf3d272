import { describe, expect, it } from 'vitest';
import { MAX_ATTRIBUTE_VALUE_LENGTH, MAX_SPAN_ATTRIBUTES } from '../limits.ts';
import { SpanInput } from '../schemas.ts';
import { mapOtlpSpan, mapOtlpTraces, partialSuccessMessage } from './map.ts';
import type { OtlpAttributes, OtlpEvent, OtlpSpan, OtlpValue } from './model.ts';

const TRACE = '5b8efff798038103d269b633813fc60c';
const START = 1_796_032_800_000;

function otlpSpan(attributes: OtlpAttributes, extra: Partial<OtlpSpan> = {}): OtlpSpan {
  return {
    traceId: TRACE,
    spanId: 'eee19b7ec3c1b174',
    parentSpanId: '',
    name: 'chat gpt-4o',
    kind: 3,
    startMs: START,
    endMs: START + 1_250.5,
    attributes,
    droppedAttributesCount: 0,
    events: [],
    status: { code: 0, message: '' },
    ...extra,
  };
}

function map(attributes: OtlpAttributes, extra: Partial<OtlpSpan> = {}, resource: OtlpAttributes = {}) {
  const mapped = mapOtlpSpan(otlpSpan(attributes, extra), resource, { name: 'scope', version: '' });
  if (!mapped.ok) throw new Error(mapped.reason);
  // The mapping builds spans within the contract instead of parsing them: every one must pass it unchanged.
  expect(SpanInput.parse(mapped.span)).toEqual(mapped.span);
  return mapped.span;
}

const event = (name: string, attributes: OtlpAttributes): OtlpEvent => ({ name, timeMs: START, attributes });

describe('GenAI semantic conventions, current spellings', () => {
  it('maps provider, model, usage, finish reasons, messages, session, user and timing', () => {
    const span = map({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
      'gen_ai.usage.cache_read.input_tokens': 100,
      'gen_ai.usage.reasoning.output_tokens': 12,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.system_instructions': '[{"type":"text","content":"Be brief."}]',
      'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]',
      'gen_ai.output.messages':
        '[{"role":"assistant","parts":[{"type":"text","content":"Hello"}],"finish_reason":"stop"}]',
      'gen_ai.conversation.id': 'conv-1',
      'user.id': 'u-42',
    });
    expect(span).toMatchObject({
      traceId: TRACE,
      spanId: 'eee19b7ec3c1b174',
      name: 'chat gpt-4o',
      startTime: START,
      endTime: START + 1_250.5,
      status: 'ok',
      provider: 'openai',
      model: 'gpt-4o',
      usage: { input: 120, output: 30, cachedInput: 100, reasoning: 12 },
      sessionId: 'conv-1',
      userId: 'u-42',
      input: [
        { role: 'system', parts: [{ type: 'text', content: 'Be brief.' }] },
        { role: 'user', parts: [{ type: 'text', content: 'Hi' }] },
      ],
      output: [{ role: 'assistant', parts: [{ type: 'text', content: 'Hello' }], finish_reason: 'stop' }],
    });
    expect(span.parentSpanId).toBeUndefined();
    // Content lives in input/output; scalars stay as attributes, with the response model.
    expect(span.attributes).toMatchObject({
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.response.finish_reasons': ['stop'],
      'otel.span.kind': 'client',
      'otel.scope.name': 'scope',
    });
    expect(span.attributes?.['gen_ai.input.messages']).toBeUndefined();
    expect(span.attributes?.['gen_ai.system_instructions']).toBeUndefined();
  });

  it('reads messages from a gen_ai.client.inference.operation.details event', () => {
    const span = map(
      {},
      {
        events: [
          event('gen_ai.client.inference.operation.details', {
            'gen_ai.input.messages': '[{"role":"user","parts":[]}]',
            'gen_ai.output.messages': '[{"role":"assistant","parts":[]}]',
          }),
        ],
      },
    );
    expect(span.input).toEqual([{ role: 'user', parts: [] }]);
    expect(span.output).toEqual([{ role: 'assistant', parts: [] }]);
  });

  it('marks an ERROR status as error with its message, else the exception event, else error.type', () => {
    expect(map({}, { status: { code: 2, message: 'rate limited' } })).toMatchObject({
      status: 'error',
      statusMessage: 'rate limited',
    });
    const withException = map(
      {},
      {
        status: { code: 2, message: '' },
        events: [
          event('exception', { 'exception.type': 'APIError', 'exception.message': '429 Too Many Requests' }),
        ],
      },
    );
    expect(withException.statusMessage).toBe('429 Too Many Requests');
    expect(map({ 'error.type': 'timeout' }, { status: { code: 2, message: '' } }).statusMessage).toBe(
      'timeout',
    );
    expect(map({}, { status: { code: 1, message: '' } }).status).toBe('ok');
  });
});

describe('GenAI semantic conventions, older spellings', () => {
  it('reads gen_ai.system, prompt/completion tokens, cached_tokens and indexed prompt/completion attributes', () => {
    const span = map({
      'gen_ai.system': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4',
      'gen_ai.usage.prompt_tokens': '80',
      'gen_ai.usage.completion_tokens': 20,
      'gen_ai.usage.cached_tokens': 40,
      'gen_ai.prompt.0.role': 'system',
      'gen_ai.prompt.0.content': 'Be brief.',
      'gen_ai.prompt.1.role': 'user',
      'gen_ai.prompt.1.content': 'Hi',
      'gen_ai.completion.0.role': 'assistant',
      'gen_ai.completion.0.content': 'Hello',
      'gen_ai.completion.0.finish_reason': 'end_turn',
      'gen_ai.completion.0.tool_calls.0.name': 'lookup',
    });
    expect(span).toMatchObject({ provider: 'anthropic', model: 'claude-sonnet-4' });
    expect(span.usage).toEqual({ input: 80, output: 20, cachedInput: 40 });
    expect(span.input).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ]);
    expect(span.output).toEqual([
      {
        role: 'assistant',
        content: 'Hello',
        finish_reason: 'end_turn',
        tool_calls: { 0: { name: 'lookup' } },
      },
    ]);
    expect(span.attributes?.['gen_ai.response.finish_reasons']).toEqual(['end_turn']);
    expect(Object.keys(span.attributes ?? {}).some((k) => k.startsWith('gen_ai.prompt.'))).toBe(false);
  });

  it('reads the per-message span events (gen_ai.user.message, gen_ai.choice…)', () => {
    const span = map(
      { 'gen_ai.system': 'openai' },
      {
        events: [
          event('gen_ai.system.message', { 'gen_ai.system': 'openai', content: 'Be brief.' }),
          event('gen_ai.user.message', { content: 'Hi' }),
          event('gen_ai.assistant.message', { tool_calls: '[{"id":"c1"}]' }),
          event('gen_ai.tool.message', { content: '42', id: 'c1' }),
          event('gen_ai.choice', { index: 0, finish_reason: 'stop', message: '{"content":"Hello"}' }),
        ],
      },
    );
    expect(span.input).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', tool_calls: [{ id: 'c1' }] },
      { role: 'tool', content: '42', id: 'c1' },
    ]);
    expect(span.output).toEqual([{ index: 0, finish_reason: 'stop', message: { content: 'Hello' } }]);
    expect(span.attributes?.['gen_ai.response.finish_reasons']).toEqual(['stop']);
  });

  it('reads gen_ai.prompt / gen_ai.completion text attributes and their content events', () => {
    expect(
      map({ 'gen_ai.prompt': '[{"role":"user","content":"Hi"}]', 'gen_ai.completion': 'Hello' }),
    ).toMatchObject({
      input: [{ role: 'user', content: 'Hi' }],
      output: 'Hello',
    });
    const fromEvents = map(
      {},
      {
        events: [
          event('gen_ai.content.prompt', { 'gen_ai.prompt': 'Hi' }),
          event('gen_ai.content.completion', { 'gen_ai.completion': 'Hello' }),
        ],
      },
    );
    expect(fromEvents).toMatchObject({ input: 'Hi', output: 'Hello' });
  });
});

describe('the prompt link', () => {
  it('reads promptline.* attributes', () => {
    const span = map({
      'promptline.prompt.name': 'support/triage',
      'promptline.prompt.version': '3',
      'promptline.environment': 'production',
      'promptline.variant': 1,
      'promptline.unit': 'user-42',
      'promptline.variables': '{"question":"Where is my order?"}',
    });
    expect(span.prompt).toEqual({
      name: 'support/triage',
      version: 3,
      environment: 'production',
      variant: 1,
    });
    expect(span.unit).toBe('user-42');
    expect(span.variables).toEqual({ question: 'Where is my order?' });
  });

  it('reads gen_ai.prompt.name and Langfuse prompt attributes', () => {
    expect(map({ 'gen_ai.prompt.name': 'faq', 'gen_ai.prompt.version': 2 }).prompt).toEqual({
      name: 'faq',
      version: 2,
    });
    expect(
      map({ 'langfuse.observation.prompt.name': 'faq', 'langfuse.observation.prompt.version': 4 }).prompt,
    ).toEqual({ name: 'faq', version: 4 });
  });

  it('leaves out a link without a version or with an invalid name, keeping the attributes', () => {
    const noVersion = map({ 'promptline.prompt.name': 'faq' });
    expect(noVersion.prompt).toBeUndefined();
    expect(noVersion.attributes?.['promptline.prompt.name']).toBe('faq');
    expect(
      map({ 'promptline.prompt.name': 'Not A Name', 'promptline.prompt.version': 1 }).prompt,
    ).toBeUndefined();
    // An environment name Promptline cannot have is dropped from the link, not the link itself.
    expect(
      map({
        'promptline.prompt.name': 'faq',
        'promptline.prompt.version': 1,
        'promptline.environment': 'Prod!',
      }).prompt,
    ).toEqual({ name: 'faq', version: 1 });
  });
});

describe('common instrumentations', () => {
  it('OpenLLMetry: llm.* and traceloop.* attributes', () => {
    const span = map({
      'llm.vendor': 'OpenAI',
      'llm.request.model': 'gpt-4o-mini',
      'llm.usage.prompt_tokens': 10,
      'llm.usage.completion_tokens': 5,
      'llm.prompts.0.role': 'user',
      'llm.prompts.0.content': 'Hi',
      'llm.completions.0.content': 'Hello',
      'traceloop.association.properties.session_id': 's-1',
      'traceloop.association.properties.user_id': 'u-1',
      'traceloop.association.properties.promptline.prompt.name': 'faq',
      'traceloop.association.properties.promptline.prompt.version': 7,
    });
    expect(span).toMatchObject({
      provider: 'openai',
      model: 'gpt-4o-mini',
      usage: { input: 10, output: 5 },
      input: [{ role: 'user', content: 'Hi' }],
      output: [{ content: 'Hello' }],
      sessionId: 's-1',
      userId: 'u-1',
      prompt: { name: 'faq', version: 7 },
    });
    const workflow = map({
      'traceloop.span.kind': 'workflow',
      'traceloop.entity.input': '{"inputs":{"q":"hi"}}',
      'traceloop.entity.output': '{"outputs":"ok"}',
    });
    expect(workflow).toMatchObject({ input: { inputs: { q: 'hi' } }, output: { outputs: 'ok' } });
    expect(workflow.model).toBeUndefined();
    expect(workflow.attributes?.['traceloop.entity.input']).toBeUndefined();
  });

  it('Vercel AI SDK: the provider call carries model, usage and the link; the wrapping span stays plain', () => {
    const common = {
      'ai.model.id': 'gpt-4o',
      'ai.model.provider': 'openai.chat',
      'ai.usage.promptTokens': 12,
      'ai.usage.completionTokens': 3,
      'ai.telemetry.metadata.promptline.prompt.name': 'faq',
      'ai.telemetry.metadata.promptline.prompt.version': '2',
      'ai.telemetry.metadata.userId': 'u-9',
      'ai.response.text': 'Hello',
      'ai.response.finishReason': 'stop',
      'ai.response.msToFirstChunk': 85.5,
    };
    const call = map({
      ...common,
      'ai.operationId': 'ai.streamText.doStream',
      'ai.prompt.messages': '[{"role":"user","content":[{"type":"text","text":"Hi"}]}]',
    });
    expect(call).toMatchObject({
      provider: 'openai',
      model: 'gpt-4o',
      usage: { input: 12, output: 3 },
      prompt: { name: 'faq', version: 2 },
      userId: 'u-9',
      input: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
      output: 'Hello',
      timeToFirstTokenMs: 85.5,
    });
    expect(call.attributes?.['gen_ai.response.finish_reasons']).toEqual(['stop']);
    const outer = map({ ...common, 'ai.operationId': 'ai.streamText', 'ai.prompt': '{"prompt":"Hi"}' });
    expect(outer).toMatchObject({ input: { prompt: 'Hi' }, output: 'Hello', userId: 'u-9' });
    expect(outer.model).toBeUndefined();
    expect(outer.usage).toBeUndefined();
    expect(outer.prompt).toBeUndefined();
    expect(outer.attributes?.['ai.usage.promptTokens']).toBe(12);
  });

  it('Vercel AI SDK: tool calls without text, and the Google provider named as the price table names it', () => {
    const span = map({
      'ai.operationId': 'ai.generateText.doGenerate',
      'ai.model.provider': 'google.generative-ai',
      'ai.model.id': 'gemini-2.5-pro',
      'ai.response.toolCalls': '[{"toolName":"weather"}]',
    });
    expect(span).toMatchObject({ provider: 'gemini', output: [{ toolName: 'weather' }] });
    expect(map({ 'gen_ai.provider.name': 'gcp.vertex_ai' }).provider).toBe('gemini');
    expect(map({ 'gen_ai.provider.name': 'aws.bedrock' }).provider).toBe('aws.bedrock');
  });

  it('Langfuse: observation attributes, usage and cost details, level, user and session', () => {
    const span = map(
      {
        'langfuse.observation.type': 'generation',
        'langfuse.observation.model.name': 'gpt-4o',
        'langfuse.observation.usage_details': '{"input":50,"output":9,"total":59}',
        'langfuse.observation.cost_details': '{"total":0.0021}',
        'langfuse.observation.input': '[{"role":"user","content":"Hi"}]',
        'langfuse.observation.output': '{"role":"assistant","content":"Hello"}',
        'langfuse.observation.level': 'ERROR',
        'langfuse.observation.status_message': 'content filter',
        'langfuse.observation.completion_start_time': '"2026-11-30T10:00:00.300Z"',
        'langfuse.user.id': 'u-3',
        'langfuse.session.id': 's-3',
      },
      { startMs: Date.parse('2026-11-30T10:00:00.000Z'), endMs: Date.parse('2026-11-30T10:00:01.000Z') },
    );
    expect(span).toMatchObject({
      model: 'gpt-4o',
      usage: { input: 50, output: 9 },
      costUsd: 0.0021,
      input: [{ role: 'user', content: 'Hi' }],
      output: { role: 'assistant', content: 'Hello' },
      status: 'error',
      statusMessage: 'content filter',
      timeToFirstTokenMs: 300,
      userId: 'u-3',
      sessionId: 's-3',
    });
  });
});

describe('plain spans, resources and bounds', () => {
  it('keeps a non-GenAI span as a plain span with its parent, resource attributes after its own', () => {
    const span = map(
      { 'http.route': '/checkout', 'service.name': 'span-wins' },
      { name: 'GET /checkout', kind: 2, parentSpanId: '00f067aa0ba902b7' },
      { 'service.name': 'checkout', 'service.version': '1.4.0' },
    );
    expect(span).toMatchObject({ name: 'GET /checkout', parentSpanId: '00f067aa0ba902b7', status: 'ok' });
    expect(span.model ?? span.usage ?? span.input ?? span.prompt).toBeUndefined();
    expect(span.attributes).toMatchObject({
      'http.route': '/checkout',
      'service.name': 'span-wins',
      'service.version': '1.4.0',
      'otel.span.kind': 'server',
    });
  });

  it('trims attributes deterministically and counts what it dropped or cut', () => {
    const many = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [`k${String(i).padStart(3, '0')}`, i]),
    );
    const attributes: OtlpAttributes = {
      long: 'x'.repeat(MAX_ATTRIBUTE_VALUE_LENGTH + 10),
      list: Array.from({ length: 300 }, (_, i) => i),
      nested: [[1, 2], { a: 1 }],
      [`${'k'.repeat(300)}`]: 1,
      ...many,
    };
    const first = mapOtlpSpan(
      otlpSpan(attributes, { droppedAttributesCount: 2 }),
      { 'service.name': 's' },
      {
        name: '',
        version: '',
      },
    );
    const second = mapOtlpSpan(
      otlpSpan(attributes, { droppedAttributesCount: 2 }),
      { 'service.name': 's' },
      {
        name: '',
        version: '',
      },
    );
    expect(first).toEqual(second);
    if (!first.ok) throw new Error(first.reason);
    expect(SpanInput.parse(first.span)).toEqual(first.span);
    const kept = first.span.attributes ?? {};
    expect(Object.keys(kept)).toHaveLength(MAX_SPAN_ATTRIBUTES);
    expect((kept.long as string).length).toBe(MAX_ATTRIBUTE_VALUE_LENGTH);
    expect(kept.list).toHaveLength(128);
    expect(kept.nested).toEqual(['[1,2]', '{"a":1}']);
    expect(kept.k000).toBe(0);
    expect(kept['service.name']).toBeUndefined();
    // 127 slots: long, list, nested, k000…k123. Dropped: the over-long key, k124…k199 (76), the
    // span kind and the resource's service.name; cut: the long string and the long list.
    expect(first.trimmed).toBe(1 + 76 + 2 + 2);
    expect(kept['otel.dropped_attributes_count']).toBe(first.trimmed + 2);
  });

  it('replaces NUL characters (PostgreSQL cannot store them) instead of failing', () => {
    const span = map({ 'a\u0000b': 'x\u0000y', 'gen_ai.input.messages': '[{"content":"h\\u0000i"}]' });
    expect(span.attributes?.['a\uFFFDb']).toBe('x\uFFFDy');
    expect(span.input).toEqual([{ content: 'h\uFFFDi' }]);
  });

  it('cuts an over-long name and names an unnamed span', () => {
    expect(map({}, { name: 'n'.repeat(5_000) }).name).toHaveLength(1_024);
    expect(map({}, { name: '' }).name).toBe('(unnamed)');
  });
});

describe('rejection and partial success', () => {
  it('rejects only the spans that cannot map, with the reason', () => {
    const good = otlpSpan({});
    const traces = [
      {
        resource: {},
        scopeSpans: [
          {
            scope: { name: '', version: '' },
            spans: [
              good,
              { ...good, traceId: 'abc' },
              { ...good, spanId: '0000000000000000' },
              { ...good, startMs: 0 },
              { ...good, endMs: START - 1 },
              { ...good, parentSpanId: 'zz' },
            ],
          },
        ],
      },
    ];
    const mapped = mapOtlpTraces(traces);
    expect(mapped.spans).toHaveLength(1);
    expect(mapped.rejected.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^traceId: use 32 lowercase hex/),
      expect.stringMatching(/^spanId: an all-zero span id/),
      'startTimeUnixNano and endTimeUnixNano must be set',
      'endTimeUnixNano is before startTimeUnixNano',
      expect.stringMatching(/^parentSpanId:/),
    ]);
    const message = partialSuccessMessage(mapped);
    expect(message).toMatch(/^5 span\(s\) rejected: span eee19b7ec3c1b174 of trace abc: traceId/);
    expect(message).toMatch(/; and 0 more|parentSpanId/);
  });

  it('says nothing when nothing was rejected or trimmed, and counts trimming alone', () => {
    expect(partialSuccessMessage({ rejected: [], trimmedAttributes: 0 })).toBe('');
    expect(partialSuccessMessage({ rejected: [], trimmedAttributes: 3 })).toMatch(
      /^3 attribute\(s\) dropped/,
    );
  });
});

describe('the span contract holds for whatever attributes arrive', () => {
  it('random attribute sets (seeded) always map to spans SpanInput accepts unchanged', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const keys = [
      'gen_ai.usage.input_tokens',
      'gen_ai.usage.output_tokens',
      'gen_ai.request.model',
      'gen_ai.provider.name',
      'promptline.prompt.name',
      'promptline.prompt.version',
      'promptline.environment',
      'promptline.variant',
      'user.id',
      'gen_ai.conversation.id',
      'ai.response.msToFirstChunk',
      'langfuse.observation.usage_details',
      'gen_ai.prompt.0.content',
      'promptline.variables',
    ];
    const values = (): OtlpValue[] => [
      -1,
      0,
      1.5,
      2 ** 60,
      Number.NaN,
      '',
      ' ',
      'x'.repeat(2_000),
      '12',
      'faq',
      'Bad Name!',
      '{"a":1}',
      '[1,2]',
      true,
      null,
      [1, 'a', [2]],
      { nested: { deep: 1 } },
    ];
    for (let i = 0; i < 500; i++) {
      const attributes: OtlpAttributes = {};
      for (const key of keys) {
        if (random() < 0.5) continue;
        const choices = values();
        attributes[key] = choices[Math.floor(random() * choices.length)] as OtlpValue;
      }
      const mapped = mapOtlpSpan(otlpSpan(attributes), {}, { name: '', version: '' });
      if (!mapped.ok) throw new Error(mapped.reason);
      expect(SpanInput.safeParse(mapped.span).success, JSON.stringify(attributes).slice(0, 300)).toBe(true);
    }
  });
});
