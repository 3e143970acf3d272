/**
 * OpenAI's chat completion shape to and from Promptline's provider interface, so a provider of
 * another wire format (Anthropic, Gemini, the mock) answers through the gateway in OpenAI's shape.
 * OpenAI-kind providers never come through here: the gateway forwards their requests as they are.
 */
import { AppError } from '../errors.ts';
import type {
  ChatRequest,
  ChatResult,
  ModelParameters,
  ProviderMessage,
  ToolCall,
} from '../providers/types.ts';
import type { ChatCompletionRequest, GatewayMessage } from './schemas.ts';

/** Fields of a chat completion request this mapping reads; the others are reported as ignored. */
const MAPPED = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'tools',
  'response_format',
  'temperature',
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'tool_choice',
  'n',
  'user',
]);

/** A request mapped to the provider interface, and the request fields the mapping had to leave out. */
export interface MappedChatRequest {
  request: ChatRequest;
  ignored: string[];
}

function contentText(message: GatewayMessage, index: number, provider: string): string {
  const content = message.content;
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  const texts: string[] = [];
  for (const part of content) {
    if (part.type === 'text' && typeof part.text === 'string') texts.push(part.text);
    else {
      throw new AppError(
        'GATEWAY_UNSUPPORTED',
        `messages[${index}] has a "${part.type}" content part; the gateway passes only text parts to ${provider} models. Send text, or use an OpenAI-kind provider, which receives content parts as they are.`,
        {
          errors: [
            {
              path: `messages.${index}.content`,
              message: `"${part.type}" parts are not supported for ${provider}`,
            },
          ],
        },
      );
    }
  }
  return texts.join('\n');
}

function toMessage(message: GatewayMessage, index: number, provider: string): ProviderMessage {
  const mapped: ProviderMessage = { role: message.role, content: contentText(message, index, provider) };
  if (message.name !== undefined) mapped.name = message.name;
  if (message.role === 'tool') mapped.toolCallId = message.tool_call_id ?? '';
  if (message.role === 'assistant' && message.tool_calls !== undefined && message.tool_calls.length > 0) {
    mapped.toolCalls = message.tool_calls.map((call) => ({
      id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
    }));
  }
  return mapped;
}

const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/**
 * Maps an OpenAI chat completion request to a {@link ChatRequest} for `model` at `provider` (a
 * provider kind: `anthropic` also receives `tool_choice`, which its mapping understands).
 *
 * @throws AppError `GATEWAY_UNSUPPORTED` for non-text content parts or `n` above 1.
 */
export function toChatRequest(
  body: ChatCompletionRequest,
  provider: string,
  model: string,
): MappedChatRequest {
  if (body.n !== undefined && body.n > 1) {
    throw new AppError(
      'GATEWAY_UNSUPPORTED',
      `n=${body.n}: ${provider} models answer one choice through the gateway. Send n=1 (or leave it out), or make several calls.`,
      { errors: [{ path: 'n', message: 'must be 1 for this provider' }] },
    );
  }
  const parameters: ModelParameters = {};
  const temperature = num(body.temperature);
  if (temperature !== undefined) parameters.temperature = temperature;
  const topP = num(body.top_p);
  if (topP !== undefined) parameters.topP = topP;
  const maxTokens = num(body.max_completion_tokens) ?? num(body.max_tokens);
  if (maxTokens !== undefined) parameters.maxTokens = maxTokens;
  if (typeof body.stop === 'string') parameters.stop = [body.stop];
  else if (Array.isArray(body.stop))
    parameters.stop = body.stop.filter((s): s is string => typeof s === 'string');
  const seed = num(body.seed);
  if (seed !== undefined) parameters.seed = seed;
  const presence = num(body.presence_penalty);
  if (presence !== undefined) parameters.presencePenalty = presence;
  const frequency = num(body.frequency_penalty);
  if (frequency !== undefined) parameters.frequencyPenalty = frequency;
  const ignored = Object.keys(body).filter((key) => !MAPPED.has(key));
  if (body.tool_choice !== undefined) {
    if (provider === 'anthropic') parameters.tool_choice = body.tool_choice;
    else ignored.push('tool_choice');
  }
  const request: ChatRequest = {
    model,
    messages: body.messages.map((message, index) => toMessage(message, index, provider)),
    parameters,
  };
  if (body.response_format !== undefined && body.response_format.type !== 'text') {
    request.responseFormat = body.response_format;
  }
  if (body.tools !== undefined && body.tools.length > 0) request.tools = body.tools;
  return { request, ignored: ignored.sort() };
}

/** OpenAI's usage object for a result; `estimated` says the tokens were counted, not reported. */
export function toOpenAiUsage(usage: ChatResult['usage']): Record<string, unknown> {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens },
    ...(usage.estimated ? { estimated: true } : {}),
  };
}

function wireToolCall(call: ToolCall) {
  return { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } };
}

/** A whole result as OpenAI's `chat.completion`. */
export function toChatCompletion(result: ChatResult, id: string, created: number): Record<string, unknown> {
  const calls = result.toolCalls.length > 0;
  return {
    id,
    object: 'chat.completion',
    created,
    model: result.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: calls && result.text === '' ? null : result.text,
          refusal: null,
          ...(calls ? { tool_calls: result.toolCalls.map(wireToolCall) } : {}),
        },
        logprobs: null,
        finish_reason: result.finishReason ?? 'stop',
      },
    ],
    usage: toOpenAiUsage(result.usage),
  };
}

/** Builds the `chat.completion.chunk` objects of one streamed answer, in OpenAI's order. */
export function createChunkWriter(id: string, created: number, model: string) {
  const base = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices,
    ...extra,
  });
  let toolIndex = 0;
  return {
    /** The first chunk: the assistant role, no content yet. */
    start: () =>
      base([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]),
    text: (text: string) =>
      base([{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }]),
    toolCall: (call: ToolCall) =>
      base([
        {
          index: 0,
          delta: { tool_calls: [{ index: toolIndex++, ...wireToolCall(call) }] },
          logprobs: null,
          finish_reason: null,
        },
      ]),
    finish: (reason: string | null) =>
      base([{ index: 0, delta: {}, logprobs: null, finish_reason: reason ?? 'stop' }]),
    /** The usage chunk OpenAI sends last when `stream_options.include_usage` is set. */
    usage: (usage: ChatResult['usage']) => base([], { usage: toOpenAiUsage(usage) }),
  };
}
