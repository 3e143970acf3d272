/**
 * Recording for the `openai` package's `chat.completions.create` and `responses.create`, duck-typed:
 * nothing from the package is imported, so any client of the same shape (Azure, OpenAI-compatible
 * gateways) works. The Responses API part is in openai-responses.ts.
 */
import type { AttributeValue } from '@promptline/core';
import {
  type Fn,
  interceptMethods,
  isRecord,
  observeCall,
  type StreamAccumulator,
  tokens,
  usage,
} from './generation.ts';
import { responsesInterception } from './openai-responses.ts';
import type { TracingCore } from './tracer.ts';
import type { GenerationOptions, SpanFields } from './types.ts';

function openAiUsage(value: unknown) {
  if (!isRecord(value)) return undefined;
  const prompt = isRecord(value.prompt_tokens_details) ? value.prompt_tokens_details : {};
  const completion = isRecord(value.completion_tokens_details) ? value.completion_tokens_details : {};
  return usage(tokens(value.prompt_tokens), tokens(value.completion_tokens), {
    cachedInput: tokens(prompt.cached_tokens),
    reasoning: tokens(completion.reasoning_tokens),
  });
}

function requestFields(params: unknown): SpanFields {
  if (!isRecord(params)) return {};
  const attributes: Record<string, AttributeValue> = {};
  const numeric: [string, unknown][] = [
    ['gen_ai.request.temperature', params.temperature],
    ['gen_ai.request.top_p', params.top_p],
    ['gen_ai.request.max_tokens', params.max_completion_tokens ?? params.max_tokens],
  ];
  for (const [key, value] of numeric) if (typeof value === 'number') attributes[key] = value;
  if (params.stream === true) attributes['gen_ai.request.stream'] = true;
  return {
    ...(typeof params.model === 'string' ? { model: params.model } : {}),
    input: params.messages,
    attributes,
  };
}

function finishReasons(reasons: unknown[]): Record<string, AttributeValue> {
  const list = reasons.filter((r): r is string => typeof r === 'string');
  return list.length === 0 ? {} : { 'gen_ai.response.finish_reasons': list };
}

function fromResponse(response: unknown): SpanFields {
  if (!isRecord(response)) return {};
  const choices = Array.isArray(response.choices) ? response.choices.filter(isRecord) : [];
  const messages = choices.map((choice) => choice.message);
  const used = openAiUsage(response.usage);
  return {
    ...(typeof response.model === 'string' ? { model: response.model } : {}),
    ...(used === undefined ? {} : { usage: used }),
    output: messages.length === 1 ? messages[0] : messages,
    attributes: {
      ...finishReasons(choices.map((c) => c.finish_reason)),
      ...(typeof response.id === 'string' ? { 'gen_ai.response.id': response.id } : {}),
    },
  };
}

interface ToolCallParts {
  id?: string;
  type: string;
  function: { name: string; arguments: string };
}
interface ChoiceParts {
  role: string;
  content: string;
  hasContent: boolean;
  toolCalls: ToolCallParts[];
  finishReason?: string;
}

/** Rebuilds the message of each choice from the chunks' deltas. */
function accumulator(): StreamAccumulator {
  const choices: ChoiceParts[] = [];
  let model: string | undefined;
  let id: string | undefined;
  let used: ReturnType<typeof openAiUsage>;
  let started = false;
  return {
    add(chunk) {
      if (!isRecord(chunk)) return false;
      if (typeof chunk.model === 'string') model = chunk.model;
      if (typeof chunk.id === 'string') id = chunk.id;
      used = openAiUsage(chunk.usage) ?? used;
      let first = false;
      for (const choice of Array.isArray(chunk.choices) ? chunk.choices : []) {
        if (!isRecord(choice)) continue;
        const index = typeof choice.index === 'number' ? choice.index : 0;
        let parts = choices[index];
        if (parts === undefined) {
          parts = { role: 'assistant', content: '', hasContent: false, toolCalls: [] };
          choices[index] = parts;
        }
        if (typeof choice.finish_reason === 'string') parts.finishReason = choice.finish_reason;
        const delta = isRecord(choice.delta) ? choice.delta : {};
        if (typeof delta.role === 'string') parts.role = delta.role;
        if (typeof delta.content === 'string' && delta.content.length > 0) {
          parts.content += delta.content;
          parts.hasContent = true;
          first ||= !started;
        }
        for (const call of Array.isArray(delta.tool_calls) ? delta.tool_calls : []) {
          if (!isRecord(call)) continue;
          const at = typeof call.index === 'number' ? call.index : parts.toolCalls.length;
          let tool = parts.toolCalls[at];
          if (tool === undefined) {
            tool = { type: 'function', function: { name: '', arguments: '' } };
            parts.toolCalls[at] = tool;
          }
          if (typeof call.id === 'string') tool.id = call.id;
          const fn = isRecord(call.function) ? call.function : {};
          if (typeof fn.name === 'string') tool.function.name += fn.name;
          if (typeof fn.arguments === 'string') tool.function.arguments += fn.arguments;
          first ||= !started;
        }
      }
      if (first) started = true;
      return first;
    },
    fields() {
      const messages = choices
        .filter((c) => c !== undefined)
        .map((c) => ({
          role: c.role,
          content: c.hasContent || c.toolCalls.length === 0 ? c.content : null,
          ...(c.toolCalls.length === 0 ? {} : { tool_calls: c.toolCalls.filter((t) => t !== undefined) }),
        }));
      return {
        ...(model === undefined ? {} : { model }),
        ...(used === undefined ? {} : { usage: used }),
        output: messages.length === 1 ? messages[0] : messages,
        attributes: {
          ...finishReasons(choices.map((c) => c?.finishReason)),
          ...(id === undefined ? {} : { 'gen_ai.response.id': id }),
        },
      };
    },
  };
}

/** Wraps an `openai` client: `chat.completions.create` and `responses.create` calls become spans. */
export function wrapOpenAI<T extends object>(
  client: T,
  core: TracingCore,
  options: GenerationOptions = {},
): T {
  return interceptMethods(client, [
    {
      path: ['chat', 'completions'],
      method: 'create',
      wrap: (original, owner): Fn => {
        return (...args: unknown[]) =>
          observeCall({
            core,
            options,
            name: 'openai.chat.completions',
            provider: 'openai',
            params: args[0],
            request: requestFields(args[0]),
            call: () => original.apply(owner, args),
            fromResponse,
            accumulator,
          });
      },
    },
    responsesInterception(core, options),
  ]);
}
