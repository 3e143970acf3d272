import { countWords } from '../eval/text-metrics.ts';
import { delay, toProviderError } from './http.ts';
import { asRecord, asString, completeResult, defaultPriceBook, startCall } from './runtime.ts';
import type {
  ChatRequest,
  ChatResult,
  Provider,
  ProviderMessage,
  ProviderSettings,
  StreamEvent,
  ToolCall,
  Usage,
} from './types.ts';

export const DEFAULT_MOCK_DELAY_MS = 15;
export const MOCK_EMBEDDING_DIMENSIONS = 256;

interface MockAnswer {
  text: string;
  toolCalls: ToolCall[];
  finishReason: string;
}

/**
 * The built-in `mock` provider: deterministic, no network, no key. It answers from the input (an
 * echo of the last user message), honours JSON schemas and tools with sample values, streams word
 * by word, and reports usage counted at ~4 characters a token, so a fresh install can demo the
 * playground and tests can run whole flows offline.
 */
export function createMockProvider(settings: ProviderSettings = { kind: 'mock' }): Provider {
  const id = 'mock';
  const prices = settings.prices ?? defaultPriceBook();
  const delayMs = settings.mockDelayMs ?? DEFAULT_MOCK_DELAY_MS;

  async function complete(request: ChatRequest): Promise<ChatResult> {
    const ctx = startCall(id, settings, request);
    try {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const answer = answerFor(request);
      const latencyMs = performance.now() - ctx.startedAt;
      return await completeResult(
        id,
        prices,
        request,
        { ...answer, usage: usageFor(request, answer) },
        {
          latencyMs,
          timeToFirstTokenMs: null,
        },
      );
    } catch (error) {
      throw toProviderError(ctx, error, 0);
    } finally {
      ctx.dispose();
    }
  }

  async function* stream(request: ChatRequest): AsyncGenerator<StreamEvent> {
    const ctx = startCall(id, settings, request);
    try {
      const answer = answerFor(request);
      let timeToFirstTokenMs: number | null = null;
      try {
        for (const word of splitWords(answer.text)) {
          await delay(ctx.signal, delayMs);
          timeToFirstTokenMs ??= performance.now() - ctx.startedAt;
          yield { type: 'delta', text: word };
        }
        for (const toolCall of answer.toolCalls) {
          await delay(ctx.signal, delayMs);
          timeToFirstTokenMs ??= performance.now() - ctx.startedAt;
          yield { type: 'tool-call', toolCall };
        }
      } catch (error) {
        throw toProviderError(ctx, error, 0);
      }
      const latencyMs = performance.now() - ctx.startedAt;
      const result = await completeResult(
        id,
        prices,
        request,
        { ...answer, usage: usageFor(request, answer) },
        { latencyMs, timeToFirstTokenMs },
      );
      yield { type: 'done', result };
    } finally {
      ctx.dispose();
    }
  }

  async function embed(input: string[], options: { signal?: AbortSignal } = {}): Promise<number[][]> {
    if (options.signal?.aborted) throw options.signal.reason;
    return input.map(mockEmbedding);
  }

  return { id, complete, stream, embed };
}

/** Words with their leading space; long runs (JSON) in pieces of 12 characters. Joins back to `text`. */
function splitWords(text: string): string[] {
  const pieces: string[] = text.match(/\s*\S{1,12}/g) ?? [];
  const rest = text.slice(pieces.join('').length);
  if (rest !== '') pieces.push(rest);
  return pieces;
}

function excerpt(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function answerFor(request: ChatRequest): MockAnswer {
  const last = request.messages.at(-1);
  const lastUser = [...request.messages].reverse().find((message) => message.role === 'user');
  const said = lastUser?.content ?? '';
  const firstTool = asRecord(asRecord(request.tools?.[0]).function);
  const toolName = asString(firstTool.name);

  if (toolName !== undefined && last?.role !== 'tool') {
    const args = sampleFromSchema(firstTool.parameters, said, 0);
    return {
      text: '',
      toolCalls: [{ id: 'call_mock_0', name: toolName, arguments: JSON.stringify(args ?? {}) }],
      finishReason: 'tool_calls',
    };
  }

  const format = asRecord(request.responseFormat);
  let text: string;
  if (format.type === 'json_schema') {
    text = JSON.stringify(sampleFromSchema(asRecord(format.json_schema).schema, said, 0));
  } else if (format.type === 'json_object') {
    text = JSON.stringify({ answer: excerpt(said), words: countWords(said) });
  } else if (last?.role === 'tool') {
    text = `Mock answer from ${request.model} using the tool result: "${excerpt(last.content)}".`;
  } else {
    const words = countWords(said);
    text = `Mock answer from ${request.model}. You said: "${excerpt(said)}" (${words} word${words === 1 ? '' : 's'}, ${request.messages.length} message${request.messages.length === 1 ? '' : 's'}).`;
  }

  let finishReason = 'stop';
  for (const stop of request.parameters?.stop ?? []) {
    const at = stop === '' ? -1 : text.indexOf(stop);
    if (at >= 0) text = text.slice(0, at);
  }
  const maxTokens = request.parameters?.maxTokens;
  if (maxTokens !== undefined && estimateTokens(text) > maxTokens) {
    text = text.slice(0, Math.max(0, maxTokens) * 4);
    finishReason = 'length';
  }
  return { text, toolCalls: [], finishReason };
}

// Deterministic and dependency-free: the mock reports usage as a provider would, counted at the
// usual ~4 characters per token plus the chat format's per-message overhead.
function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function usageFor(request: ChatRequest, answer: MockAnswer): Usage {
  const input = request.messages.reduce(
    (sum: number, message: ProviderMessage) => sum + 4 + estimateTokens(message.content),
    3,
  );
  const output =
    estimateTokens(answer.text) +
    answer.toolCalls.reduce((sum, call) => sum + estimateTokens(call.name + call.arguments), 0);
  return { inputTokens: input, outputTokens: output, cachedInputTokens: 0, estimated: false };
}

/** A value that fits a JSON schema, built from the input so it stays deterministic. */
function sampleFromSchema(schemaValue: unknown, said: string, depth: number): unknown {
  const schema = asRecord(schemaValue);
  if (depth > 8) return null;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) return sampleFromSchema(options[0], said, depth + 1);
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const type = types.find((candidate) => candidate !== 'null') ?? (schema.properties ? 'object' : 'string');
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(asRecord(schema.properties))) {
        out[key] = sampleFromSchema(value, said, depth + 1);
      }
      return out;
    }
    case 'array':
      return [sampleFromSchema(schema.items, said, depth + 1)];
    case 'integer':
    case 'number': {
      // The word count of the input, kept inside the schema's bounds (a judge's 0…1 score is 1).
      let value = countWords(said);
      if (typeof schema.maximum === 'number') value = Math.min(value, schema.maximum);
      if (typeof schema.minimum === 'number') value = Math.max(value, schema.minimum);
      return type === 'integer' ? Math.floor(value) : value;
    }
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return excerpt(said, 80);
  }
}

/** A deterministic unit vector from the hashed bag of words of `text` (similar texts, near vectors). */
export function mockEmbedding(text: string): number[] {
  const vector = new Array<number>(MOCK_EMBEDDING_DIMENSIONS).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    // FNV-1a, 32 bits.
    let hash = 0x811c9dc5;
    for (let i = 0; i < word.length; i++) {
      hash ^= word.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    const index = hash % MOCK_EMBEDDING_DIMENSIONS;
    vector[index] = (vector[index] ?? 0) + (hash >>> 31 === 0 ? 1 : -1);
  }
  const norm = Math.hypot(...vector);
  return norm === 0 ? vector : vector.map((value) => value / norm);
}
