/**
 * Recording for the `openai` package's `responses.create` (the Responses API), streamed or not,
 * duck-typed like the Chat Completions part. A streamed response ends with `response.completed`
 * (or `.incomplete` / `.failed`) carrying the whole response: the span is read from it; a stream
 * the caller stopped reading early is assembled from the deltas received so far.
 */
import type { AttributeValue } from '@promptline/core';
import {
  type Fn,
  type Interception,
  isRecord,
  observeCall,
  type StreamAccumulator,
  tokens,
  usage,
} from './generation.ts';
import type { TracingCore } from './tracer.ts';
import type { GenerationOptions, SpanFields } from './types.ts';

function responsesUsage(value: unknown) {
  if (!isRecord(value)) return undefined;
  const input = isRecord(value.input_tokens_details) ? value.input_tokens_details : {};
  const output = isRecord(value.output_tokens_details) ? value.output_tokens_details : {};
  return usage(tokens(value.input_tokens), tokens(value.output_tokens), {
    cachedInput: tokens(input.cached_tokens),
    reasoning: tokens(output.reasoning_tokens),
  });
}

/** `instructions` lead the input as a system message; a string input is one user message. */
function requestFields(params: unknown): SpanFields {
  if (!isRecord(params)) return {};
  const attributes: Record<string, AttributeValue> = {};
  const numeric: [string, unknown][] = [
    ['gen_ai.request.temperature', params.temperature],
    ['gen_ai.request.top_p', params.top_p],
    ['gen_ai.request.max_tokens', params.max_output_tokens],
  ];
  for (const [key, value] of numeric) if (typeof value === 'number') attributes[key] = value;
  if (params.stream === true) attributes['gen_ai.request.stream'] = true;
  const input = typeof params.input === 'string' ? [{ role: 'user', content: params.input }] : params.input;
  return {
    ...(typeof params.model === 'string' ? { model: params.model } : {}),
    input:
      typeof params.instructions === 'string'
        ? [{ role: 'system', content: params.instructions }, ...(Array.isArray(input) ? input : [])]
        : input,
    attributes,
  };
}

function fromResponse(response: unknown): SpanFields {
  if (!isRecord(response)) return {};
  const used = responsesUsage(response.usage);
  const incomplete = isRecord(response.incomplete_details) ? response.incomplete_details.reason : undefined;
  const finish = typeof incomplete === 'string' ? incomplete : response.status;
  const failure = isRecord(response.error) ? response.error.message : undefined;
  return {
    ...(typeof response.model === 'string' ? { model: response.model } : {}),
    ...(used === undefined ? {} : { usage: used }),
    output: response.output,
    ...(response.status === 'failed'
      ? { error: typeof failure === 'string' ? failure : 'the response failed' }
      : {}),
    attributes: {
      ...(typeof finish === 'string' ? { 'gen_ai.response.finish_reasons': [finish] } : {}),
      ...(typeof response.id === 'string' ? { 'gen_ai.response.id': response.id } : {}),
    },
  };
}

const FIRST_CONTENT = new Set([
  'response.output_text.delta',
  'response.refusal.delta',
  'response.function_call_arguments.delta',
]);

/** Follows a stream of Responses events; the final response, when it came, says everything. */
function accumulator(): StreamAccumulator {
  let final: unknown;
  let created: Record<string, unknown> = {};
  let error: string | undefined;
  // Output items as far as they got: done items whole, the others rebuilt from their deltas.
  const items: Record<string, unknown>[] = [];
  let started = false;
  return {
    add(event) {
      if (!isRecord(event) || typeof event.type !== 'string') return false;
      const at = typeof event.output_index === 'number' ? event.output_index : -1;
      switch (event.type) {
        case 'response.created':
        case 'response.in_progress':
          if (isRecord(event.response)) created = event.response;
          break;
        case 'response.completed':
        case 'response.incomplete':
        case 'response.failed':
          final = event.response;
          break;
        case 'error':
          error = typeof event.message === 'string' ? event.message : 'the stream reported an error';
          break;
        case 'response.output_item.added':
        case 'response.output_item.done':
          if (at >= 0 && isRecord(event.item)) items[at] = { ...event.item };
          break;
        case 'response.output_text.delta': {
          const item = items[at];
          if (item !== undefined && typeof event.delta === 'string') {
            item.text = `${typeof item.text === 'string' ? item.text : ''}${event.delta}`;
          }
          break;
        }
        case 'response.function_call_arguments.delta': {
          const item = items[at];
          if (item !== undefined && typeof event.delta === 'string') {
            item.arguments = `${typeof item.arguments === 'string' ? item.arguments : ''}${event.delta}`;
          }
          break;
        }
        default:
          break;
      }
      const first = !started && FIRST_CONTENT.has(event.type);
      if (first) started = true;
      return first;
    },
    fields() {
      if (final !== undefined) return fromResponse(final);
      return {
        ...(typeof created.model === 'string' ? { model: created.model } : {}),
        output: items.filter((i) => i !== undefined),
        ...(error === undefined ? {} : { error }),
        ...(typeof created.id === 'string' ? { attributes: { 'gen_ai.response.id': created.id } } : {}),
      };
    },
  };
}

/** `responses.create` of an `openai` client, recorded (see wrapOpenAI). */
export function responsesInterception(core: TracingCore, options: GenerationOptions): Interception {
  return {
    path: ['responses'],
    method: 'create',
    wrap: (original, owner): Fn => {
      return (...args: unknown[]) =>
        observeCall({
          core,
          options,
          name: 'openai.responses',
          provider: 'openai',
          params: args[0],
          request: requestFields(args[0]),
          call: () => original.apply(owner, args),
          fromResponse,
          accumulator,
        });
    },
  };
}
