/**
 * One call to one upstream model, in OpenAI's shape whatever the provider speaks. OpenAI-kind
 * providers get the request as it came (only `model` replaced, usage asked for on streams) and
 * their answer is forwarded as it arrives; the others go through core's provider clients and the
 * mapping in `@promptline/core` (gateway/translate.ts).
 */
import {
  type AppError,
  type ChatCompletionRequest,
  createOpenAiPassthrough,
  createSseParser,
  estimateTokens,
  type HttpResponse,
  isAppError,
  type OpenAiPassthrough,
  type PriceBook,
  type ProviderSettings,
  type ToolCall,
  type Usage,
  type WireResult,
} from '@promptline/core';
import { type OpenAiErrorBody, openAiError } from './errors.ts';
import { translatedChat } from './translated-chat.ts';

/** A resolved `<provider>/<model>`. */
export interface Target {
  /** `<provider>/<model>` as the client wrote it. */
  label: string;
  provider: string;
  model: string;
  settings: ProviderSettings;
  prices: PriceBook;
}

/** What one call came to, for the span and the budget. */
export interface CallResult {
  model: string;
  text: string;
  toolCalls: ToolCall[];
  finishReason: string | null;
  usage: Usage;
  costUsd: number | null;
  /** From the start of the call to the first answer token (streams only). */
  timeToFirstTokenMs: number | null;
  /** An error reported after the answer began (inside the stream), or a client that left. */
  error?: string;
}

/** How an upstream answered. A refusal was sent before anything reached the client: a fallback may follow. */
export type UpstreamAnswer =
  | {
      kind: 'refused';
      status: number;
      body: OpenAiErrorBody;
      message: string;
      fallback: boolean;
      /** The provider's rate-limit headers, passed on. */
      headers?: Record<string, string>;
      /** Set when the refusal is the gateway's own (not configured, unsupported, unreachable): sent as a problem. */
      problem?: AppError;
    }
  | { kind: 'json'; body: string; headers: Record<string, string>; result: CallResult }
  | {
      kind: 'stream';
      headers: Record<string, string>;
      /** SSE frames to write, in order; ending (or `return()`) ends the upstream call. */
      frames: AsyncGenerator<string>;
      /** Complete once `frames` ended. */
      result(): CallResult;
    };

/**
 * The passthrough client of resolved settings, built once while the target resolver reuses them
 * (checking the base URL and collecting the secrets to redact is per provider, not per call).
 *
 * @throws AppError PROVIDER_NOT_CONFIGURED (see createOpenAiPassthrough).
 */
const passthroughs = new WeakMap<ProviderSettings, OpenAiPassthrough>();
export function passthroughFor(settings: ProviderSettings): OpenAiPassthrough {
  let client = passthroughs.get(settings);
  if (client === undefined) {
    client = createOpenAiPassthrough(settings);
    passthroughs.set(settings, client);
  }
  return client;
}

/** Upstream statuses that another model would answer the same way: the request itself is wrong. */
const REQUEST_FAULTS = new Set([400, 413, 422]);

function costOf(target: Target, model: string, usage: Usage): number | null {
  const cost =
    target.prices.cost(target.provider, model, usage) ??
    target.prices.cost(target.settings.kind, model, usage) ??
    target.prices.cost(target.settings.kind, target.model, usage);
  return cost?.totalUsd ?? null;
}

async function estimatedUsage(
  body: ChatCompletionRequest,
  wire: Pick<WireResult, 'text' | 'toolCalls'>,
): Promise<Usage> {
  const output = wire.text + wire.toolCalls.map((c) => c.name + c.arguments).join('');
  return {
    inputTokens: await estimateTokens(JSON.stringify(body.messages)),
    outputTokens: await estimateTokens(output),
    cachedInputTokens: 0,
    estimated: true,
  };
}

async function finishWire(
  target: Target,
  body: ChatCompletionRequest,
  wire: WireResult,
  timeToFirstTokenMs: number | null,
): Promise<CallResult> {
  const usage = wire.usage ?? (await estimatedUsage(body, wire));
  const model = wire.model ?? target.model;
  return {
    model,
    text: wire.text,
    toolCalls: wire.toolCalls,
    finishReason: wire.finishReason,
    usage,
    costUsd: costOf(target, model, usage),
    timeToFirstTokenMs,
  };
}

/** A refusal from whatever a provider client threw before the answer began. */
export function refusalOf(error: unknown): Extract<UpstreamAnswer, { kind: 'refused' }> {
  if (isAppError(error)) {
    const upstream = error.details?.status;
    const status =
      error.code === 'PROVIDER_ERROR' && typeof upstream === 'number'
        ? upstream
        : error.code === 'PROVIDER_ERROR'
          ? 502
          : error.status;
    const fromUpstream = error.code === 'PROVIDER_ERROR' && typeof upstream === 'number';
    return {
      kind: 'refused',
      status,
      ...(fromUpstream ? {} : { problem: error }),
      body: openAiError(status, error.message, error.code === 'GATEWAY_UNSUPPORTED' ? 'unsupported' : null),
      message: error.message,
      // A request the upstream called invalid would be invalid elsewhere too; anything else
      // (not configured, rate limited, down, timed out) is worth the next model.
      fallback:
        error.code !== 'GATEWAY_UNSUPPORTED' &&
        !(error.code === 'PROVIDER_ERROR' && REQUEST_FAULTS.has(status)),
    };
  }
  throw error;
}

/**
 * The chunks of a streamed body: the transport's own when it has them (no web stream in between),
 * else read from `body`. `return()` ends the response either way.
 */
function chunksOf(
  own: HttpResponse['chunks'],
  body: ReadableStream<Uint8Array>,
): AsyncIterator<Uint8Array, undefined> {
  if (own !== undefined) return own()[Symbol.asyncIterator]() as AsyncIterator<Uint8Array, undefined>;
  const reader = body.getReader();
  return {
    next: async () => {
      const read = await reader.read();
      return read.done ? { done: true, value: undefined } : { done: false, value: read.value };
    },
    return: async () => {
      await reader.cancel();
      return { done: true, value: undefined };
    },
  };
}

function usageChunkOnly(frame: string): boolean {
  return frame.includes('"choices":[]') && frame.includes('"usage"');
}

/** A chat completion at an OpenAI-kind provider, passed through. */
async function passthroughChat(
  target: Target,
  body: ChatCompletionRequest,
  signal: AbortSignal,
): Promise<UpstreamAnswer> {
  const client = passthroughFor(target.settings);
  const stream = body.stream === true;
  const clientWantsUsage = body.stream_options?.include_usage === true;
  const upstreamBody: Record<string, unknown> = { ...body, model: target.model };
  if (stream) upstreamBody.stream_options = { ...body.stream_options, include_usage: true };
  let answer: Awaited<ReturnType<typeof client.post>>;
  try {
    answer = await client.post('chat/completions', upstreamBody, { signal });
  } catch (error) {
    return refusalOf(error);
  }
  const { response } = answer;
  if (!response.ok) {
    answer.dispose();
    // Already free of the project's secrets: core redacts every refusal it answers (providers/http.ts).
    const text = await response.text();
    return {
      ...refusedByUpstream(response.status, response.statusText, text, client.errorMessage),
      headers: forwardedHeaders(response.headers),
    };
  }
  const contentType = response.headers.get('content-type') ?? '';
  if (!stream || !contentType.includes('text/event-stream') || response.body === null) {
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      return refusalOf(error);
    } finally {
      answer.dispose();
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // The provider's body is not JSON: a refusal the client can read (and a fallback may follow).
      return {
        kind: 'refused',
        status: 502,
        body: openAiError(502, `${client.id} answered with a body that is not JSON.`),
        message: `${client.id} answered with a body that is not JSON (${text.slice(0, 120)})`,
        fallback: true,
      };
    }
    const result = await finishWire(target, body, client.parseChat(parsed), null);
    return {
      kind: 'json',
      body: text,
      headers: { ...forwardedHeaders(response.headers), ...usageHeaders(result) },
      result,
    };
  }

  const tap = client.tap();
  let firstToken: number | null = null;
  let result: CallResult | undefined;
  const chunks = chunksOf(response.chunks, response.body);
  const startedAt = answer.startedAt;
  async function* frames(): AsyncGenerator<string> {
    const decoder = new TextDecoder();
    let pending = '';
    // Frames are forwarded whole (an event split across reads is useless to the client), each as
    // soon as its blank line arrives; the parser reads the same frames for usage and timing, once
    // they are on their way to the client (`unparsed` until then).
    let unparsed: string[] = [];
    let receivedAt = 0;
    const parser = createSseParser({
      onEvent: (event) => {
        if (tap.push(event)) firstToken ??= receivedAt - startedAt;
      },
    });
    const parse = () => {
      for (const frame of unparsed) parser.push(`${frame}\n\n`);
      unparsed = [];
    };
    let error: string | undefined;
    try {
      for (;;) {
        const { done, value } = await chunks.next();
        if (done) break;
        receivedAt = performance.now();
        pending += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
        const end = pending.lastIndexOf('\n\n');
        if (end === -1) continue;
        const events = pending.slice(0, end).split('\n\n');
        pending = pending.slice(end + 2);
        let out = '';
        for (const frame of events) {
          // OpenAI's usage-only chunk (no choices) would break clients that did not ask for it.
          if (!clientWantsUsage && usageChunkOnly(frame)) continue;
          // An error event may echo the key too; answer text is passed untouched.
          out += `${frame.includes('"error"') ? client.redact(frame) : frame}\n\n`;
        }
        unparsed = events;
        if (out !== '') yield out;
        parse();
      }
      if (pending.trim() !== '') yield `${pending}\n\n`;
    } catch (cause) {
      error = signal.aborted
        ? 'the client disconnected'
        : client.redact(cause instanceof Error ? cause.message : String(cause));
      if (!signal.aborted) {
        yield `data: ${JSON.stringify(openAiError(502, `${client.id} failed in the middle of the answer: ${error}`))}\n\n`;
      }
    } finally {
      // Frames already sent when the client left (the generator's return()) still count.
      parse();
      // Stops the upstream read when the client leaves early.
      await chunks.return?.().catch(() => {});
      answer.dispose();
      result = await finishWire(target, body, tap.finish(), firstToken);
      const streamError = error ?? tap.error();
      if (streamError !== undefined) result.error = streamError;
    }
  }
  return {
    kind: 'stream',
    headers: forwardedHeaders(response.headers),
    frames: frames(),
    result: () => result ?? emptyResult(target),
  };
}

export function emptyResult(target: Target): CallResult {
  return {
    model: target.model,
    text: '',
    toolCalls: [],
    finishReason: null,
    usage: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, estimated: true },
    costUsd: null,
    timeToFirstTokenMs: null,
  };
}

function refusedByUpstream(
  status: number,
  statusText: string,
  text: string,
  readMessage: (body: unknown) => string | undefined,
): Extract<UpstreamAnswer, { kind: 'refused' }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: the raw text becomes the message.
    parsed = undefined;
  }
  const message = readMessage(parsed) ?? (text.trim().slice(0, 500) || statusText || `status ${status}`);
  const error = (parsed as { error?: unknown } | undefined)?.error;
  // An OpenAI-shaped body passes as it is (its `code`, `type` and `param` included).
  const body: OpenAiErrorBody =
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { message?: unknown }).message === 'string'
      ? (parsed as OpenAiErrorBody)
      : openAiError(status, message);
  return { kind: 'refused', status, body, message, fallback: !REQUEST_FAULTS.has(status) };
}

/** What an OpenAI-kind provider says about its rate limits: the client's own backoff needs it. */
const FORWARDED = [
  'retry-after',
  'retry-after-ms',
  'x-ratelimit-limit-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-requests',
  'x-ratelimit-reset-tokens',
];

/** The provider's rate-limit headers, to pass on with its answer. */
export function forwardedHeaders(headers: { get(name: string): string | null }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of FORWARDED) {
    const value = headers.get(name);
    if (value !== null) out[name] = value;
  }
  return out;
}

export function usageHeaders(result: CallResult): Record<string, string> {
  return result.usage.estimated ? { 'x-promptline-usage': 'estimated' } : {};
}

/** Calls `target` with an OpenAI chat completion request. Never throws for what the provider did. */
export function callChat(
  target: Target,
  body: ChatCompletionRequest,
  signal: AbortSignal,
): Promise<UpstreamAnswer> {
  const kind = target.settings.kind;
  return kind === 'openai' || kind === 'openai-compatible'
    ? passthroughChat(target, body, signal)
    : translatedChat(target, body, signal);
}
