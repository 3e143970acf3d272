/**
 * The one interface every LLM provider speaks: messages and parameters in; text, tool calls,
 * finish reason, usage, cost and timings out; streaming and not.
 */
import type { PriceBook } from '../pricing/index.ts';

/** A message sent to a model (a rendered chat prompt is already in this shape). */
export interface ProviderMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content: string;
  /** For `tool` messages: the call they answer. */
  toolCallId?: string;
  /** For `assistant` messages that called tools. */
  toolCalls?: ToolCall[];
  name?: string;
}

export interface ToolCall {
  id: string;
  name: string;
  /** Arguments as the model produced them (a JSON string, usually). */
  arguments: string;
}

export interface ModelParameters {
  temperature?: number;
  maxTokens?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  /** Anything else is passed through to the wire request as is. */
  [extra: string]: unknown;
}

export interface ChatRequest {
  model: string;
  messages: ProviderMessage[];
  parameters?: ModelParameters;
  /** `{type:'json_object'}` or `{type:'json_schema', json_schema:{name, schema, strict?}}` (OpenAI's shape). */
  responseFormat?: unknown;
  /** Tools in OpenAI's function shape: `{type:'function', function:{name, description?, parameters}}`. */
  tools?: unknown[];
  signal?: AbortSignal;
  /** Whole-call timeout in milliseconds. */
  timeoutMs?: number;
}

/**
 * Tokens of one call. `inputTokens` counts every input token, cached ones included (OpenAI's
 * convention; Anthropic's separate cache counts are added in), so `cachedInputTokens` is a part of it.
 */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  /** True when the provider returned no usage and tokens were counted with a tokenizer. */
  estimated: boolean;
}

export interface Cost {
  inputUsd: number;
  outputUsd: number;
  totalUsd: number;
}

/** Normalised finish reasons; anything else a provider says is passed through lower-cased. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | (string & {});

export interface ChatResult {
  provider: string;
  model: string;
  text: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason | null;
  usage: Usage;
  /** Null when no price is known for the model. */
  cost: Cost | null;
  /** From the start of the call (retries included) to the last byte. */
  latencyMs: number;
  /** Until the first text or tool-call delta of a stream; null for non-streaming calls. */
  timeToFirstTokenMs: number | null;
}

/** What a streaming call yields: text deltas as they come, then exactly one `done`. */
export type StreamEvent =
  | { type: 'delta'; text: string }
  | { type: 'tool-call'; toolCall: ToolCall }
  | { type: 'done'; result: ChatResult };

export interface Provider {
  /** `openai`, `anthropic`, `gemini`, `openai-compatible`, `mock`… */
  readonly id: string;
  complete(request: ChatRequest): Promise<ChatResult>;
  stream(request: ChatRequest): AsyncIterable<StreamEvent>;
  /** Embeddings, where the provider has them (used by the `similar` assertion). */
  embed?(input: string[], options?: { model?: string; signal?: AbortSignal }): Promise<number[][]>;
}

/** How to reach a provider: its kind, credentials and endpoint. */
export interface ProviderSettings {
  kind: 'openai' | 'anthropic' | 'gemini' | 'openai-compatible' | 'mock';
  apiKey?: string;
  /** Base URL, e.g. `http://127.0.0.1:11434/v1` for Ollama; defaults to the provider's own. */
  baseUrl?: string;
  /** Extra headers (Azure's `api-key`, OpenRouter's `HTTP-Referer`…). */
  headers?: Record<string, string>;
  /** Retries on 429 and 5xx (default 3), with exponential backoff and jitter, honouring Retry-After. */
  maxRetries?: number;
  /** First backoff step in ms (default 500); the n-th retry waits a random time up to base·2ⁿ. */
  retryBaseDelayMs?: number;
  /** Default whole-call timeout in ms (default 600 000); a request's own `timeoutMs` wins. */
  timeoutMs?: number;
  /** Prices used to compute `cost`; defaults to the shipped table ({@link createPriceBook}). */
  prices?: PriceBook;
  /** `mock` only: delay between streamed words in ms (default 15). */
  mockDelayMs?: number;
  /** How requests are sent (default the global `fetch`); `@promptline/core/node` has a faster one for Node. */
  transport?: HttpTransport;
  /**
   * More values to keep out of every error this provider reports, besides its own key and
   * headers: a server passes the project's other stored credentials, so an upstream that echoes
   * whatever it knows leaks none of them (see `secretsOf`).
   */
  knownSecrets?: readonly string[];
}

/** What a provider client reads of an HTTP answer: the part of `fetch`'s `Response` it uses. */
export interface HttpResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  /** The body as a stream (streamed answers); null when there is none. */
  readonly body: ReadableStream<Uint8Array> | null;
  /**
   * The same body as chunks, from a transport with a cheaper way to read it than a web stream (the
   * server's: a Node stream). A reader uses one of `body` and `chunks`, never both; returning from
   * the iteration early ends the response, as cancelling `body` does.
   */
  readonly chunks?: (() => AsyncIterable<Uint8Array>) | undefined;
  text(): Promise<string>;
}

/**
 * Sends one POST of a provider client. `fetch` is one; any other must answer the same way: the
 * final response after redirects, a rejection on network failure, and `signal` aborting the request
 * and its body.
 */
export type HttpTransport = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<HttpResponse>;
