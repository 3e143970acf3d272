/**
 * Turn a resolved prompt into the request of the `openai` and `@anthropic-ai/sdk` clients, so
 * adopting Promptline in an existing app is two lines. The SDK does not depend on those packages:
 * the shapes below are structural copies of what their `create` methods accept.
 */
import { AppError, type ModelConfig, type RenderedMessage } from '@promptline/core';
import { isRecord } from './resolve.ts';
import type { RenderOptions, ResolvedPrompt, Variables } from './types.ts';

/** A message of OpenAI's Chat Completions request. */
export type OpenAIChatMessage =
  | { role: 'system' | 'developer' | 'user' | 'assistant'; content: string; name?: string }
  | { role: 'tool'; content: string; tool_call_id: string };

/** OpenAI's `response_format`. */
export type OpenAIResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      json_schema: {
        name: string;
        description?: string;
        schema?: Record<string, unknown>;
        strict?: boolean | null;
      };
    };

/** A tool in OpenAI's function shape. */
export interface OpenAITool {
  type: 'function';
  function: {
    name: string;
    description?: string;
    parameters?: Record<string, unknown>;
    strict?: boolean | null;
  };
}

/** The params of `openai.chat.completions.create` built from a prompt. */
export interface OpenAIChatParams {
  model: string;
  messages: OpenAIChatMessage[];
  temperature?: number;
  max_tokens?: number;
  top_p?: number;
  stop?: string | string[];
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  response_format?: OpenAIResponseFormat;
  tools?: OpenAITool[];
}

/** A message of Anthropic's Messages request (the system prompt travels apart). */
export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: string;
}

/** A tool in Anthropic's shape. */
export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: { type: 'object'; [key: string]: unknown };
}

/** The params of `anthropic.messages.create` built from a prompt. */
export interface AnthropicMessagesParams {
  model: string;
  max_tokens: number;
  messages: AnthropicMessage[];
  system?: string;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  tools?: AnthropicTool[];
}

/** `max_tokens` sent to Anthropic when neither the version's config nor the overrides set one. */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 1024;

type Parameters = Record<string, unknown>;

function parametersOf(config: ModelConfig): Parameters {
  return config.parameters ?? {};
}

// Versions store parameters as the core provider interface names them (camelCase); configs
// written by hand in the provider's own spelling are accepted too.
function param(parameters: Parameters, camel: string, snake: string): unknown {
  return parameters[camel] ?? parameters[snake];
}

function numberParam(parameters: Parameters, camel: string, snake: string): number | undefined {
  const value = param(parameters, camel, snake);
  return typeof value === 'number' ? value : undefined;
}

function stopParam(parameters: Parameters): string[] | undefined {
  const value = param(parameters, 'stop', 'stop_sequences') ?? parameters.stopSequences;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === 'string');
  return undefined;
}

function modelOf(prompt: ResolvedPrompt, override: unknown, helper: string): string {
  const model = typeof override === 'string' ? override : prompt.config.model;
  if (model === undefined) {
    throw new AppError(
      'CONFIG_INVALID',
      `Prompt "${prompt.name}" v${prompt.version} has no model in its config: set config.model on the version, or pass { model } as the overrides of ${helper}().`,
    );
  }
  return model;
}

function renderMessages(
  prompt: ResolvedPrompt,
  variables: Variables,
  options?: RenderOptions,
): RenderedMessage[] {
  return prompt.type === 'text'
    ? [{ role: 'user', content: prompt.render(variables, options) }]
    : prompt.render(variables, options);
}

function toolCallId(message: RenderedMessage): string {
  const id = message.tool_call_id ?? message.toolCallId;
  return typeof id === 'string' ? id : '';
}

/** Picks the extra fields of the override object, so `{ stream: true, user }` pass through. */
type Overrides<T> = Partial<T> & Record<string, unknown>;

/**
 * Renders `prompt` and builds the params of `openai.chat.completions.create`: `model`, `messages`
 * (a text prompt becomes one user message) and the version's parameters, response format and tools.
 * `overrides` win over everything (e.g. `{ stream: true }`).
 *
 * @throws AppError `CONFIG_INVALID` when no model is known; the template errors of `render`.
 * @example
 * const completion = await openai.chat.completions.create(
 *   toOpenAIChat(client.prompt('support/triage', { unit: userId }), { ticket }),
 * );
 */
export function toOpenAIChat<O extends Overrides<OpenAIChatParams> = Record<never, never>>(
  prompt: ResolvedPrompt,
  variables: Variables = {},
  overrides?: O,
  renderOptions?: RenderOptions,
): OpenAIChatParams & O {
  const parameters = parametersOf(prompt.config);
  const params: OpenAIChatParams = {
    model: modelOf(prompt, overrides?.model, 'toOpenAIChat'),
    messages: renderMessages(prompt, variables, renderOptions).map((message): OpenAIChatMessage => {
      if (message.role === 'tool')
        return { role: 'tool', content: message.content, tool_call_id: toolCallId(message) };
      const role =
        message.role === 'system' || message.role === 'developer' || message.role === 'assistant'
          ? message.role
          : 'user';
      return typeof message.name === 'string'
        ? { role, content: message.content, name: message.name }
        : { role, content: message.content };
    }),
  };
  const temperature = numberParam(parameters, 'temperature', 'temperature');
  if (temperature !== undefined) params.temperature = temperature;
  const maxTokens = numberParam(parameters, 'maxTokens', 'max_tokens');
  if (maxTokens !== undefined) params.max_tokens = maxTokens;
  const topP = numberParam(parameters, 'topP', 'top_p');
  if (topP !== undefined) params.top_p = topP;
  const seed = numberParam(parameters, 'seed', 'seed');
  if (seed !== undefined) params.seed = seed;
  const presence = numberParam(parameters, 'presencePenalty', 'presence_penalty');
  if (presence !== undefined) params.presence_penalty = presence;
  const frequency = numberParam(parameters, 'frequencyPenalty', 'frequency_penalty');
  if (frequency !== undefined) params.frequency_penalty = frequency;
  const stop = stopParam(parameters);
  if (stop !== undefined) params.stop = stop;
  if (isRecord(prompt.config.responseFormat)) {
    params.response_format = prompt.config.responseFormat as OpenAIResponseFormat;
  }
  if (prompt.config.tools !== undefined && prompt.config.tools.length > 0) {
    params.tools = prompt.config.tools as OpenAITool[];
  }
  return { ...params, ...overrides } as OpenAIChatParams & O;
}

function toAnthropicTool(tool: unknown): AnthropicTool | undefined {
  if (!isRecord(tool)) return undefined;
  // OpenAI's function shape (what versions store) or Anthropic's own.
  const fn = isRecord(tool.function) ? tool.function : tool;
  if (typeof fn.name !== 'string') return undefined;
  const schema = fn.parameters ?? fn.input_schema;
  const out: AnthropicTool = {
    name: fn.name,
    input_schema: isRecord(schema) ? { type: 'object', ...schema } : { type: 'object', properties: {} },
  };
  if (typeof fn.description === 'string') out.description = fn.description;
  return out;
}

/**
 * Renders `prompt` and builds the params of `anthropic.messages.create`: system and developer
 * messages are lifted into `system`, the rest become user/assistant messages (tool results are sent
 * as user text), `max_tokens` comes from the config or defaults to {@link DEFAULT_ANTHROPIC_MAX_TOKENS},
 * `stop` becomes `stop_sequences`, and OpenAI-shaped tools are converted. Anthropic has no
 * `response_format`; it is not sent.
 *
 * @throws AppError `CONFIG_INVALID` when no model is known; the template errors of `render`.
 * @example
 * const message = await anthropic.messages.create(toAnthropicMessages(client.prompt('support/triage'), { ticket }));
 */
export function toAnthropicMessages<O extends Overrides<AnthropicMessagesParams> = Record<never, never>>(
  prompt: ResolvedPrompt,
  variables: Variables = {},
  overrides?: O,
  renderOptions?: RenderOptions,
): AnthropicMessagesParams & O {
  const parameters = parametersOf(prompt.config);
  const system: string[] = [];
  const messages: AnthropicMessage[] = [];
  for (const message of renderMessages(prompt, variables, renderOptions)) {
    if (message.role === 'system' || message.role === 'developer') system.push(message.content);
    else
      messages.push({ role: message.role === 'assistant' ? 'assistant' : 'user', content: message.content });
  }
  const params: AnthropicMessagesParams = {
    model: modelOf(prompt, overrides?.model, 'toAnthropicMessages'),
    max_tokens: numberParam(parameters, 'maxTokens', 'max_tokens') ?? DEFAULT_ANTHROPIC_MAX_TOKENS,
    messages,
  };
  if (system.length > 0) params.system = system.join('\n\n');
  const temperature = numberParam(parameters, 'temperature', 'temperature');
  if (temperature !== undefined) params.temperature = temperature;
  const topP = numberParam(parameters, 'topP', 'top_p');
  if (topP !== undefined) params.top_p = topP;
  const topK = numberParam(parameters, 'topK', 'top_k');
  if (topK !== undefined) params.top_k = topK;
  const stop = stopParam(parameters);
  if (stop !== undefined) params.stop_sequences = stop;
  const tools = (prompt.config.tools ?? []).map(toAnthropicTool).filter((t) => t !== undefined);
  if (tools.length > 0) params.tools = tools;
  return { ...params, ...overrides } as AnthropicMessagesParams & O;
}
