import type { ChatMessage, ModelConfig } from '@promptline/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ANTHROPIC_MAX_TOKENS, toAnthropicMessages, toOpenAIChat } from './integrations.ts';
import { buildFallback } from './resolve.ts';
import type { ResolvedPrompt } from './types.ts';

function chat(messages: ChatMessage[], config: ModelConfig): ResolvedPrompt {
  const prompt = buildFallback(
    'support/reply',
    'production',
    { type: 'chat', messages, config },
    () => undefined,
  ).resolved[0];
  if (prompt === undefined) throw new Error('no prompt built');
  return prompt;
}

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

const prompt = chat(
  [
    { role: 'system', content: 'You are the {{company}} assistant.' },
    { role: 'developer', content: 'Answer in {{language}}.' },
    { type: 'placeholder', name: 'history' },
    { role: 'user', content: '{{question}}' },
  ],
  {
    provider: 'openai',
    model: 'gpt-4o-mini',
    parameters: { temperature: 0.2, maxTokens: 300, topP: 0.9, stop: ['END'], seed: 7 },
    responseFormat: { type: 'json_object' },
    tools: [weatherTool],
  },
);
const variables = {
  company: 'Acme',
  language: 'French',
  question: 'Is it raining in Paris?',
  history: [
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Bonjour !' },
  ],
};

describe('toOpenAIChat', () => {
  it('builds chat.completions.create params from the rendered prompt and its config', () => {
    expect(toOpenAIChat(prompt, variables)).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You are the Acme assistant.' },
        { role: 'developer', content: 'Answer in French.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Bonjour !' },
        { role: 'user', content: 'Is it raining in Paris?' },
      ],
      temperature: 0.2,
      max_tokens: 300,
      top_p: 0.9,
      stop: ['END'],
      seed: 7,
      response_format: { type: 'json_object' },
      tools: [weatherTool],
    });
  });

  it('lets overrides win, turns a text prompt into one user message, and needs a model', () => {
    const text = buildFallback('t', 'production', { type: 'text', template: 'Say {{x}}' }, () => undefined)
      .resolved[0];
    if (text === undefined) throw new Error('no prompt built');
    expect(toOpenAIChat(text, { x: 'hi' }, { model: 'gpt-4.1', stream: true })).toEqual({
      model: 'gpt-4.1',
      messages: [{ role: 'user', content: 'Say hi' }],
      stream: true,
    });
    expect(() => toOpenAIChat(text, { x: 'hi' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() => toOpenAIChat(prompt, {})).toThrow(
      expect.objectContaining({ code: 'TEMPLATE_VARIABLE_MISSING' }),
    );
  });
});

describe('toAnthropicMessages', () => {
  it('lifts system and developer messages out, converts tools and stop, and keeps max_tokens', () => {
    expect(toAnthropicMessages(prompt, variables, { model: 'claude-sonnet-4-5' })).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 300,
      system: 'You are the Acme assistant.\n\nAnswer in French.',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Bonjour !' },
        { role: 'user', content: 'Is it raining in Paris?' },
      ],
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ['END'],
      tools: [
        {
          name: 'get_weather',
          description: 'Weather for a city',
          input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      ],
    });
  });

  it('defaults max_tokens when the config has none', () => {
    const bare = chat([{ role: 'user', content: 'Hello' }], { model: 'claude-haiku-4-5' });
    expect(toAnthropicMessages(bare)).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: DEFAULT_ANTHROPIC_MAX_TOKENS,
      messages: [{ role: 'user', content: 'Hello' }],
    });
  });
});
