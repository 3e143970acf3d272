import type { SseEvent } from '../sse.ts';
import { postJson, toProviderError } from './http.ts';
import { openAiWire } from './openai.ts';
import { redactSecrets } from './redact.ts';
import { callSecrets, joinUrl, startCall, type WireResult } from './runtime.ts';
import type { HttpResponse, ProviderSettings } from './types.ts';

/** One POST sent through {@link OpenAiPassthrough.post}: the provider's final answer. */
export interface PassthroughAnswer {
  /**
   * The final response: `ok` with its body unread (a JSON document or an event stream), or the
   * provider's refusal once retries are spent, its body already read (`text()` still works).
   */
  response: HttpResponse;
  /** `performance.now()` when the call began (retries included). */
  startedAt: number;
  /** Aborted by the caller's signal or by the whole-call timeout; the body read stops with it. */
  signal: AbortSignal;
  /** Clears the call's timeout and detaches from the caller's signal: call once the body is read. */
  dispose(): void;
}

/** What a followed stream or a parsed answer said: the text, tool calls, finish reason and usage. */
export interface PassthroughTap {
  /** Feeds one SSE message of a streamed chat completion, in order; true when it carried answer text or a tool call. */
  push(message: Pick<SseEvent, 'event' | 'data'>): boolean;
  /** The stream so far; `usage` is null when the provider sent none. */
  finish(): WireResult;
  /** The provider's own error message when it reported one inside the stream. */
  error(): string | undefined;
}

/**
 * Sends OpenAI-shaped requests to an OpenAI-kind provider as they are, with the same retries
 * (429/5xx, `Retry-After`), timeout and cancellation as every provider client, and reads usage back
 * from what it answers. The gateway uses it so that fields Promptline does not model (content
 * parts, `n`, `logprobs`, `tool_choice`…) reach the provider untouched and streams are forwarded
 * byte for byte.
 */
export interface OpenAiPassthrough {
  readonly id: string;
  /** POSTs `body` to `path` (`chat/completions`, `embeddings`) under the provider's base URL. */
  post(
    path: string,
    body: unknown,
    options?: { signal?: AbortSignal | undefined; timeoutMs?: number | undefined },
  ): Promise<PassthroughAnswer>;
  /** Reads a non-streamed chat completion. */
  parseChat(body: unknown): WireResult;
  /** Follows a streamed chat completion without holding its events. */
  tap(): PassthroughTap;
  /** The human message of an OpenAI-shaped error body. */
  errorMessage(body: unknown): string | undefined;
  /**
   * `text` with this provider's secrets redacted, for provider text the caller forwards itself (an
   * error event inside a stream). Thrown errors and answered refusals are redacted already.
   */
  redact(text: string): string;
}

/** Builds the passthrough for already checked settings (see `createOpenAiPassthrough` in index). */
export function openAiPassthrough(
  id: string,
  settings: ProviderSettings,
  endpoint: { baseUrl: string; apiKey?: string | undefined },
): OpenAiPassthrough {
  const wire = openAiWire({
    dialect: id === 'openai' ? 'openai' : 'openai-compatible',
    id,
    baseUrl: endpoint.baseUrl,
    apiKey: endpoint.apiKey,
    headers: settings.headers,
  });
  // Errors this passthrough throws or reports never carry the credentials (redact.ts): thrown ones
  // and refusals through the call context (toProviderError, postJson), stream errors here.
  const secrets = callSecrets(settings);
  const headers: Record<string, string> = { ...settings.headers };
  if (endpoint.apiKey !== undefined && endpoint.apiKey !== '')
    headers.authorization = `Bearer ${endpoint.apiKey}`;

  return {
    id,
    async post(path, body, options = {}) {
      const ctx = startCall(id, settings, options);
      try {
        const response = await postJson(
          ctx,
          joinUrl(endpoint.baseUrl, path),
          headers,
          body,
          wire.errorMessage,
          { returnRefusal: true },
        );
        return { response, startedAt: ctx.startedAt, signal: ctx.signal, dispose: ctx.dispose };
      } catch (error) {
        ctx.dispose();
        throw toProviderError(ctx, error, 0);
      }
    },
    parseChat: (body) => wire.parseChat(body, { model: '', messages: [] }),
    tap() {
      const decoder = wire.streamDecoder({ model: '', messages: [] });
      let error: string | undefined;
      return {
        push(message) {
          if (error !== undefined) return false;
          try {
            return decoder.push(message).length > 0 || hasContent(message.data);
          } catch (cause) {
            // The decoder throws on an in-stream error event; the client sees the event itself.
            error = redactSecrets(cause instanceof Error ? cause.message : String(cause), secrets);
            return false;
          }
        },
        finish: () => decoder.finish(),
        error: () => error,
      };
    },
    errorMessage: wire.errorMessage,
    redact: (text) => redactSecrets(text, secrets),
  };
}

// The decoder holds tool-call fragments back until the call is complete; the first fragment
// already reached the client, so it counts as the first token.
function hasContent(data: string): boolean {
  return data.includes('"tool_calls"');
}
