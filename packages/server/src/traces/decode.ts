/** Stored rows to the public shapes of core (trace summaries, spans with scores, scores). */
import {
  JsonValue,
  type Score,
  SpanAttributes,
  type SpanUsage,
  type TraceSpan,
  type TraceSummary,
} from '@promptline/core';
import { z } from 'zod';
import { decodeBool, decodeJsonAs, toNumber } from '../db/codecs.ts';
import type { StoredScore } from './score-store.ts';
import type { StoredSpan, StoredTrace } from './store.ts';

const iso = (ms: number | string) => new Date(toNumber(ms)).toISOString();

export function traceSummary(t: StoredTrace): TraceSummary {
  const start = toNumber(t.start_ms);
  const end = toNumber(t.end_ms);
  return {
    traceId: t.trace_id,
    name: t.root_name,
    rootSpanId: t.root_span_id,
    startTime: iso(start),
    endTime: iso(end),
    durationMs: end - start,
    status: toNumber(t.error_count) > 0 ? 'error' : 'ok',
    prompt:
      t.prompt_name === null || t.prompt_version === null
        ? null
        : { name: t.prompt_name, version: toNumber(t.prompt_version), environment: t.environment },
    model: t.model,
    userId: t.user_id,
    sessionId: t.session_id,
    usage: { input: toNumber(t.input_tokens), output: toNumber(t.output_tokens) },
    costUsd: t.cost_usd === null ? null : Number(t.cost_usd),
    spanCount: toNumber(t.span_count),
    errorCount: toNumber(t.error_count),
  };
}

export function score(s: StoredScore): Score {
  let value: Score['value'];
  if (s.data_type === 'categorical') value = s.value_text ?? '';
  else if (s.data_type === 'boolean') value = Number(s.value_number) === 1;
  else value = Number(s.value_number);
  return {
    id: toNumber(s.id),
    traceId: s.trace_id,
    spanId: s.span_id,
    name: s.name,
    dataType: s.data_type === 'boolean' || s.data_type === 'categorical' ? s.data_type : 'numeric',
    value,
    comment: s.comment,
    source: s.source === 'user' || s.source === 'eval' || s.source === 'human' ? s.source : 'api',
    createdAt: s.created_at,
  };
}

const optionalJson = (text: string | null, column: string) =>
  text === null ? undefined : decodeJsonAs(JsonValue, text, column);

function usage(s: StoredSpan): SpanUsage | undefined {
  if (s.input_tokens === null || s.output_tokens === null) return undefined;
  return {
    input: toNumber(s.input_tokens),
    output: toNumber(s.output_tokens),
    ...(s.cached_input_tokens === null ? {} : { cachedInput: toNumber(s.cached_input_tokens) }),
    ...(s.reasoning_tokens === null ? {} : { reasoning: toNumber(s.reasoning_tokens) }),
    ...(s.usage_estimated === null ? {} : { estimated: decodeBool(s.usage_estimated) }),
  };
}

/** Drops absent optional fields, so the answer names only what the span has. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function span(s: StoredSpan, depth: number, scores: Score[]): TraceSpan {
  const start = toNumber(s.start_ms);
  const duration = Number(s.duration_ms);
  return defined({
    traceId: s.trace_id,
    spanId: s.span_id,
    parentSpanId: s.parent_span_id ?? undefined,
    name: s.name,
    startTime: iso(start),
    endTime: iso(start + Math.round(duration)),
    durationMs: duration,
    status: s.status === 'error' ? 'error' : 'ok',
    statusMessage: s.status_message ?? undefined,
    prompt:
      s.prompt_name === null || s.prompt_version === null
        ? undefined
        : defined({
            name: s.prompt_name,
            version: toNumber(s.prompt_version),
            environment: s.environment ?? undefined,
            variant: s.variant === null ? undefined : toNumber(s.variant),
          }),
    unit: s.unit ?? undefined,
    provider: s.provider ?? undefined,
    model: s.model ?? undefined,
    usage: usage(s),
    costUsd: s.cost_usd === null ? null : Number(s.cost_usd),
    costComputed: decodeBool(s.cost_computed),
    timeToFirstTokenMs: s.ttft_ms === null ? undefined : Number(s.ttft_ms),
    input: optionalJson(s.input, 'spans.input'),
    output: optionalJson(s.output, 'spans.output'),
    variables:
      s.variables === null
        ? undefined
        : decodeJsonAs(z.record(z.string(), JsonValue), s.variables, 'spans.variables'),
    userId: s.user_id ?? undefined,
    sessionId: s.session_id ?? undefined,
    attributes:
      s.attributes === null ? undefined : decodeJsonAs(SpanAttributes, s.attributes, 'spans.attributes'),
    source: s.source === 'otel' || s.source === 'gateway' || s.source === 'sdk' ? s.source : 'api',
    scores,
    depth,
    contract:
      s.contract_violation === null || s.contract_violation === undefined
        ? undefined
        : { violation: decodeBool(s.contract_violation), message: s.contract_message ?? null },
  });
}

/**
 * The spans of a trace as a tree flattened depth first: each span after its parent, siblings by
 * start. A span whose parent never arrived is shown as a root, so nothing is hidden.
 */
export function spanTree(spans: readonly StoredSpan[], scores: readonly StoredScore[]): TraceSpan[] {
  const ids = new Set(spans.map((s) => s.span_id));
  const children = new Map<string | null, StoredSpan[]>();
  for (const s of spans) {
    // A span listing itself as parent would loop: treat it as a root.
    const parent =
      s.parent_span_id !== null && s.parent_span_id !== s.span_id && ids.has(s.parent_span_id)
        ? s.parent_span_id
        : null;
    const list = children.get(parent) ?? [];
    list.push(s);
    children.set(parent, list);
  }
  const scoresBySpan = new Map<string, Score[]>();
  for (const s of scores) {
    const list = scoresBySpan.get(s.span_id) ?? [];
    list.push(score(s));
    scoresBySpan.set(s.span_id, list);
  }
  const out: TraceSpan[] = [];
  const seen = new Set<string>();
  // Iterative: a deep trace must not exhaust the stack. Spans are given sorted by start.
  const stack: { s: StoredSpan; depth: number }[] = [...(children.get(null) ?? [])]
    .reverse()
    .map((s) => ({ s, depth: 0 }));
  while (stack.length > 0) {
    const next = stack.pop();
    if (!next || seen.has(next.s.span_id)) continue;
    seen.add(next.s.span_id);
    out.push(span(next.s, next.depth, scoresBySpan.get(next.s.span_id) ?? []));
    const kids = children.get(next.s.span_id) ?? [];
    for (let i = kids.length - 1; i >= 0; i--) {
      const kid = kids[i];
      if (kid) stack.push({ s: kid, depth: next.depth + 1 });
    }
  }
  // Spans in a parent cycle (a → b → a) are reachable from no root: list them flat at the end.
  for (const s of spans) if (!seen.has(s.span_id)) out.push(span(s, 0, scoresBySpan.get(s.span_id) ?? []));
  return out;
}
