import { streamError } from './http.ts';
import {
  asArray,
  asNumber,
  asRecord,
  asString,
  compact,
  type HttpRequest,
  joinUrl,
  type StreamDecoder,
  type StreamPiece,
  splitParameters,
  type WireFormat,
  type WireResult,
} from './runtime.ts';
import type { ChatRequest, ProviderMessage, ToolCall, Usage } from './types.ts';

export interface OpenAiWireOptions {
  /** `openai` speaks the newest dialect; `openai-compatible` the one Ollama, vLLM and others accept. */
  dialect: 'openai' | 'openai-compatible';
  /** The provider id used in error messages. */
  id: string;
  baseUrl: string;
  apiKey?: string | undefined;
  headers?: Record<string, string> | undefined;
}

/** The chat completions wire format (OpenAI and every server that copies it). */
export function openAiWire(options: OpenAiWireOptions): WireFormat {
  const official = options.dialect === 'openai';
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey !== undefined && options.apiKey !== '')
    headers.authorization = `Bearer ${options.apiKey}`;

  function chatRequest(request: ChatRequest, stream: boolean): HttpRequest {
    const { known, extra } = splitParameters(request.parameters);
    const body: Record<string, unknown> = compact({
      model: request.model,
      messages: request.messages.map((message) => toWireMessage(message, official)),
      temperature: known.temperature,
      top_p: known.topP,
      // OpenAI deprecated max_tokens (reasoning models reject it); compatible servers often only
      // know max_tokens.
      [official ? 'max_completion_tokens' : 'max_tokens']: known.maxTokens,
      stop: known.stop,
      seed: known.seed,
      presence_penalty: known.presencePenalty,
      frequency_penalty: known.frequencyPenalty,
      response_format: request.responseFormat,
      tools: request.tools !== undefined && request.tools.length > 0 ? request.tools : undefined,
      ...extra,
    });
    if (stream) {
      body.stream = true;
      body.stream_options = { include_usage: true };
    }
    return { url: joinUrl(options.baseUrl, 'chat/completions'), headers, body };
  }

  return {
    chatRequest,
    parseChat,
    streamDecoder: () => createOpenAiStreamDecoder(options.id),
    errorMessage: (body) =>
      asString(asRecord(asRecord(body).error).message) ?? asString(asRecord(body).message),
    embedRequest(input, model) {
      return {
        url: joinUrl(options.baseUrl, 'embeddings'),
        headers,
        body: { model: model ?? 'text-embedding-3-small', input },
      };
    },
    parseEmbeddings(body) {
      const rows = asArray(asRecord(body).data).map(asRecord);
      rows.sort((a, b) => asNumber(a.index) - asNumber(b.index));
      return rows.map((row) => asArray(row.embedding).map(asNumber));
    },
  };
}

function toWireMessage(message: ProviderMessage, official: boolean): Record<string, unknown> {
  if (message.role === 'tool') {
    return { role: 'tool', tool_call_id: message.toolCallId ?? '', content: message.content };
  }
  // `developer` is the o-series' name for system instructions; most compatible servers reject it.
  const role = message.role === 'developer' && !official ? 'system' : message.role;
  const wire: Record<string, unknown> = { role, content: message.content };
  if (message.name !== undefined) wire.name = message.name;
  if (message.role === 'assistant' && message.toolCalls !== undefined && message.toolCalls.length > 0) {
    wire.content = message.content === '' ? null : message.content;
    wire.tool_calls = message.toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  return wire;
}

/** `function_call` is the legacy name of `tool_calls`; the rest is already normalised. */
function normaliseFinishReason(reason: unknown): string | null {
  const value = asString(reason);
  if (value === undefined) return null;
  return value === 'function_call' ? 'tool_calls' : value.toLowerCase();
}

function parseUsage(value: unknown): Usage | null {
  const usage = asRecord(value);
  if (usage.prompt_tokens === undefined && usage.completion_tokens === undefined) return null;
  return {
    inputTokens: asNumber(usage.prompt_tokens),
    outputTokens: asNumber(usage.completion_tokens),
    cachedInputTokens: asNumber(asRecord(usage.prompt_tokens_details).cached_tokens),
    estimated: false,
  };
}

function parseChat(body: unknown): WireResult {
  const root = asRecord(body);
  const choice = asRecord(asArray(root.choices)[0]);
  const message = asRecord(choice.message);
  const toolCalls: ToolCall[] = asArray(message.tool_calls).map((raw) => {
    const call = asRecord(raw);
    const fn = asRecord(call.function);
    return {
      id: asString(call.id) ?? '',
      name: asString(fn.name) ?? '',
      arguments: asString(fn.arguments) ?? '',
    };
  });
  return {
    model: asString(root.model),
    text: asString(message.content) ?? asString(message.refusal) ?? '',
    toolCalls,
    finishReason: normaliseFinishReason(choice.finish_reason),
    usage: parseUsage(root.usage),
  };
}

function createOpenAiStreamDecoder(id: string): StreamDecoder {
  let model: string | undefined;
  let text = '';
  let finishReason: string | null = null;
  let usage: Usage | null = null;
  // Tool calls arrive in fragments keyed by index: the id and name first, arguments piece by piece.
  const calls = new Map<number, ToolCall>();
  let emittedCalls = false;

  function flushCalls(): StreamPiece[] {
    if (emittedCalls || calls.size === 0) return [];
    emittedCalls = true;
    return [...calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, toolCall]) => ({ type: 'tool-call', toolCall }));
  }

  return {
    push(message) {
      if (message.data === '[DONE]') return flushCalls();
      let chunk: Record<string, unknown>;
      try {
        chunk = asRecord(JSON.parse(message.data));
      } catch {
        // Keep-alives and vendor extras that are not JSON carry nothing for us.
        return [];
      }
      if (chunk.error !== undefined) {
        throw streamError(id, asString(asRecord(chunk.error).message) ?? JSON.stringify(chunk.error));
      }
      model ??= asString(chunk.model);
      usage = parseUsage(chunk.usage) ?? usage;
      const pieces: StreamPiece[] = [];
      for (const rawChoice of asArray(chunk.choices)) {
        const choice = asRecord(rawChoice);
        if (asNumber(choice.index) !== 0) continue;
        const delta = asRecord(choice.delta);
        const content = asString(delta.content);
        if (content !== undefined && content !== '') {
          text += content;
          pieces.push({ type: 'delta', text: content });
        }
        for (const rawCall of asArray(delta.tool_calls)) {
          const fragment = asRecord(rawCall);
          const index = asNumber(fragment.index);
          const fn = asRecord(fragment.function);
          const call = calls.get(index) ?? { id: '', name: '', arguments: '' };
          call.id = asString(fragment.id) ?? call.id;
          call.name += asString(fn.name) ?? '';
          call.arguments += asString(fn.arguments) ?? '';
          calls.set(index, call);
        }
        const reason = normaliseFinishReason(choice.finish_reason);
        if (reason !== null) {
          finishReason = reason;
          pieces.push(...flushCalls());
        }
      }
      return pieces;
    },
    flush: flushCalls,
    finish() {
      return {
        model,
        text,
        toolCalls: [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call),
        finishReason,
        usage,
      };
    },
  };
}
