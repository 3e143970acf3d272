import { randomBytes } from 'node:crypto';
import { AppError, MAX_SPAN_TEXT_LENGTH, type SpanAttributes, type SpanInput } from '@promptline/core';
import type { CallResult } from './upstream.ts';

/** Input and output kept on a span, serialised; beyond it a preview is kept instead. */
export const MAX_RECORDED_CHARS = 16_384;

/** What the `x-promptline-*` headers (and `traceparent`) say about a call. */
export interface GatewayTags {
  prompt?: { name: string; version: number; environment?: string; variant?: number };
  /** A prompt named without a version: kept as an attribute, it cannot link to a version. */
  promptName?: string;
  unit?: string;
  userId?: string;
  sessionId?: string;
  traceId?: string;
  parentSpanId?: string;
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (text.length > MAX_SPAN_TEXT_LENGTH) {
    throw new AppError(
      'VALIDATION_FAILED',
      `The ${name} header is longer than ${MAX_SPAN_TEXT_LENGTH} characters.`,
      {
        errors: [{ path: `headers.${name}`, message: `at most ${MAX_SPAN_TEXT_LENGTH} characters` }],
      },
    );
  }
  return text.trim();
}

function integer(headers: Headers, name: string, min: number): number | undefined {
  const text = header(headers, name);
  if (text === undefined) return undefined;
  if (!/^\d{1,9}$/.test(text) || Number(text) < min) {
    throw new AppError(
      'VALIDATION_FAILED',
      `The ${name} header must be a whole number of at least ${min}, not "${text.slice(0, 40)}".`,
      {
        errors: [{ path: `headers.${name}`, message: `a whole number ≥ ${min}` }],
      },
    );
  }
  return Number(text);
}

/**
 * Reads the span tags of a gateway call from its headers.
 *
 * @throws AppError VALIDATION_FAILED for a malformed version or variant, or an over-long value.
 */
export function tagsOf(headers: Headers): GatewayTags {
  const tags: GatewayTags = {};
  const name = header(headers, 'x-promptline-prompt');
  const version = integer(headers, 'x-promptline-version', 1);
  const environment = header(headers, 'x-promptline-environment');
  const variant = integer(headers, 'x-promptline-variant', 0);
  if (name !== undefined && version !== undefined) {
    tags.prompt = {
      name,
      version,
      ...(environment === undefined ? {} : { environment }),
      ...(variant === undefined ? {} : { variant }),
    };
  } else if (name !== undefined) tags.promptName = name;
  const unit = header(headers, 'x-promptline-unit');
  if (unit !== undefined) tags.unit = unit;
  const user = header(headers, 'x-promptline-user');
  if (user !== undefined) tags.userId = user;
  const session = header(headers, 'x-promptline-session');
  if (session !== undefined) tags.sessionId = session;
  // W3C trace context: the call joins the caller's trace as a child of its current span.
  const parent = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(
    header(headers, 'traceparent') ?? '',
  );
  if (parent?.[1] && parent[2] && !/^0+$/.test(parent[1]) && !/^0+$/.test(parent[2])) {
    tags.traceId = parent[1];
    tags.parentSpanId = parent[2];
  }
  return tags;
}

/** A JSON value as recorded: itself when small, else a marked preview of its JSON. */
export function bounded(value: unknown): unknown {
  const text = JSON.stringify(value) ?? 'null';
  return text.length <= MAX_RECORDED_CHARS
    ? value
    : { truncated: true, preview: text.slice(0, MAX_RECORDED_CHARS) };
}

export interface SpanFacts {
  operation: 'chat' | 'embeddings';
  tags: GatewayTags;
  /** The model label the client asked for and the one that answered (after fallbacks). */
  requested: string;
  answered: { provider: string; model: string; label: string } | null;
  startMs: number;
  durationMs: number;
  status: number;
  error?: string;
  result?: CallResult;
  input: unknown;
  stream: boolean;
  cache: 'hit' | 'miss' | 'off';
  attempts: number;
  keyId: number;
}

function newId(bytes: number): string {
  for (;;) {
    const id = randomBytes(bytes).toString('hex');
    if (!/^0+$/.test(id)) return id;
  }
}

/** The span of one gateway call (source `gateway`). */
export function spanOf(facts: SpanFacts): SpanInput {
  const { tags, result } = facts;
  const failed = facts.status >= 400 || facts.error !== undefined;
  const attributes: SpanAttributes = {
    'gen_ai.operation.name': facts.operation,
    'http.response.status_code': facts.status,
    'promptline.gateway.model': facts.requested.slice(0, MAX_SPAN_TEXT_LENGTH),
    'promptline.gateway.stream': facts.stream,
    'promptline.gateway.cache': facts.cache,
    'promptline.gateway.attempts': facts.attempts,
    'promptline.api_key_id': facts.keyId,
  };
  if (tags.promptName !== undefined) attributes['promptline.prompt.name'] = tags.promptName;
  if (result?.finishReason) attributes['gen_ai.response.finish_reasons'] = [result.finishReason];
  const span: SpanInput = {
    traceId: tags.traceId ?? newId(16),
    spanId: newId(8),
    name: `${facts.operation} ${facts.answered?.label ?? facts.requested}`.slice(0, MAX_SPAN_TEXT_LENGTH),
    startTime: facts.startMs,
    endTime: facts.startMs + Math.max(0, Math.round(facts.durationMs)),
    status: failed ? 'error' : 'ok',
    input: bounded(facts.input),
    attributes,
  };
  if (tags.parentSpanId !== undefined) span.parentSpanId = tags.parentSpanId;
  if (failed && facts.error !== undefined) span.statusMessage = facts.error.slice(0, 16_384);
  if (tags.prompt !== undefined) span.prompt = tags.prompt;
  if (tags.unit !== undefined) span.unit = tags.unit;
  if (tags.userId !== undefined) span.userId = tags.userId;
  if (tags.sessionId !== undefined) span.sessionId = tags.sessionId;
  const answered = facts.answered;
  if (answered !== null) {
    span.provider = answered.provider.slice(0, MAX_SPAN_TEXT_LENGTH);
    span.model = (result?.model || answered.model).slice(0, MAX_SPAN_TEXT_LENGTH);
  }
  if (result !== undefined) {
    span.usage = {
      input: result.usage.inputTokens,
      output: result.usage.outputTokens,
      cachedInput: result.usage.cachedInputTokens,
      ...(result.usage.estimated ? { estimated: true } : {}),
    };
    if (result.costUsd !== null) span.costUsd = result.costUsd;
    if (result.timeToFirstTokenMs !== null) span.timeToFirstTokenMs = result.timeToFirstTokenMs;
    if (facts.operation === 'chat') {
      span.output = bounded({
        role: 'assistant',
        content: result.text,
        ...(result.toolCalls.length > 0 ? { toolCalls: result.toolCalls } : {}),
      });
    }
  }
  return span;
}
