/**
 * Langfuse tracing events as Promptline spans and scores: ids, merging a create with its updates,
 * and the span an ended observation becomes. Pure functions; the ingestion service applies them.
 */
import { createHash } from 'node:crypto';
import {
  type CreateScoreRequest,
  EnvironmentName,
  type LangfuseObservationBody,
  type LangfuseScoreBody,
  type LangfuseTraceBody,
  MAX_ATTRIBUTE_VALUE_LENGTH,
  MAX_SPAN_ATTRIBUTES,
  PromptName,
} from '@promptline/core';

export type ObservationType = 'span' | 'generation' | 'event';

/** The key under which a stored observation body remembers its type. */
export const OBSERVATION_TYPE_KEY = 'observationType';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * A Langfuse trace id as a W3C trace id: a UUID without its dashes (so it can be found by the
 * same digits), a 32-hex id as it is, anything else the first 32 hex digits of its SHA-256.
 */
export function traceIdOf(id: string): string {
  const hex = id.replaceAll('-', '').toLowerCase();
  if (/^[0-9a-f]{32}$/.test(hex) && !/^0+$/.test(hex)) return hex;
  return sha256(`trace:${id}`).slice(0, 32);
}

/** A Langfuse observation id as a W3C span id: a 16-hex id as it is, else 16 hex digits of its SHA-256. */
export function spanIdOf(id: string): string {
  const hex = id.toLowerCase();
  if (/^[0-9a-f]{16}$/.test(hex) && !/^0+$/.test(hex)) return hex;
  return sha256(`span:${id}`).slice(0, 16);
}

/** An update applied to what is known: every field it carries (not null) replaces the old value. */
export function mergeBody(
  base: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(patch))
    if (value !== undefined && value !== null) out[key] = value;
  return out;
}

/** Whether an observation is complete: it ended, or it is an event (a point in time). */
export function hasEnded(type: ObservationType, body: LangfuseObservationBody): boolean {
  return type === 'event' || (body.endTime !== undefined && body.endTime !== null);
}

const toMs = (t: string | number) => (typeof t === 'number' ? t : Date.parse(t));

function clip(text: string): string {
  return text.length <= MAX_ATTRIBUTE_VALUE_LENGTH
    ? text
    : `${text.slice(0, MAX_ATTRIBUTE_VALUE_LENGTH - 1)}…`;
}

type Attribute = string | number | boolean | null | (string | number | boolean | null)[];

/** A JSON value as a flat attribute: primitives as they are, anything else as JSON text. */
function attribute(value: unknown): Attribute {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return clip(value);
  if (
    Array.isArray(value) &&
    value.length <= 128 &&
    value.every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v))
  ) {
    return value.map((v) => (typeof v === 'string' ? clip(v) : (v as number | boolean | null)));
  }
  return clip(JSON.stringify(value));
}

/** Tokens from `usageDetails`, `usage` (Langfuse's or OpenAI's spelling); none for non-token units. */
function usageOf(body: LangfuseObservationBody): { input: number; output: number } | undefined {
  const d = body.usageDetails ?? {};
  const u = body.usage ?? {};
  if (u.unit && u.unit !== 'TOKENS') return undefined;
  const input = d.input ?? d.prompt_tokens ?? u.input ?? u.promptTokens ?? undefined;
  const output = d.output ?? d.completion_tokens ?? u.output ?? u.completionTokens ?? undefined;
  if (input === undefined && output === undefined) return undefined;
  return { input: Math.round(input ?? 0), output: Math.round(output ?? 0) };
}

function costOf(body: LangfuseObservationBody): number | undefined {
  const total = body.costDetails?.total ?? body.usage?.totalCost ?? undefined;
  if (total !== undefined) return total;
  const { inputCost, outputCost } = body.usage ?? {};
  if ((inputCost ?? null) === null && (outputCost ?? null) === null) return undefined;
  return (inputCost ?? 0) + (outputCost ?? 0);
}

/** An environment name Promptline knows the shape of; Langfuse's `default` means none. */
function environmentOf(...names: (string | null | undefined)[]): string | undefined {
  for (const name of names) {
    if (name && name !== 'default' && EnvironmentName.safeParse(name).success) return name;
  }
  return undefined;
}

/**
 * The span an ended observation becomes (unvalidated: the caller checks it with SpanInput), with
 * the user, session and name of its trace as far as they are known.
 */
export function observationSpan(
  type: ObservationType,
  body: LangfuseObservationBody,
  trace: LangfuseTraceBody | undefined,
  traceId: string,
  options: { unfinished?: boolean } = {},
): Record<string, unknown> {
  const start = body.startTime ?? trace?.timestamp ?? undefined;
  const end = type === 'event' || options.unfinished ? (body.endTime ?? start) : body.endTime;
  const attributes: Record<string, Attribute> = {
    'langfuse.observation.id': body.id,
    'langfuse.observation.type': type,
    'langfuse.trace.id': traceId,
  };
  const put = (key: string, value: unknown) => {
    if (value === undefined || value === null) return;
    if (Object.keys(attributes).length < MAX_SPAN_ATTRIBUTES) attributes[key] = attribute(value);
  };
  put('langfuse.trace.name', trace?.name);
  put('langfuse.trace.tags', trace?.tags);
  put('langfuse.release', trace?.release);
  put('langfuse.version', body.version ?? trace?.version);
  put('langfuse.level', body.level);
  put('langfuse.environment', body.environment ?? trace?.environment);
  if (options.unfinished) put('langfuse.unfinished', true);
  for (const [key, value] of Object.entries(body.modelParameters ?? {}))
    put(`langfuse.model_parameters.${key}`, value);
  const metadata = body.metadata;
  if (metadata && typeof metadata === 'object' && !Array.isArray(metadata)) {
    for (const [key, value] of Object.entries(metadata)) put(`langfuse.metadata.${key}`, value);
  } else put('langfuse.metadata', metadata);

  const promptName = body.promptName ?? undefined;
  const promptVersion = body.promptVersion ?? undefined;
  const linked =
    promptName !== undefined && promptVersion !== undefined && PromptName.safeParse(promptName).success;
  if (promptName !== undefined && !linked) put('langfuse.prompt.name', promptName);
  const environment = environmentOf(body.environment, trace?.environment);
  const usage = usageOf(body);
  const costUsd = costOf(body);
  const firstToken =
    body.completionStartTime && start !== undefined
      ? toMs(body.completionStartTime) - toMs(start)
      : undefined;

  const span: Record<string, unknown> = {
    traceId: traceIdOf(traceId),
    spanId: spanIdOf(body.id),
    name: body.name || type,
    startTime: start,
    endTime: end,
    status: body.level === 'ERROR' ? 'error' : 'ok',
    attributes,
  };
  if (body.parentObservationId) span.parentSpanId = spanIdOf(body.parentObservationId);
  if (body.statusMessage) span.statusMessage = body.statusMessage;
  if (linked)
    span.prompt = { name: promptName, version: promptVersion, ...(environment ? { environment } : {}) };
  if (body.model) span.model = body.model;
  if (usage) span.usage = usage;
  if (costUsd !== undefined) span.costUsd = costUsd;
  if (firstToken !== undefined && firstToken >= 0) span.timeToFirstTokenMs = firstToken;
  if (body.input !== undefined) span.input = body.input;
  if (body.output !== undefined) span.output = body.output;
  if (trace?.userId) span.userId = trace.userId;
  if (trace?.sessionId) span.sessionId = trace.sessionId;
  return span;
}

/** Promptline's score names are identifiers: other characters become "_". */
export function scoreName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.:-]+/g, '_');
}

/** A Langfuse score as the traces service's score request. */
export function scoreRequest(body: LangfuseScoreBody): CreateScoreRequest {
  let value: number | boolean | string = body.value;
  if (body.dataType === 'BOOLEAN') value = body.value !== 0 && body.value !== 'false' && body.value !== '0';
  else if (body.dataType === 'CATEGORICAL') value = String(body.value);
  else if (body.dataType === 'NUMERIC' && typeof body.value === 'string') value = Number(body.value);
  return {
    traceId: traceIdOf(body.traceId),
    ...(body.observationId ? { spanId: spanIdOf(body.observationId) } : {}),
    name: scoreName(body.name),
    value,
    ...(body.comment ? { comment: body.comment } : {}),
    source: 'api',
  };
}
