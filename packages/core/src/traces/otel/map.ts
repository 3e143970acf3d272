/**
 * OTLP spans → Promptline spans: the GenAI semantic conventions in their current and older
 * spellings, the prompt link (`promptline.*`, `gen_ai.prompt.name`, Langfuse's prompt), and the
 * attributes of OpenLLMetry, the Vercel AI SDK and Langfuse. Pure: no I/O, no clock.
 */
import { EnvironmentName } from '../../schemas.ts';
import { MAX_ATTRIBUTE_VALUE_LENGTH, MAX_SPAN_TEXT_LENGTH } from '../limits.ts';
import { SpanId, type SpanInput, SpanPromptLink, type SpanUsage, TraceId } from '../schemas.ts';
import { clean, firstAmount, firstCount, firstString, fitAttributes, parseMaybeJson } from './attributes.ts';
import { isContentKey, readConversation } from './messages.ts';
import type { OtlpAttributes, OtlpSpan, OtlpTraces, OtlpValue } from './model.ts';

/** Where a key of the prompt link may also be found: Vercel AI SDK telemetry metadata, OpenLLMetry association properties. */
const METADATA_PREFIXES = ['', 'ai.telemetry.metadata.', 'traceloop.association.properties.'];
const spelled = (...keys: string[]) => keys.flatMap((key) => METADATA_PREFIXES.map((prefix) => prefix + key));

const K = {
  provider: ['gen_ai.provider.name', 'gen_ai.system', 'ai.model.provider', 'llm.vendor'],
  model: [
    'gen_ai.request.model',
    'gen_ai.response.model',
    'ai.model.id',
    'ai.response.model',
    'llm.request.model',
    'llm.response.model',
    'langfuse.observation.model.name',
  ],
  input: [
    'gen_ai.usage.input_tokens',
    'gen_ai.usage.prompt_tokens',
    'llm.usage.prompt_tokens',
    'ai.usage.inputTokens',
    'ai.usage.promptTokens',
  ],
  output: [
    'gen_ai.usage.output_tokens',
    'gen_ai.usage.completion_tokens',
    'llm.usage.completion_tokens',
    'ai.usage.outputTokens',
    'ai.usage.completionTokens',
  ],
  cachedInput: [
    'gen_ai.usage.cache_read.input_tokens',
    'gen_ai.usage.cache_read_input_tokens',
    'gen_ai.usage.cached_tokens',
    'gen_ai.usage.input_tokens.cached',
    'llm.usage.cache_read_input_tokens',
    'ai.usage.cachedInputTokens',
  ],
  reasoning: [
    'gen_ai.usage.reasoning.output_tokens',
    'gen_ai.usage.reasoning_tokens',
    'gen_ai.usage.output_tokens.reasoning',
    'llm.usage.reasoning_tokens',
    'ai.usage.reasoningTokens',
  ],
  cost: spelled('promptline.cost_usd').concat(['gen_ai.usage.cost', 'llm.usage.cost']),
  ttft: spelled('promptline.time_to_first_token_ms').concat(['ai.response.msToFirstChunk']),
  session: spelled('promptline.session_id', 'session.id', 'sessionId', 'session_id').concat([
    'gen_ai.conversation.id',
    'langfuse.session.id',
  ]),
  user: spelled('promptline.user_id', 'user.id', 'userId', 'user_id').concat([
    'enduser.id',
    'langfuse.user.id',
  ]),
  promptName: spelled('promptline.prompt.name').concat([
    'gen_ai.prompt.name',
    'langfuse.observation.prompt.name',
  ]),
  promptVersion: spelled('promptline.prompt.version').concat([
    'gen_ai.prompt.version',
    'langfuse.observation.prompt.version',
  ]),
  environment: spelled('promptline.environment'),
  variant: spelled('promptline.variant'),
  unit: spelled('promptline.unit'),
  variables: spelled('promptline.variables'),
};

/** Provider names of the semantic conventions and instrumentations → the names of Promptline's price table. */
const PROVIDER_ALIASES: Record<string, string> = {
  google: 'gemini',
  'gcp.gemini': 'gemini',
  'gcp.gen_ai': 'gemini',
  'google.generative-ai': 'gemini',
  'google.vertex': 'gemini',
  vertexai: 'gemini',
  'gcp.vertex_ai': 'gemini',
};

/** `openai.chat` (Vercel AI SDK) → `openai`; the conventions' names mapped to the price table's. */
function normaliseProvider(raw: string): string {
  const name = raw.trim().toLowerCase();
  const alias = PROVIDER_ALIASES[name];
  if (alias) return alias;
  const head = name.split('.')[0] ?? name;
  // Dotted conventions names (`aws.bedrock`, `azure.ai.openai`) are kept whole; Vercel's `<provider>.<api>` is cut.
  return ['aws', 'azure', 'az', 'gcp', 'ibm'].includes(head) ? name : (PROVIDER_ALIASES[head] ?? head);
}

/**
 * Vercel AI SDK outer spans (`ai.generateText`, `ai.streamText`…) repeat the model, usage and
 * metadata of the provider calls they wrap (`ai.generateText.doGenerate`…); counting both would
 * double every call in the metrics, so the outer span is kept as a plain span.
 */
function isAggregateSpan(attributes: OtlpAttributes): boolean {
  const operation = attributes['ai.operationId'];
  return typeof operation === 'string' && operation.startsWith('ai.') && !/\.do[A-Z]/.test(operation);
}

function text(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const t = clean(value.trim());
  return t === '' ? undefined : t.slice(0, MAX_SPAN_TEXT_LENGTH);
}

/** Replaces NUL characters in every string of a JSON value (PostgreSQL refuses them in jsonb). */
function cleanJson(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return clean(value);
  if (value === null || typeof value !== 'object' || depth > 64) return value;
  if (Array.isArray(value)) return value.map((item) => cleanJson(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key !== '__proto__') out[clean(key)] = cleanJson(item, depth + 1);
  }
  return out;
}

function usageOf(a: OtlpAttributes): SpanUsage | undefined {
  const input = firstCount(a, K.input);
  const output = firstCount(a, K.output);
  let inputTokens = input;
  let outputTokens = output;
  // Langfuse writes its usage as one JSON object.
  const details = parseMaybeJson(a['langfuse.observation.usage_details']);
  if (inputTokens === undefined && outputTokens === undefined && details && typeof details === 'object') {
    const d = details as Record<string, OtlpValue>;
    inputTokens = firstCount(d, ['input', 'prompt_tokens', 'input_tokens']);
    outputTokens = firstCount(d, ['output', 'completion_tokens', 'output_tokens']);
  }
  if (inputTokens === undefined && outputTokens === undefined) return undefined;
  const usage: SpanUsage = { input: inputTokens ?? 0, output: outputTokens ?? 0 };
  const cached = firstCount(a, K.cachedInput);
  if (cached !== undefined) usage.cachedInput = cached;
  const reasoning = firstCount(a, K.reasoning);
  if (reasoning !== undefined) usage.reasoning = reasoning;
  return usage;
}

function costOf(a: OtlpAttributes): number | undefined {
  const cost = firstAmount(a, K.cost);
  if (cost !== undefined) return cost;
  const details = parseMaybeJson(a['langfuse.observation.cost_details']);
  if (details && typeof details === 'object' && !Array.isArray(details)) {
    return firstAmount(details as Record<string, OtlpValue>, ['total']);
  }
  return undefined;
}

function promptLinkOf(a: OtlpAttributes): SpanInput['prompt'] {
  const name = firstString(a, K.promptName);
  const version = firstCount(a, K.promptVersion);
  if (name === undefined || version === undefined) return undefined;
  const link: Record<string, unknown> = { name: name.trim(), version };
  const environment = firstString(a, K.environment);
  if (environment !== undefined && EnvironmentName.safeParse(environment).success)
    link.environment = environment;
  const variant = firstCount(a, K.variant);
  if (variant !== undefined) link.variant = variant;
  // A link naming no valid prompt is left out; its attributes stay on the span.
  const parsed = SpanPromptLink.safeParse(link);
  return parsed.success ? parsed.data : undefined;
}

function statusOf(span: OtlpSpan, a: OtlpAttributes): Pick<SpanInput, 'status' | 'statusMessage'> {
  const langfuseError = a['langfuse.observation.level'] === 'ERROR';
  if (span.status.code !== 2 && !langfuseError) return { status: 'ok' };
  const exception = span.events.find((e) => e.name === 'exception')?.attributes;
  const message =
    text(span.status.message) ??
    text(firstString(a, ['langfuse.observation.status_message'])) ??
    text(firstString(exception ?? {}, ['exception.message', 'exception.type'])) ??
    text(firstString(a, ['error.type']));
  return message === undefined
    ? { status: 'error' }
    : { status: 'error', statusMessage: message.slice(0, MAX_ATTRIBUTE_VALUE_LENGTH) };
}

const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

/** One span mapped, or why it cannot be. */
export type MappedSpan = { ok: true; span: SpanInput; trimmed: number } | { ok: false; reason: string };

/** The reason a span's id cannot be used, or undefined when it can (core's id schemas decide). */
function badId(field: string, id: string, schema: typeof TraceId | typeof SpanId): string | undefined {
  const parsed = schema.safeParse(id);
  return parsed.success ? undefined : `${field}: ${parsed.error.issues[0]?.message ?? 'is invalid'}`;
}

/** Latest epoch milliseconds a span time may have (the contract's bound, year 275760). */
const MAX_TIME_MS = 8_640_000_000_000_000;

/**
 * Maps one OTLP span with its resource and scope.
 *
 * Only the ids and times can make a span unusable; every other field is built within the span
 * contract's bounds (texts cut, counts checked, the prompt link parsed with its schema), so the
 * span is not parsed whole again here — the tests check that every mapped span satisfies
 * `SpanInput` unchanged. That keeps the cost per span close to the native batch's.
 */
export function mapOtlpSpan(
  span: OtlpSpan,
  resource: OtlpAttributes,
  scope: { name: string; version: string },
): MappedSpan {
  const idProblem =
    badId('traceId', span.traceId, TraceId) ??
    badId('spanId', span.spanId, SpanId) ??
    (span.parentSpanId !== '' && !/^0+$/.test(span.parentSpanId)
      ? badId('parentSpanId', span.parentSpanId, SpanId)
      : undefined);
  if (idProblem) return { ok: false, reason: idProblem };
  if (!(span.startMs > 0 && span.endMs > 0 && span.endMs <= MAX_TIME_MS)) {
    return { ok: false, reason: 'startTimeUnixNano and endTimeUnixNano must be set' };
  }
  if (span.endMs < span.startMs) return { ok: false, reason: 'endTimeUnixNano is before startTimeUnixNano' };
  const a = span.attributes;
  const aggregate = isAggregateSpan(a);
  const conversation = readConversation(a, span.events);
  const extra: Array<[string, OtlpValue]> = [];
  if (conversation.finishReasons && a['gen_ai.response.finish_reasons'] === undefined) {
    extra.push(['gen_ai.response.finish_reasons', conversation.finishReasons]);
  }
  if (scope.name) extra.push(['otel.scope.name', scope.name]);
  if (scope.version) extra.push(['otel.scope.version', scope.version]);
  if (span.kind > 0 && span.kind < SPAN_KINDS.length)
    extra.push(['otel.span.kind', SPAN_KINDS[span.kind] as string]);
  const kept = Object.entries(a).filter(([key]) => !isContentKey(key));
  // Span attributes first: when attributes must be dropped, the resource's go before the span's own.
  const { attributes, trimmed } = fitAttributes(
    [kept, extra, Object.entries(resource)],
    span.droppedAttributesCount,
  );

  const out: SpanInput = {
    traceId: span.traceId,
    spanId: span.spanId,
    name: text(span.name) ?? '(unnamed)',
    startTime: span.startMs,
    endTime: span.endMs,
    ...statusOf(span, a),
    attributes,
  };
  if (span.parentSpanId !== '' && !/^0+$/.test(span.parentSpanId)) out.parentSpanId = span.parentSpanId;
  if (!aggregate) {
    const provider = firstString(a, K.provider);
    if (provider !== undefined) setIf(out, 'provider', text(normaliseProvider(provider)));
    setIf(out, 'model', text(firstString(a, K.model)));
    setIf(out, 'usage', usageOf(a));
    setIf(out, 'costUsd', costOf(a));
    setIf(out, 'prompt', promptLinkOf(a));
  }
  setIf(out, 'unit', text(firstString(a, K.unit)));
  setIf(out, 'userId', text(firstString(a, K.user)));
  setIf(out, 'sessionId', text(firstString(a, K.session)));
  setIf(out, 'timeToFirstTokenMs', firstAmount(a, K.ttft) ?? completionStartMs(a, span.startMs));
  if (conversation.input !== undefined) out.input = cleanJson(conversation.input);
  if (conversation.output !== undefined) out.output = cleanJson(conversation.output);
  const variables = parseMaybeJson(firstString(a, K.variables));
  if (variables && typeof variables === 'object' && !Array.isArray(variables)) {
    out.variables = cleanJson(variables) as Record<string, unknown>;
  }
  return { ok: true, span: out, trimmed };
}

/** Sets `key` only when there is a value: absent fields stay absent, as a parsed span has them. */
function setIf<K extends keyof SpanInput>(span: SpanInput, key: K, value: SpanInput[K] | undefined): void {
  if (value !== undefined) span[key] = value;
}

/** Langfuse's `completion_start_time` (ISO) as milliseconds after the span's start. */
function completionStartMs(a: OtlpAttributes, startMs: number): number | undefined {
  const value = a['langfuse.observation.completion_start_time'];
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value.replaceAll('"', ''));
  return Number.isFinite(ms) && ms >= startMs ? ms - startMs : undefined;
}

/** A span that could not be mapped: where it was in the request and why. */
export interface RejectedSpan {
  traceId: string;
  spanId: string;
  reason: string;
}

/** The spans of one export request, mapped. */
export interface MappedTraces {
  spans: SpanInput[];
  rejected: RejectedSpan[];
  /** Attributes dropped or cut to fit the span contract (the spans were kept). */
  trimmedAttributes: number;
}

/**
 * Maps every span of an OTLP export. A span that cannot be mapped (malformed ids, unset times) is
 * rejected alone, as OTLP's partial success expects; attributes beyond the contract's bounds are
 * trimmed, never a reason to reject.
 *
 * @example
 * const { spans, rejected } = mapOtlpTraces(readOtlpJson(JSON.parse(body)));
 */
export function mapOtlpTraces(traces: OtlpTraces): MappedTraces {
  const result: MappedTraces = { spans: [], rejected: [], trimmedAttributes: 0 };
  for (const resourceSpans of traces) {
    for (const scopeSpans of resourceSpans.scopeSpans) {
      for (const span of scopeSpans.spans) {
        const mapped = mapOtlpSpan(span, resourceSpans.resource, scopeSpans.scope);
        if (mapped.ok) {
          result.spans.push(mapped.span);
          result.trimmedAttributes += mapped.trimmed;
        } else {
          result.rejected.push({ traceId: span.traceId, spanId: span.spanId, reason: mapped.reason });
        }
      }
    }
  }
  return result;
}

/** The `errorMessage` of a partial success: how many spans were rejected and the first reasons. */
export function partialSuccessMessage(mapped: Pick<MappedTraces, 'rejected' | 'trimmedAttributes'>): string {
  const parts: string[] = [];
  if (mapped.rejected.length > 0) {
    const shown = mapped.rejected
      .slice(0, 5)
      .map((r) => `span ${r.spanId || '(no id)'} of trace ${r.traceId || '(no id)'}: ${r.reason}`);
    const more = mapped.rejected.length > 5 ? `; and ${mapped.rejected.length - 5} more` : '';
    parts.push(`${mapped.rejected.length} span(s) rejected: ${shown.join('; ')}${more}.`);
  }
  if (mapped.trimmedAttributes > 0) {
    parts.push(
      `${mapped.trimmedAttributes} attribute(s) dropped or cut to fit Promptline's bounds (128 per span, 16 KiB per value).`,
    );
  }
  return parts.join(' ');
}
