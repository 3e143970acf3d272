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
  type WireResult,
} from './runtime.ts';
import type { ChatRequest, ToolCall, Usage } from './types.ts';

export interface AnthropicWireOptions {
  baseUrl: string;
  apiKey: string;
  headers?: Record<string, string> | undefined;
}

export const ANTHROPIC_VERSION = '2023-06-01';
// The Messages API requires max_tokens; 4096 is the largest value every Claude model accepts.
const DEFAULT_MAX_TOKENS = 4096;
const JSON_OBJECT_INSTRUCTION = 'Answer with one JSON object and nothing else.';

type Block = Record<string, unknown>;
interface WireMessage {
  role: 'user' | 'assistant';
  content: Block[];
}

/**
 * The name of the tool that carries a JSON-schema answer. Anthropic has no response_format, so a
 * requested schema becomes a forced tool whose input is the answer; the caller sees it as text.
 */
function schemaToolName(request: ChatRequest): string | null {
  const format = asRecord(request.responseFormat);
  if (format.type !== 'json_schema') return null;
  return asString(asRecord(format.json_schema).name) ?? 'json_response';
}

/** Anthropic's Messages API. */
export function anthropicWire(options: AnthropicWireOptions): WireFormat {
  const headers: Record<string, string> = {
    'x-api-key': options.apiKey,
    'anthropic-version': ANTHROPIC_VERSION,
    ...options.headers,
  };

  function chatRequest(request: ChatRequest, stream: boolean): HttpRequest {
    const { known, extra } = splitParameters(request.parameters);
    const system = request.messages
      .filter((message) => message.role === 'system' || message.role === 'developer')
      .map((message) => message.content)
      .filter((content) => content !== '');
    const format = asRecord(request.responseFormat);
    if (format.type === 'json_object') system.push(JSON_OBJECT_INSTRUCTION);

    const tools: Block[] = (request.tools ?? []).map((raw) => {
      const fn = asRecord(asRecord(raw).function);
      return compact({
        name: asString(fn.name) ?? '',
        description: asString(fn.description),
        input_schema: fn.parameters ?? { type: 'object', properties: {} },
      });
    });
    let toolChoice = extra.tool_choice === undefined ? undefined : mapToolChoice(extra.tool_choice);
    const schemaTool = schemaToolName(request);
    if (schemaTool !== null) {
      const spec = asRecord(format.json_schema);
      tools.push(
        compact({
          name: schemaTool,
          description: asString(spec.description),
          input_schema: spec.schema ?? {},
        }),
      );
      toolChoice = { type: 'tool', name: schemaTool };
    }

    const body: Record<string, unknown> = compact({
      model: request.model,
      system: system.length > 0 ? system.join('\n\n') : undefined,
      messages: toWireMessages(request),
      max_tokens: known.maxTokens ?? DEFAULT_MAX_TOKENS,
      temperature: known.temperature,
      top_p: known.topP,
      stop_sequences: known.stop,
      ...extra,
      tools: tools.length > 0 ? tools : undefined,
      tool_choice: toolChoice,
      stream: stream ? true : undefined,
    });
    return { url: joinUrl(options.baseUrl, 'messages'), headers, body };
  }

  return {
    chatRequest,
    parseChat,
    streamDecoder: (request) => createAnthropicStreamDecoder(schemaToolName(request)),
    errorMessage: (body) => asString(asRecord(asRecord(body).error).message),
  };
}

/** OpenAI's tool_choice spellings to Anthropic's. */
function mapToolChoice(choice: unknown): unknown {
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'required') return { type: 'any' };
  if (choice === 'none') return { type: 'none' };
  const name = asString(asRecord(asRecord(choice).function).name);
  return name === undefined ? choice : { type: 'tool', name };
}

function toWireMessages(request: ChatRequest): WireMessage[] {
  const out: WireMessage[] = [];
  for (const message of request.messages) {
    let role: WireMessage['role'];
    const content: Block[] = [];
    if (message.role === 'system' || message.role === 'developer') continue;
    if (message.role === 'tool') {
      role = 'user';
      content.push({ type: 'tool_result', tool_use_id: message.toolCallId ?? '', content: message.content });
    } else {
      role = message.role;
      // Anthropic rejects empty text blocks.
      if (message.content !== '') content.push({ type: 'text', text: message.content });
      for (const call of message.toolCalls ?? []) {
        content.push({
          type: 'tool_use',
          id: call.id,
          name: call.name,
          input: parseJsonOr(call.arguments, {}),
        });
      }
    }
    if (content.length === 0) continue;
    // Consecutive turns of one role are merged: several tool results must share one user turn.
    const last = out.at(-1);
    if (last !== undefined && last.role === role) last.content.push(...content);
    else out.push({ role, content });
  }
  return out;
}

function normaliseStopReason(reason: unknown, schemaAnswer: boolean): string | null {
  const value = asString(reason);
  if (value === undefined) return null;
  if (value === 'end_turn' || value === 'stop_sequence') return 'stop';
  if (value === 'max_tokens') return 'length';
  if (value === 'tool_use') return schemaAnswer ? 'stop' : 'tool_calls';
  if (value === 'refusal') return 'content_filter';
  return value.toLowerCase();
}

// Anthropic counts cache reads and writes apart from input_tokens; Promptline's inputTokens
// includes them so that cost = uncached·input + cached·cachedInput holds for every provider.
function parseUsage(value: unknown): Usage | null {
  const usage = asRecord(value);
  if (usage.input_tokens === undefined && usage.output_tokens === undefined) return null;
  const cacheRead = asNumber(usage.cache_read_input_tokens);
  return {
    inputTokens: asNumber(usage.input_tokens) + cacheRead + asNumber(usage.cache_creation_input_tokens),
    outputTokens: asNumber(usage.output_tokens),
    cachedInputTokens: cacheRead,
    estimated: false,
  };
}

function parseChat(body: unknown, request: ChatRequest): WireResult {
  const root = asRecord(body);
  const schemaTool = schemaToolName(request);
  let text = '';
  let schemaAnswer = false;
  const toolCalls: ToolCall[] = [];
  for (const raw of asArray(root.content)) {
    const block = asRecord(raw);
    if (block.type === 'text') text += asString(block.text) ?? '';
    if (block.type !== 'tool_use') continue;
    const name = asString(block.name) ?? '';
    if (name === schemaTool) {
      text += JSON.stringify(block.input ?? {});
      schemaAnswer = true;
    } else {
      toolCalls.push({ id: asString(block.id) ?? '', name, arguments: JSON.stringify(block.input ?? {}) });
    }
  }
  return {
    model: asString(root.model),
    text,
    toolCalls,
    finishReason: normaliseStopReason(root.stop_reason, schemaAnswer && toolCalls.length === 0),
    usage: parseUsage(root.usage),
  };
}

interface OpenBlock {
  kind: 'text' | 'tool' | 'schema' | 'other';
  id: string;
  name: string;
  json: string;
}

function createAnthropicStreamDecoder(schemaTool: string | null): StreamDecoder {
  let model: string | undefined;
  let text = '';
  let stopReason: unknown;
  let usage: Usage | null = null;
  let schemaAnswer = false;
  const blocks = new Map<number, OpenBlock>();
  const toolCalls: ToolCall[] = [];

  return {
    push(message) {
      let event: Record<string, unknown>;
      try {
        event = asRecord(JSON.parse(message.data));
      } catch {
        // Keep-alives and vendor extras that are not JSON carry nothing for us.
        return [];
      }
      const type = asString(event.type) ?? message.event;
      const pieces: StreamPiece[] = [];
      switch (type) {
        case 'message_start': {
          const start = asRecord(event.message);
          model = asString(start.model);
          usage = parseUsage(start.usage);
          break;
        }
        case 'content_block_start': {
          const block = asRecord(event.content_block);
          const name = asString(block.name) ?? '';
          const kind =
            block.type === 'text'
              ? 'text'
              : block.type === 'tool_use'
                ? name === schemaTool
                  ? 'schema'
                  : 'tool'
                : 'other';
          if (kind === 'schema') schemaAnswer = true;
          blocks.set(asNumber(event.index), { kind, id: asString(block.id) ?? '', name, json: '' });
          const initial = asString(block.text) ?? '';
          if (initial !== '') {
            text += initial;
            pieces.push({ type: 'delta', text: initial });
          }
          break;
        }
        case 'content_block_delta': {
          const delta = asRecord(event.delta);
          const block = blocks.get(asNumber(event.index));
          if (delta.type === 'text_delta') {
            const chunk = asString(delta.text) ?? '';
            text += chunk;
            if (chunk !== '') pieces.push({ type: 'delta', text: chunk });
          } else if (delta.type === 'input_json_delta' && block !== undefined) {
            const chunk = asString(delta.partial_json) ?? '';
            block.json += chunk;
            if (block.kind === 'schema' && chunk !== '') {
              text += chunk;
              pieces.push({ type: 'delta', text: chunk });
            }
          }
          break;
        }
        case 'content_block_stop': {
          const index = asNumber(event.index);
          const block = blocks.get(index);
          if (block?.kind === 'tool') {
            const toolCall = {
              id: block.id,
              name: block.name,
              arguments: block.json === '' ? '{}' : block.json,
            };
            toolCalls.push(toolCall);
            pieces.push({ type: 'tool-call', toolCall });
          }
          blocks.delete(index);
          break;
        }
        case 'message_delta': {
          stopReason = asRecord(event.delta).stop_reason ?? stopReason;
          const delta = asRecord(event.usage);
          if (usage !== null) {
            if (delta.output_tokens !== undefined) usage.outputTokens = asNumber(delta.output_tokens);
            // Newer API versions repeat the final input counts here.
            const final = parseUsage({ ...delta, output_tokens: usage.outputTokens });
            if (final !== null && delta.input_tokens !== undefined) usage = final;
          } else {
            usage = parseUsage(delta);
          }
          break;
        }
        case 'error':
          throw streamError('anthropic', asString(asRecord(event.error).message) ?? 'unknown error');
        default:
          break;
      }
      return pieces;
    },
    finish() {
      return {
        model,
        text,
        toolCalls,
        finishReason: normaliseStopReason(stopReason, schemaAnswer && toolCalls.length === 0),
        usage,
      };
    },
  };
}
