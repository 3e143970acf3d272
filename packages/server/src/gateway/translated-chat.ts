/** Chat completions at providers of other wire formats (Anthropic, Gemini, mock), mapped to and from OpenAI's shape by core. */
import {
  type ChatCompletionRequest,
  type ChatResult,
  createChunkWriter,
  createProvider,
  type StreamEvent,
  toChatCompletion,
  toChatRequest,
} from '@promptline/core';
import { openAiError } from './errors.ts';
import {
  type CallResult,
  emptyResult,
  refusalOf,
  type Target,
  type UpstreamAnswer,
  usageHeaders,
} from './upstream.ts';

/** A chat completion at a provider of another wire format, mapped to and from OpenAI's shape. */
export async function translatedChat(
  target: Target,
  body: ChatCompletionRequest,
  signal: AbortSignal,
): Promise<UpstreamAnswer> {
  let mapped: ReturnType<typeof toChatRequest>;
  try {
    mapped = toChatRequest(body, target.settings.kind, target.model);
  } catch (error) {
    return refusalOf(error);
  }
  const provider = createProvider(target.settings);
  const request = { ...mapped.request, signal };
  const headers: Record<string, string> =
    mapped.ignored.length > 0 ? { 'x-promptline-ignored': mapped.ignored.join(', ') } : {};
  const id = `chatcmpl-${crypto.randomUUID().replaceAll('-', '')}`;
  const created = Math.floor(Date.now() / 1000);
  if (body.stream !== true) {
    let chat: ChatResult;
    try {
      chat = await provider.complete(request);
    } catch (error) {
      return refusalOf(error);
    }
    const result = fromChatResult(chat);
    return {
      kind: 'json',
      body: JSON.stringify(toChatCompletion(chat, id, created)),
      headers: { ...headers, ...usageHeaders(result) },
      result,
    };
  }

  const events = provider.stream(request)[Symbol.asyncIterator]();
  // The first event decides between a refusal (a fallback may answer) and a stream.
  let first: IteratorResult<StreamEvent>;
  try {
    first = await events.next();
  } catch (error) {
    return refusalOf(error);
  }
  const chunks = createChunkWriter(id, created, target.model);
  const includeUsage = body.stream_options?.include_usage === true;
  let result: CallResult | undefined;
  let streamError: string | undefined;
  const frame = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
  async function* frames(): AsyncGenerator<string> {
    let current = first;
    try {
      yield frame(chunks.start());
      while (!current.done) {
        const event = current.value;
        if (event.type === 'delta') yield frame(chunks.text(event.text));
        else if (event.type === 'tool-call') yield frame(chunks.toolCall(event.toolCall));
        else {
          result = fromChatResult(event.result);
          yield frame(chunks.finish(event.result.finishReason));
          if (includeUsage) yield frame(chunks.usage(event.result.usage));
          yield 'data: [DONE]\n\n';
        }
        current = await events.next();
      }
    } catch (error) {
      streamError = signal.aborted
        ? 'the client disconnected'
        : error instanceof Error
          ? error.message
          : String(error);
      if (!signal.aborted) yield frame(openAiError(502, streamError));
    } finally {
      await events.return?.();
    }
  }
  return {
    kind: 'stream',
    headers,
    frames: frames(),
    result: () => {
      const done = result ?? emptyResult(target);
      if (streamError !== undefined) done.error = streamError;
      return done;
    },
  };
}

function fromChatResult(chat: ChatResult): CallResult {
  return {
    model: chat.model,
    text: chat.text,
    toolCalls: chat.toolCalls,
    finishReason: chat.finishReason,
    usage: chat.usage,
    costUsd: chat.cost?.totalUsd ?? null,
    timeToFirstTokenMs: chat.timeToFirstTokenMs,
  };
}
