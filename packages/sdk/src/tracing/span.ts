/**
 * Turns what a caller records into the contract's span (`SpanInput` in core) serialised as JSON,
 * once, at record time: the queue then holds a snapshot that later mutations of the caller's
 * objects cannot change, and its size is known for the batch limits. Text fields are cut to the
 * contract's limits here, so one long user id cannot get a whole batch refused.
 */
import {
  AppError,
  MAX_ATTRIBUTE_VALUE_LENGTH,
  MAX_SPAN_TEXT_LENGTH,
  type SpanInputDraft,
  type SpanPromptLink,
} from '@promptline/core';
import type { SpanContext } from './context.ts';
import { isSpanId, isTraceId, newSpanId, newTraceId } from './ids.ts';
import type { PromptRef, RecordInput, SpanFields, TimeInput } from './types.ts';

function text(value: unknown, max = MAX_SPAN_TEXT_LENGTH): string | undefined {
  if (value === undefined || value === null) return undefined;
  const s = typeof value === 'string' ? value : String(value);
  if (s.length === 0) return undefined;
  return s.length > max ? s.slice(0, max) : s;
}

function epochMs(time: TimeInput | undefined, field: string): number | undefined {
  if (time === undefined) return undefined;
  const ms = time instanceof Date ? time.getTime() : typeof time === 'number' ? time : Date.parse(time);
  if (!Number.isFinite(ms) || ms < 0) {
    throw new AppError(
      'VALIDATION_FAILED',
      `Span ${field} ${String(time)} is not a time: pass a Date, epoch ms or ISO-8601.`,
    );
  }
  // Microseconds are the finest a stored span keeps.
  return Math.round(ms * 1000) / 1000;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === 'string' ? error : String(error);
}

/**
 * The registry link of a prompt reference. A fallback (version 0, or `source: 'fallback'`) has no
 * version in the registry, so it links nothing.
 */
export function promptLink(ref: PromptRef | undefined, environment?: string): SpanPromptLink | undefined {
  if (ref === undefined) return undefined;
  if (('source' in ref && ref.source === 'fallback') || !Number.isInteger(ref.version) || ref.version < 1) {
    return undefined;
  }
  const env = ref.environment ?? environment;
  return {
    name: ref.name,
    version: ref.version,
    ...(env === undefined ? {} : { environment: env }),
    ...(ref.variant === undefined ? {} : { variant: ref.variant }),
  };
}

export interface BuiltSpan {
  traceId: string;
  spanId: string;
  json: string;
}

/**
 * Builds one span. `active` is the span active where it was recorded (its parent by default).
 * @throws AppError `VALIDATION_FAILED` for ids or times that cannot be sent.
 */
export function buildSpan(
  input: RecordInput,
  active: SpanContext | undefined,
  environment: string | undefined,
): BuiltSpan {
  const name = text(input.name);
  if (name === undefined) throw new AppError('VALIDATION_FAILED', 'A span needs a non-empty `name`.');
  if (input.traceId !== undefined && !isTraceId(input.traceId)) {
    throw new AppError('VALIDATION_FAILED', `traceId "${input.traceId}" is not 32 lowercase hex digits.`);
  }
  if (input.spanId !== undefined && !isSpanId(input.spanId)) {
    throw new AppError('VALIDATION_FAILED', `spanId "${input.spanId}" is not 16 lowercase hex digits.`);
  }
  if (typeof input.parentSpanId === 'string' && !isSpanId(input.parentSpanId)) {
    throw new AppError(
      'VALIDATION_FAILED',
      `parentSpanId "${input.parentSpanId}" is not 16 lowercase hex digits.`,
    );
  }
  // The active span is the parent only within its own trace.
  const inherit =
    input.parentSpanId === undefined && (input.traceId === undefined || input.traceId === active?.traceId);
  const traceId = input.traceId ?? (inherit ? active?.traceId : undefined) ?? newTraceId();
  const spanId = input.spanId ?? newSpanId();
  const parentSpanId = input.parentSpanId ?? (inherit ? active?.spanId : undefined);

  const end = epochMs(input.endTime, 'endTime') ?? Date.now();
  const start =
    epochMs(input.startTime, 'startTime') ??
    (input.durationMs !== undefined && Number.isFinite(input.durationMs)
      ? Math.max(0, end - input.durationMs)
      : end);

  const failed = input.error !== undefined || input.status === 'error';
  const statusMessage = text(
    input.statusMessage ?? (input.error === undefined ? undefined : errorMessage(input.error)),
    MAX_ATTRIBUTE_VALUE_LENGTH,
  );
  const prompt = promptLink(input.prompt, environment);
  let attributes = input.attributes;
  if (input.prompt !== undefined && prompt === undefined) {
    // Served from the application's fallback: kept visible without a registry link.
    attributes = { ...attributes, 'promptline.fallback': input.prompt.name };
  }
  const span: SpanInputDraft = {
    traceId,
    spanId,
    ...(parentSpanId === undefined || parentSpanId === null ? {} : { parentSpanId }),
    name,
    startTime: Math.min(start, end),
    endTime: end,
    status: failed ? 'error' : 'ok',
  };
  optional(span, 'statusMessage', statusMessage);
  optional(span, 'prompt', prompt);
  optional(span, 'unit', text(input.unit));
  optional(span, 'provider', text(input.provider));
  optional(span, 'model', text(input.model));
  optional(span, 'usage', input.usage);
  optional(span, 'costUsd', input.costUsd);
  optional(span, 'timeToFirstTokenMs', input.timeToFirstTokenMs);
  optional(span, 'input', input.input);
  optional(span, 'output', input.output);
  optional(span, 'variables', input.variables);
  optional(span, 'userId', text(input.userId));
  optional(span, 'sessionId', text(input.sessionId));
  optional(span, 'attributes', attributes);
  return { traceId, spanId, json: JSON.stringify(span) };
}

function optional<K extends keyof SpanInputDraft>(
  span: SpanInputDraft,
  key: K,
  value: SpanInputDraft[K] | undefined,
): void {
  if (value !== undefined) span[key] = value;
}

/** Merges `next` into `fields` (attributes key by key). */
export function mergeFields(fields: SpanFields, next: SpanFields): void {
  const attributes =
    next.attributes !== undefined && fields.attributes !== undefined
      ? { ...fields.attributes, ...next.attributes }
      : (next.attributes ?? fields.attributes);
  Object.assign(fields, next);
  if (attributes !== undefined) fields.attributes = attributes;
}
