import { streamError } from './http.ts';
import {
  asArray,
  asNumber,
  asRecord,
  asString,
  compact,
  type HttpRequest,
  joinUrl,
  parseJsonOr,
  type StreamDecoder,
  type StreamPiece,
  splitParameters,
  type WireFormat,
} from './runtime.ts';
import type { ChatRequest, ToolCall, Usage } from './types.ts';

export interface GeminiWireOptions {
  baseUrl: string;
  apiKey: string;
  headers?: Record<string, string> | undefined;
}

export const DEFAULT_GEMINI_EMBEDDING_MODEL = 'gemini-embedding-001';

// Parameters that live at the top of a generateContent request; every other extra parameter
// (topK, thinkingConfig, candidateCount…) belongs in generationConfig.
const TOP_LEVEL = new Set(['safetySettings', 'toolConfig', 'cachedContent', 'labels']);

interface Content {
  role: 'user' | 'model';
  parts: Record<string, unknown>[];
}

function modelPath(model: string): string {
  return `models/${model.replace(/^models\//, '')}`;
}

/** Google's Gemini API (generativelanguage, v1beta). */
export function geminiWire(options: GeminiWireOptions): WireFormat {
  const headers: Record<string, string> = { 'x-goog-api-key': options.apiKey, ...options.headers };

  function chatRequest(request: ChatRequest, stream: boolean): HttpRequest {
    const { known, extra } = splitParameters(request.parameters);
    const topLevel: Record<string, unknown> = {};
    const generationExtra: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(extra)) {
      if (TOP_LEVEL.has(key)) topLevel[key] = value;
      else generationExtra[key] = value;
    }
    const format = asRecord(request.responseFormat);
    const schema = format.type === 'json_schema' ? asRecord(format.json_schema).schema : undefined;
    const generationConfig = compact({
      temperature: known.temperature,
      maxOutputTokens: known.maxTokens,
      topP: known.topP,
      stopSequences: known.stop,
      seed: known.seed,
      presencePenalty: known.presencePenalty,
      frequencyPenalty: known.frequencyPenalty,
      responseMimeType:
        format.type === 'json_object' || schema !== undefined ? 'application/json' : undefined,
      // responseJsonSchema takes plain JSON Schema (responseSchema only an OpenAPI subset).
      responseJsonSchema: schema,
      ...generationExtra,
    });
    const system = request.messages
      .filter((message) => message.role === 'system' || message.role === 'developer')
      .map((message) => ({ text: message.content }));
    const declarations = (request.tools ?? []).map((raw) => {
      const fn = asRecord(asRecord(raw).function);
      return compact({
        name: asString(fn.name) ?? '',
        description: asString(fn.description),
        parameters: fn.parameters,
      });
    });
    const body = compact({
      contents: toContents(request),
      systemInstruction: system.length > 0 ? { parts: system } : undefined,
      generationConfig: Object.keys(generationConfig).length > 0 ? generationConfig : undefined,
      tools: declarations.length > 0 ? [{ functionDeclarations: declarations }] : undefined,
      ...topLevel,
    });
    const url = stream
      ? joinUrl(options.baseUrl, `${modelPath(request.model)}:streamGenerateContent`, { alt: 'sse' })
      : joinUrl(options.baseUrl, `${modelPath(request.model)}:generateContent`);
    return { url, headers, body };
  }

  return {
    chatRequest,
    parseChat: (body) => {
      const decoder = createGeminiStreamDecoder();
      decoder.push({ event: 'message', data: JSON.stringify(body) });
      return decoder.finish();
    },
    streamDecoder: () => createGeminiStreamDecoder(),
    errorMessage: (body) => asString(asRecord(asRecord(body).error).message),
    embedRequest(input, model) {
      const path = modelPath(model ?? DEFAULT_GEMINI_EMBEDDING_MODEL);
      return {
        url: joinUrl(options.baseUrl, `${path}:batchEmbedContents`),
        headers,
        body: { requests: input.map((text) => ({ model: path, content: { parts: [{ text }] } })) },
      };
    },
    parseEmbeddings(body) {
      return asArray(asRecord(body).embeddings).map((row) => asArray(asRecord(row).values).map(asNumber));
    },
  };
}

function toContents(request: ChatRequest): Content[] {
  // Gemini answers tool results by function name, not by call id.
  const namesById = new Map<string, string>();
  for (const message of request.messages) {
    for (const call of message.toolCalls ?? []) namesById.set(call.id, call.name);
  }
  const out: Content[] = [];
  for (const message of request.messages) {
    if (message.role === 'system' || message.role === 'developer') continue;
    const parts: Record<string, unknown>[] = [];
    let role: Content['role'] = 'user';
    if (message.role === 'tool') {
      const name = namesById.get(message.toolCallId ?? '') ?? message.name ?? message.toolCallId ?? '';
      const parsed = parseJsonOr(message.content, undefined);
      const response =
        typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
          ? parsed
          : { result: message.content };
      parts.push({ functionResponse: { name, response } });
    } else {
      role = message.role === 'assistant' ? 'model' : 'user';
      if (message.content !== '') parts.push({ text: message.content });
      for (const call of message.toolCalls ?? []) {
        parts.push({ functionCall: { name: call.name, args: parseJsonOr(call.arguments, {}) } });
      }
    }
    if (parts.length === 0) continue;
    const last = out.at(-1);
    if (last !== undefined && last.role === role) last.parts.push(...parts);
    else out.push({ role, parts });
  }
  return out;
}

const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']);

function normaliseFinishReason(reason: string | undefined, calledTools: boolean): string | null {
  if (reason === undefined || reason === 'FINISH_REASON_UNSPECIFIED') return null;
  if (reason === 'STOP') return calledTools ? 'tool_calls' : 'stop';
  if (reason === 'MAX_TOKENS') return 'length';
  if (FILTERED.has(reason)) return 'content_filter';
  return reason.toLowerCase();
}

// Gemini bills thinking tokens as output and reports them apart.
function parseUsage(value: unknown): Usage | null {
  const usage = asRecord(value);
  if (usage.promptTokenCount === undefined && usage.candidatesTokenCount === undefined) return null;
  return {
    inputTokens: asNumber(usage.promptTokenCount) + asNumber(usage.toolUsePromptTokenCount),
    outputTokens: asNumber(usage.candidatesTokenCount) + asNumber(usage.thoughtsTokenCount),
    cachedInputTokens: asNumber(usage.cachedContentTokenCount),
    estimated: false,
  };
}

/** A non-streaming answer is one chunk of the same shape, so both paths share this decoder. */
function createGeminiStreamDecoder(): StreamDecoder {
  let model: string | undefined;
  let text = '';
  let reason: string | undefined;
  let usage: Usage | null = null;
  const toolCalls: ToolCall[] = [];

  return {
    push(message) {
      let chunk: Record<string, unknown>;
      try {
        chunk = asRecord(JSON.parse(message.data));
      } catch {
        // Keep-alives and vendor extras that are not JSON carry nothing for us.
        return [];
      }
      if (chunk.error !== undefined) {
        throw streamError('gemini', asString(asRecord(chunk.error).message) ?? JSON.stringify(chunk.error));
      }
      model = asString(chunk.modelVersion) ?? model;
      usage = parseUsage(chunk.usageMetadata) ?? usage;
      if (asRecord(chunk.promptFeedback).blockReason !== undefined) reason = 'SAFETY';
      const pieces: StreamPiece[] = [];
      const candidate = asRecord(asArray(chunk.candidates)[0]);
      for (const raw of asArray(asRecord(candidate.content).parts)) {
        const part = asRecord(raw);
        // Thought summaries are not part of the answer.
        if (part.thought === true) continue;
        const chunkText = asString(part.text);
        if (chunkText !== undefined && chunkText !== '') {
          text += chunkText;
          pieces.push({ type: 'delta', text: chunkText });
        }
        if (part.functionCall !== undefined) {
          const call = asRecord(part.functionCall);
          const toolCall: ToolCall = {
            id: asString(call.id) ?? `call_${toolCalls.length}`,
            name: asString(call.name) ?? '',
            arguments: JSON.stringify(call.args ?? {}),
          };
          toolCalls.push(toolCall);
          pieces.push({ type: 'tool-call', toolCall });
        }
      }
      reason = asString(candidate.finishReason) ?? reason;
      return pieces;
    },
    finish() {
      return {
        model,
        text,
        toolCalls,
        finishReason: normaliseFinishReason(reason, toolCalls.length > 0),
        usage,
      };
    },
  };
}
