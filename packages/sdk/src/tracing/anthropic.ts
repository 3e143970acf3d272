/**
 * Recording for an Anthropic client's `messages.create` and `messages.stream`, duck-typed (nothing
 * from `@anthropic-ai/sdk` is imported). Anthropic counts cache reads and writes apart from
 * `input_tokens`; the span's `usage.input` is their sum, as the span contract counts cached
 * input as part of the input.
 */
import type { AttributeValue } from '@promptline/core';
import {
  beginCall,
  type CallRecording,
  type Fn,
  firstTokenField,
  interceptMethods,
  isRecord,
  observeCall,
  type StreamAccumulator,
  tokens,
  usage,
} from './generation.ts';
import type { TracingCore } from './tracer.ts';
import type { GenerationOptions, SpanFields } from './types.ts';

interface UsageParts {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
}

/** Later figures win: a stream's `message_delta` carries the final counts. */
function readUsage(value: unknown, into: UsageParts): void {
  if (!isRecord(value)) return;
  into.input = tokens(value.input_tokens) ?? into.input;
  into.output = tokens(value.output_tokens) ?? into.output;
  into.cacheRead = tokens(value.cache_read_input_tokens) ?? into.cacheRead;
  into.cacheWrite = tokens(value.cache_creation_input_tokens) ?? into.cacheWrite;
}

function toUsage(parts: UsageParts) {
  if (parts.input === undefined) return undefined;
  const input = parts.input + (parts.cacheRead ?? 0) + (parts.cacheWrite ?? 0);
  return usage(input, parts.output, { cachedInput: parts.cacheRead });
}

function requestFields(params: unknown): SpanFields {
  if (!isRecord(params)) return {};
  const attributes: Record<string, AttributeValue> = {};
  if (typeof params.temperature === 'number') attributes['gen_ai.request.temperature'] = params.temperature;
  if (typeof params.max_tokens === 'number') attributes['gen_ai.request.max_tokens'] = params.max_tokens;
  if (params.stream === true) attributes['gen_ai.request.stream'] = true;
  const messages = Array.isArray(params.messages) ? params.messages : [];
  return {
    ...(typeof params.model === 'string' ? { model: params.model } : {}),
    input: params.system === undefined ? messages : [{ role: 'system', content: params.system }, ...messages],
    attributes,
  };
}

function responseAttributes(id: unknown, stopReason: unknown): Record<string, AttributeValue> {
  return {
    ...(typeof stopReason === 'string' ? { 'gen_ai.response.finish_reasons': [stopReason] } : {}),
    ...(typeof id === 'string' ? { 'gen_ai.response.id': id } : {}),
  };
}

function fromResponse(response: unknown): SpanFields {
  if (!isRecord(response)) return {};
  const parts: UsageParts = {};
  readUsage(response.usage, parts);
  const used = toUsage(parts);
  return {
    ...(typeof response.model === 'string' ? { model: response.model } : {}),
    ...(used === undefined ? {} : { usage: used }),
    output: { role: 'assistant', content: response.content },
    attributes: responseAttributes(response.id, response.stop_reason),
  };
}

type Block = Record<string, unknown> & { partialJson?: string };

/** Rebuilds the message from the stream's events (message_start, content_block_*, message_delta). */
function accumulator(): StreamAccumulator {
  const blocks: Block[] = [];
  const parts: UsageParts = {};
  let model: string | undefined;
  let id: string | undefined;
  let stopReason: string | undefined;
  let started = false;
  return {
    add(event) {
      if (!isRecord(event)) return false;
      switch (event.type) {
        case 'message_start': {
          const message = isRecord(event.message) ? event.message : {};
          if (typeof message.model === 'string') model = message.model;
          if (typeof message.id === 'string') id = message.id;
          readUsage(message.usage, parts);
          return false;
        }
        case 'content_block_start': {
          if (typeof event.index === 'number' && isRecord(event.content_block)) {
            blocks[event.index] = { ...event.content_block };
          }
          return false;
        }
        case 'content_block_delta': {
          const block = typeof event.index === 'number' ? blocks[event.index] : undefined;
          const delta = isRecord(event.delta) ? event.delta : {};
          if (block !== undefined) {
            if (typeof delta.text === 'string') block.text = `${String(block.text ?? '')}${delta.text}`;
            if (typeof delta.thinking === 'string')
              block.thinking = `${String(block.thinking ?? '')}${delta.thinking}`;
            if (typeof delta.partial_json === 'string')
              block.partialJson = (block.partialJson ?? '') + delta.partial_json;
          }
          const first = !started;
          started = true;
          return first;
        }
        case 'message_delta': {
          const delta = isRecord(event.delta) ? event.delta : {};
          if (typeof delta.stop_reason === 'string') stopReason = delta.stop_reason;
          readUsage(event.usage, parts);
          return false;
        }
        default:
          return false;
      }
    },
    fields() {
      const content = blocks
        .filter((b) => b !== undefined)
        .map(({ partialJson, ...block }) => {
          if (partialJson === undefined) return block;
          try {
            return { ...block, input: JSON.parse(partialJson) as unknown };
          } catch {
            // A stream cut mid-tool-call leaves partial JSON: keep the text as it arrived.
            return { ...block, input: partialJson };
          }
        });
      const used = toUsage(parts);
      return {
        ...(model === undefined ? {} : { model }),
        ...(used === undefined ? {} : { usage: used }),
        output: { role: 'assistant', content },
        attributes: responseAttributes(id, stopReason),
      };
    },
  };
}

/** The part of `@anthropic-ai/sdk`'s `MessageStream` the recording listens to. */
interface MessageStreamLike {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  done(): Promise<void>;
  readonly errored?: boolean;
  readonly aborted?: boolean;
}

function isMessageStream(value: unknown): value is MessageStreamLike {
  return isRecord(value) && typeof value.on === 'function' && typeof value.done === 'function';
}

/**
 * Follows a `MessageStream` through its public events, however the caller reads it (iterating,
 * `.on('text')`, `finalMessage()`). No `error` listener is added: one would silence the unhandled
 * rejection the SDK raises for a caller who handles no errors. The error is read at `end` through
 * `done()`, after that decision was made. A stream the caller aborted is recorded with what arrived.
 */
function followMessageStream(stream: MessageStreamLike, recording: CallRecording): void {
  const events = accumulator();
  let firstTokenMs: number | undefined;
  let final: unknown;
  stream.on('streamEvent', (event: unknown) =>
    recording.guarded('event', () => {
      if (events.add(event) && firstTokenMs === undefined) firstTokenMs = recording.elapsedMs();
    }),
  );
  stream.on('finalMessage', (message: unknown) => {
    final = message;
  });
  stream.on('end', () =>
    recording.guarded('end', () => {
      const fields = {
        ...(final === undefined ? events.fields() : fromResponse(final)),
        ...firstTokenField(firstTokenMs),
      };
      // Aborted: the caller stopped reading (or cancelled); what arrived is the answer, as for chat streams.
      if (stream.errored !== true || stream.aborted === true) {
        recording.finish(fields);
        return;
      }
      stream.done().then(
        () => recording.finish(fields),
        (error: unknown) => recording.finish({ ...fields, error }),
      );
    }),
  );
}

/** Wraps an Anthropic client: `messages.create` and `messages.stream` calls become spans. */
export function wrapAnthropic<T extends object>(
  client: T,
  core: TracingCore,
  options: GenerationOptions = {},
): T {
  const spec = { core, options, name: 'anthropic.messages', provider: 'anthropic' };
  return interceptMethods(client, [
    {
      path: ['messages'],
      method: 'create',
      wrap: (original, owner): Fn => {
        return (...args: unknown[]) =>
          observeCall({
            ...spec,
            params: args[0],
            request: requestFields(args[0]),
            call: () => original.apply(owner, args),
            fromResponse,
            accumulator,
          });
      },
    },
    {
      path: ['messages'],
      method: 'stream',
      wrap: (original, owner): Fn => {
        return (...args: unknown[]) => {
          const params = isRecord(args[0]) ? { ...args[0], stream: true } : args[0];
          const recording = beginCall({ ...spec, request: requestFields(params) });
          let stream: unknown;
          try {
            stream = original.apply(owner, args);
          } catch (error) {
            recording.finish({ error });
            throw error;
          }
          recording.guarded('stream', () => {
            if (isMessageStream(stream)) followMessageStream(stream, recording);
            // Not the SDK's stream object: the call is recorded without its answer.
            else recording.finish({});
          });
          return stream;
        };
      },
    },
  ]);
}
