import { createPriceBook, type PriceBook } from '../pricing/index.ts';
import { parseSse, type SseEvent } from '../sse.ts';
import { estimateInputTokens, estimateOutputTokens } from './estimate.ts';
import {
  type CallContext,
  type ErrorMessageReader,
  openCall,
  postJson,
  readJson,
  toProviderError,
} from './http.ts';
import { secretsOf } from './redact.ts';
import type {
  ChatRequest,
  ChatResult,
  Provider,
  ProviderSettings,
  StreamEvent,
  ToolCall,
  Usage,
} from './types.ts';

/** What a wire format makes of one answer, before timing, estimation and cost are added. */
export interface WireResult {
  /** The model that answered, when the provider says (often a dated snapshot). */
  model?: string | undefined;
  text: string;
  toolCalls: ToolCall[];
  finishReason: string | null;
  /** Null when the provider reported none; the tokens are then estimated. */
  usage: Usage | null;
}

/** Pieces of a stream that reach the caller as they arrive. */
export type StreamPiece = Exclude<StreamEvent, { type: 'done' }>;

/** Turns one provider's SSE messages into pieces, and the whole stream into a result. */
export interface StreamDecoder {
  push(message: Pick<SseEvent, 'event' | 'data'>): StreamPiece[];
  /** Pieces still held back when the stream ends (tool calls of a stream cut before its end). */
  flush?(): StreamPiece[];
  finish(): WireResult;
}

export interface HttpRequest {
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** The mapping between Promptline's provider interface and one provider's HTTP API. */
export interface WireFormat {
  chatRequest(request: ChatRequest, stream: boolean): HttpRequest;
  parseChat(body: unknown, request: ChatRequest): WireResult;
  streamDecoder(request: ChatRequest): StreamDecoder;
  errorMessage: ErrorMessageReader;
  embedRequest?(input: string[], model: string | undefined): HttpRequest;
  parseEmbeddings?(body: unknown): number[][];
}

export const DEFAULT_TIMEOUT_MS = 600_000;
export const DEFAULT_MAX_RETRIES = 3;
export const DEFAULT_RETRY_BASE_DELAY_MS = 500;

let defaultPrices: PriceBook | undefined;

/** The shipped price table, built once. */
export function defaultPriceBook(): PriceBook {
  defaultPrices ??= createPriceBook();
  return defaultPrices;
}

// secretsOf once per settings object, not per call (it parses the base URL).
const secretsBySettings = new WeakMap<ProviderSettings, readonly string[]>();

/** What no error of a call with `settings` may show (memoised `secretsOf`). */
export function callSecrets(settings: ProviderSettings): readonly string[] {
  let secrets = secretsBySettings.get(settings);
  if (secrets === undefined) {
    secrets = secretsOf(settings);
    secretsBySettings.set(settings, secrets);
  }
  return secrets;
}

/**
 * Starts a call with the settings' defaults and the request's own signal and timeout; `dispose()`
 * it when it settles. Its errors have the settings' secrets redacted (see `toProviderError`).
 */
export function startCall(
  id: string,
  settings: ProviderSettings,
  request: { signal?: AbortSignal | undefined; timeoutMs?: number | undefined },
): CallContext {
  return openCall({
    secrets: callSecrets(settings),
    provider: id,
    signal: request.signal,
    timeoutMs: request.timeoutMs ?? settings.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxRetries: settings.maxRetries ?? DEFAULT_MAX_RETRIES,
    baseDelayMs: settings.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS,
    transport: settings.transport,
  });
}

/** Adds what every provider's result needs: estimated usage when missing, cost and timings. */
export async function completeResult(
  id: string,
  prices: PriceBook,
  request: ChatRequest,
  wire: WireResult,
  timing: { latencyMs: number; timeToFirstTokenMs: number | null },
): Promise<ChatResult> {
  const usage: Usage = wire.usage ?? {
    inputTokens: await estimateInputTokens(request.messages, request.tools),
    outputTokens: await estimateOutputTokens(wire.text, wire.toolCalls),
    cachedInputTokens: 0,
    estimated: true,
  };
  const model = wire.model ?? request.model;
  return {
    provider: id,
    model,
    text: wire.text,
    toolCalls: wire.toolCalls,
    finishReason: wire.finishReason,
    usage,
    cost: prices.cost(id, model, usage) ?? prices.cost(id, request.model, usage),
    latencyMs: round(timing.latencyMs),
    timeToFirstTokenMs: timing.timeToFirstTokenMs === null ? null : round(timing.timeToFirstTokenMs),
  };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** A provider that speaks `format` over HTTP with retries, timeouts, cancellation and cost. */
export function createWireProvider(id: string, settings: ProviderSettings, format: WireFormat): Provider {
  const prices = settings.prices ?? defaultPriceBook();
  // Every error leaving this provider goes through toProviderError, which redacts the call's secrets.

  async function complete(request: ChatRequest): Promise<ChatResult> {
    const ctx = startCall(id, settings, request);
    try {
      const http = format.chatRequest(request, false);
      const response = await postJson(ctx, http.url, http.headers, http.body, format.errorMessage);
      const wire = format.parseChat(await readJson(ctx, response), request);
      const latencyMs = performance.now() - ctx.startedAt;
      return await completeResult(id, prices, request, wire, { latencyMs, timeToFirstTokenMs: null });
    } catch (error) {
      throw toProviderError(ctx, error, 0);
    } finally {
      ctx.dispose();
    }
  }

  async function* stream(request: ChatRequest): AsyncGenerator<StreamEvent> {
    const ctx = startCall(id, settings, request);
    // The outer finally also runs when the consumer stops early (break, return, cancellation).
    try {
      const decoder = format.streamDecoder(request);
      let timeToFirstTokenMs: number | null = null;
      let wire: WireResult;
      try {
        const http = format.chatRequest(request, true);
        const response = await postJson(ctx, http.url, http.headers, http.body, format.errorMessage);
        if (response.body === null) throw new Error('the response has no body');
        for await (const message of parseSse(response.body)) {
          for (const piece of decoder.push(message)) {
            timeToFirstTokenMs ??= performance.now() - ctx.startedAt;
            yield piece;
          }
        }
        for (const piece of decoder.flush?.() ?? []) yield piece;
        wire = decoder.finish();
      } catch (error) {
        throw toProviderError(ctx, error, 0);
      }
      const latencyMs = performance.now() - ctx.startedAt;
      const result = await completeResult(id, prices, request, wire, { latencyMs, timeToFirstTokenMs });
      yield { type: 'done', result };
    } finally {
      ctx.dispose();
    }
  }

  const provider: Provider = { id, complete, stream };
  const { embedRequest, parseEmbeddings } = format;
  if (embedRequest !== undefined && parseEmbeddings !== undefined) {
    provider.embed = async (input, options = {}) => {
      if (input.length === 0) return [];
      const ctx = startCall(id, settings, { signal: options.signal });
      try {
        const http = embedRequest(input, options.model);
        const response = await postJson(ctx, http.url, http.headers, http.body, format.errorMessage);
        return parseEmbeddings(await readJson(ctx, response));
      } catch (error) {
        throw toProviderError(ctx, error, 0);
      } finally {
        ctx.dispose();
      }
    };
  }
  return provider;
}

/** Joins a base URL and a path, keeping the base's query string (Azure's `?api-version=`). */
export function joinUrl(base: string, path: string, query?: Record<string, string>): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  for (const [key, value] of Object.entries(query ?? {})) url.searchParams.set(key, value);
  return url.toString();
}

/** Narrows an unknown JSON value to an object, or an empty one. */
export function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function asNumber(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** Parses a JSON string if it is one, for mapping tool arguments to vendors that want objects. */
export function parseJsonOr(text: string, fallback: unknown): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON: the documented answer is the fallback.
    return fallback;
  }
}

/** Splits the known camelCase parameters from the rest, which pass through to the wire as is. */
export function splitParameters(parameters: ChatRequest['parameters']): {
  known: {
    temperature?: number;
    maxTokens?: number;
    topP?: number;
    stop?: string[];
    seed?: number;
    presencePenalty?: number;
    frequencyPenalty?: number;
  };
  extra: Record<string, unknown>;
} {
  const { temperature, maxTokens, topP, stop, seed, presencePenalty, frequencyPenalty, ...extra } =
    parameters ?? {};
  const known: ReturnType<typeof splitParameters>['known'] = {};
  if (temperature !== undefined) known.temperature = temperature;
  if (maxTokens !== undefined) known.maxTokens = maxTokens;
  if (topP !== undefined) known.topP = topP;
  if (stop !== undefined) known.stop = typeof stop === 'string' ? [stop] : stop;
  if (seed !== undefined) known.seed = seed;
  if (presencePenalty !== undefined) known.presencePenalty = presencePenalty;
  if (frequencyPenalty !== undefined) known.frequencyPenalty = frequencyPenalty;
  return { known, extra };
}

/** Drops undefined members so request bodies only carry what was asked for. */
export function compact<T extends Record<string, unknown>>(value: T): T {
  for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key];
  return value;
}
