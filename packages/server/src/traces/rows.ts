/**
 * From validated spans to what is written: span rows, the per-trace summaries merged into the
 * trace list, and what the sink is told. Pure functions; the service decides when they run.
 */
import type { SpanInput } from '@promptline/core';
import type { ContractVerdict } from './contracts.ts';
import type { SpanRecorded } from './sink.ts';
import type { InsertedSpanKey, NewSpanRow, TraceSummaryRow } from './store.ts';

export type SpanSource = 'api' | 'otel' | 'gateway' | 'sdk';

/** A span with its times as numbers and its cost settled (sent, computed, or unknown). */
export interface PreparedSpan {
  span: SpanInput;
  startMs: number;
  endMs: number;
  costUsd: number | null;
  costComputed: boolean;
  /** Output contract verdict (null: not checked). */
  contract: ContractVerdict | null;
}

/**
 * Whole milliseconds of a span time. Rounded to the microsecond first: times converted from
 * nanoseconds carry float noise (…401.99998 for …402), which a bare floor would turn into the
 * millisecond before.
 */
export const floorMs = (ms: number) => Math.floor(Math.round(ms * 1_000) / 1_000);

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

export function spanRow(
  projectId: number,
  p: PreparedSpan,
  source: SpanSource,
  receivedAt: string,
): NewSpanRow {
  const s = p.span;
  return {
    project_id: projectId,
    trace_id: s.traceId,
    span_id: s.spanId,
    parent_span_id: s.parentSpanId ?? null,
    name: s.name,
    start_ms: floorMs(p.startMs),
    end_ms: floorMs(p.endMs),
    duration_ms: p.endMs - p.startMs,
    status: s.status,
    status_message: s.statusMessage ?? null,
    prompt_name: s.prompt?.name ?? null,
    prompt_version: s.prompt?.version ?? null,
    environment: s.prompt?.environment ?? null,
    variant: s.prompt?.variant ?? null,
    unit: s.unit ?? null,
    provider: s.provider ?? null,
    model: s.model ?? null,
    input_tokens: s.usage?.input ?? null,
    output_tokens: s.usage?.output ?? null,
    cached_input_tokens: s.usage?.cachedInput ?? null,
    reasoning_tokens: s.usage?.reasoning ?? null,
    usage_estimated: s.usage?.estimated === undefined ? null : s.usage.estimated ? 1 : 0,
    cost_usd: p.costUsd,
    cost_computed: p.costComputed ? 1 : 0,
    ttft_ms: s.timeToFirstTokenMs ?? null,
    input: json(s.input),
    output: json(s.output),
    variables: json(s.variables),
    attributes: json(s.attributes),
    user_id: s.userId ?? null,
    session_id: s.sessionId ?? null,
    source,
    received_at: receivedAt,
    contract_violation: p.contract === null ? null : p.contract.violation ? 1 : 0,
    contract_message: p.contract?.message ?? null,
  };
}

const keyOf = (traceId: string, spanId: string, startMs: number) => `${traceId}/${spanId}/${startMs}`;

/** The prepared spans an insert actually wrote (duplicates of stored or earlier spans dropped). */
export function writtenSpans(prepared: readonly PreparedSpan[], inserted: readonly InsertedSpanKey[]) {
  const keys = new Set(inserted.map((k) => keyOf(k.traceId, k.spanId, k.startMs)));
  const written: PreparedSpan[] = [];
  for (const p of prepared) {
    const key = keyOf(p.span.traceId, p.span.spanId, floorMs(p.startMs));
    // A span twice in one batch is inserted once: take the first, forget the key.
    if (keys.delete(key)) written.push(p);
  }
  return written;
}

/** One summary per trace of the written spans, to merge into the trace rows. */
export function traceSummaries(projectId: number, written: readonly PreparedSpan[]): TraceSummaryRow[] {
  const byTrace = new Map<string, TraceSummaryRow>();
  for (const p of written) {
    const s = p.span;
    const isRoot = s.parentSpanId === undefined ? 1 : 0;
    const start = floorMs(p.startMs);
    const end = floorMs(p.endMs);
    const current = byTrace.get(s.traceId);
    if (!current) {
      byTrace.set(s.traceId, {
        project_id: projectId,
        trace_id: s.traceId,
        start_ms: start,
        end_ms: end,
        root_span_id: s.spanId,
        root_name: s.name,
        root_start_ms: start,
        has_root: isRoot,
        span_count: 1,
        error_count: s.status === 'error' ? 1 : 0,
        input_tokens: s.usage?.input ?? 0,
        output_tokens: s.usage?.output ?? 0,
        cost_usd: p.costUsd,
        prompt_name: s.prompt?.name ?? null,
        prompt_version: s.prompt?.version ?? null,
        environment: s.prompt?.environment ?? null,
        model: s.model ?? null,
        user_id: s.userId ?? null,
        session_id: s.sessionId ?? null,
      });
      continue;
    }
    const t = current;
    t.start_ms = Math.min(Number(t.start_ms), start);
    t.end_ms = Math.max(Number(t.end_ms), end);
    if (isRoot > t.has_root || (isRoot === t.has_root && start < Number(t.root_start_ms))) {
      t.root_span_id = s.spanId;
      t.root_name = s.name;
      t.root_start_ms = start;
      t.has_root = isRoot;
    }
    t.span_count = Number(t.span_count) + 1;
    if (s.status === 'error') t.error_count = Number(t.error_count) + 1;
    t.input_tokens = Number(t.input_tokens) + (s.usage?.input ?? 0);
    t.output_tokens = Number(t.output_tokens) + (s.usage?.output ?? 0);
    if (p.costUsd !== null) t.cost_usd = (t.cost_usd ?? 0) + p.costUsd;
    if (t.prompt_name === null && s.prompt) {
      t.prompt_name = s.prompt.name;
      t.prompt_version = s.prompt.version;
      t.environment = s.prompt.environment ?? null;
    }
    t.model ??= s.model ?? null;
    t.user_id ??= s.userId ?? null;
    t.session_id ??= s.sessionId ?? null;
  }
  return [...byTrace.values()];
}

/** What the sink needs of a written span. */
export function recorded(projectId: number, p: PreparedSpan): SpanRecorded {
  const s = p.span;
  return {
    projectId,
    traceId: s.traceId,
    spanId: s.spanId,
    promptName: s.prompt?.name ?? null,
    promptVersion: s.prompt?.version ?? null,
    environment: s.prompt?.environment ?? null,
    provider: s.provider ?? null,
    model: s.model ?? null,
    startMs: p.startMs,
    durationMs: p.endMs - p.startMs,
    status: s.status,
    inputTokens: s.usage?.input ?? 0,
    outputTokens: s.usage?.output ?? 0,
    cachedInputTokens: s.usage?.cachedInput ?? 0,
    costUsd: p.costUsd,
    contractViolation: p.contract?.violation ?? null,
  };
}
