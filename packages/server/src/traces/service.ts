import {
  AppError,
  type CreateScoreRequest,
  type FieldIssue,
  isAppError,
  type ListTracesQuery,
  type PriceBook,
  type Redactor,
  type Score,
  type SpanInput,
  spanTimeMs,
  type TraceDetail,
  type TracePage,
  type TraceUsers,
  type TraceUsersQuery,
} from '@promptline/core';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import type { SpansWritten } from '../live/change-feed.ts';
import type { SpanMetrics } from '../prometheus/registry.ts';
import type { SpanContractChecker } from './contracts.ts';
import { score, spanTree, traceSummary } from './decode.ts';
import { floorMs, type PreparedSpan, recorded, type SpanSource, spanRow } from './rows.ts';
import { createScoreStore } from './score-store.ts';
import { spanRetentionDays } from './settings.ts';
import type { TraceSink } from './sink.ts';
import { createSpanStore } from './store.ts';
import { type PublishedSpan, publishedFromRow, publishedSpans, type TraceTail } from './tail.ts';
import { type UnitMoments, type UnitQuery, unitMoments } from './unit-store.ts';

const DAY_MS = 86_400_000;
/** Most spans `GET /api/v1/traces/{traceId}` answers: the earliest ones of a larger trace. */
export const MAX_SPANS_PER_TRACE_READ = 10_000;

function traceNotFound(traceId: string): AppError {
  return new AppError(
    'TRACE_NOT_FOUND',
    `No trace ${traceId} in this project (it may be older than the span retention, or not sent yet). List traces with GET /api/v1/traces.`,
  );
}

/** A span with its free text redacted: input, output, variables, attributes and status message. */
function redactSpan(redact: Redactor, span: SpanInput): SpanInput {
  return {
    ...span,
    ...(span.input === undefined ? {} : { input: redact.value(span.input) }),
    ...(span.output === undefined ? {} : { output: redact.value(span.output) }),
    ...(span.variables === undefined ? {} : { variables: redact.value(span.variables) }),
    ...(span.attributes === undefined ? {} : { attributes: redact.value(span.attributes) }),
    ...(span.statusMessage === undefined ? {} : { statusMessage: redact.text(span.statusMessage) }),
  };
}

/** What online evaluations read of a stored span. */
export interface SpanForEval {
  traceId: string;
  spanId: string;
  input: unknown;
  output: unknown;
  variables: unknown;
  durationMs: number;
  costUsd: number | null;
}

export interface TraceServiceOptions {
  database: Database;
  clock: Clock;
  /** Told about every written span and score, inside the writing transaction. */
  sink: TraceSink;
  /** The project's price book, for spans that carry usage but no cost. */
  prices: (projectId: number) => Promise<PriceBook>;
  /** Counts spans written and refused (/metrics). */
  metrics?: SpanMetrics | undefined;
  /** The project's PII redactor (null: redaction off), applied before anything is written. */
  redactor?: ((projectId: number) => Promise<Redactor | null>) | undefined;
  /** Hears every written span once its batch has committed (the trace list's live tail). */
  tail?: TraceTail | undefined;
  /** Checks a score against its name's definition before it is written (throws to refuse it). */
  checkScore?:
    | ((db: Db, projectId: number, name: string, value: number | boolean | string) => Promise<void>)
    | undefined;
  /** Checks outputs against their versions' output contracts (absent: spans are stored unchecked). */
  contracts?: SpanContractChecker | undefined;
}

/** The `reason` label of a batch refused by the rules below. */
const REFUSAL_REASONS: Partial<Record<string, string>> = {
  VALIDATION_FAILED: 'invalid',
  SPAN_TOO_OLD: 'too_old',
};

/**
 * Traces: ingestion from every way in (native API, OpenTelemetry, gateway, SDK), reading back,
 * scores and retention. A batch is written in one transaction with the sink's aggregates: it is
 * all there, counted once, or not at all.
 */
export function createTraceService({
  database,
  clock,
  sink,
  prices,
  metrics,
  redactor,
  tail,
  checkScore,
  contracts,
}: TraceServiceOptions) {
  const store = createSpanStore(database.dialect);
  const scores = createScoreStore();

  const retentionDays = (projectId: number) => spanRetentionDays(database.db, projectId);

  /**
   * Attaches a score to a span that exists: `spanId`, or without it the trace's first span with
   * a prompt (else its first span). The sink counts it in that span's version and interval.
   *
   * @throws AppError TRACE_NOT_FOUND, SPAN_NOT_FOUND (send spans before their scores), SCORE_VALUE_INVALID.
   */
  /** A score writer bound to the project's redactor, read now (outside any transaction). */
  async function scoreWriter(
    projectId: number,
  ): Promise<(trx: Db, request: CreateScoreRequest) => Promise<Score>> {
    const redact = (await redactor?.(projectId)) ?? null;
    return (trx, request) => writeScore(trx, projectId, request, redact);
  }

  async function writeScore(
    trx: Db,
    projectId: number,
    request: CreateScoreRequest,
    redact: Redactor | null,
  ): Promise<Score> {
    const value = request.value;
    const dataType =
      typeof value === 'boolean' ? 'boolean' : typeof value === 'string' ? 'categorical' : 'numeric';
    const createdAt = isoNow(clock);
    const trace = await store.findTrace(trx, projectId, request.traceId);
    if (!trace) throw traceNotFound(request.traceId);
    const target = await store.scoreTarget(trx, trace, request.spanId);
    if (!target) {
      throw new AppError(
        'SPAN_NOT_FOUND',
        `Trace ${request.traceId} has no span ${request.spanId}. Send the span (POST /api/v1/traces) before its score, or leave spanId out to score the trace.`,
      );
    }
    await checkScore?.(trx, projectId, request.name, value);
    const row = await scores.insert(trx, {
      project_id: projectId,
      trace_id: request.traceId,
      span_id: target.span_id,
      span_start_ms: target.start_ms,
      name: request.name,
      data_type: dataType,
      value_number: typeof value === 'string' ? null : Number(value),
      value_text: typeof value === 'string' ? value : null,
      comment: request.comment === undefined ? null : redact ? redact.text(request.comment) : request.comment,
      source: request.source,
      created_at: createdAt,
    });
    await sink.scoreWritten(trx, {
      projectId,
      promptName: target.prompt_name,
      promptVersion: target.prompt_version === null ? null : Number(target.prompt_version),
      environment: target.environment,
      provider: target.provider,
      model: target.model,
      spanStartMs: Number(target.start_ms),
      name: request.name,
      value,
      source: request.source,
    });
    return score(row);
  }

  /** Times as numbers, checked, and the cost of every span settled. */
  async function prepare(projectId: number, spans: readonly SpanInput[]): Promise<PreparedSpan[]> {
    const invalid: FieldIssue[] = [];
    const prepared: PreparedSpan[] = [];
    let book: PriceBook | undefined;
    for (const [i, span] of spans.entries()) {
      const startMs = spanTimeMs(span.startTime);
      const endMs = spanTimeMs(span.endTime);
      if (endMs < startMs) invalid.push({ path: `spans.${i}.endTime`, message: 'is before startTime' });
      let costUsd: number | null = span.costUsd ?? null;
      let costComputed = false;
      if (costUsd === null && span.model !== undefined && span.usage !== undefined) {
        book ??= await prices(projectId);
        // Without a provider any vendor's price for the model name applies (see createPriceBook).
        const cost = book.cost(span.provider ?? 'unknown', span.model, {
          inputTokens: span.usage.input,
          outputTokens: span.usage.output,
          cachedInputTokens: span.usage.cachedInput ?? 0,
          estimated: span.usage.estimated ?? false,
        });
        if (cost !== null) {
          costUsd = cost.totalUsd;
          costComputed = true;
        }
      }
      prepared.push({ span, startMs, endMs, costUsd, costComputed, contract: null });
    }
    if (invalid.length > 0) {
      throw new AppError(
        'VALIDATION_FAILED',
        `The batch is invalid: ${invalid.map((x) => `${x.path}: ${x.message}`).join('; ')}. Nothing was stored; fix these spans and resend the batch.`,
        { errors: invalid },
      );
    }
    const days = await retentionDays(projectId);
    const oldest = clock.now().getTime() - days * DAY_MS;
    const tooOld = prepared.flatMap((p, i) =>
      p.startMs < oldest ? [{ path: `spans.${i}.startTime`, message: `is older than ${days} days` }] : [],
    );
    if (tooOld.length > 0) {
      throw new AppError(
        'SPAN_TOO_OLD',
        `${tooOld.length} span(s) started before ${new Date(oldest).toISOString()}, beyond the project's span retention of ${days} days. Nothing was stored; drop those spans and resend the batch.`,
        { errors: tooOld, details: { retentionDays: days, oldestAccepted: new Date(oldest).toISOString() } },
      );
    }
    return prepared;
  }

  /** Attaches a score inside `trx` (see `score`). */

  return {
    /**
     * Stores a validated batch (all or nothing, one transaction) and resolves once it is durable.
     * A span already stored (same trace id, span id and start) is skipped, so a sender's retry
     * neither fails nor counts twice; `accepted` counts every span of the batch.
     *
     * Counted in /metrics as ingested once committed, and as rejected when refused — unless the
     * caller keeps part of a refused batch and counts for itself (`refusalsCountedByCaller`: OTLP).
     *
     * @throws AppError VALIDATION_FAILED (a span ends before it starts), SPAN_TOO_OLD (beyond retention).
     */
    async ingest(
      projectId: number,
      spans: SpanInput[],
      source: SpanSource,
      options: { refusalsCountedByCaller?: boolean } = {},
    ): Promise<{ accepted: number }> {
      if (spans.length === 0) return { accepted: 0 };
      const redact = await redactor?.(projectId);
      let prepared: PreparedSpan[];
      try {
        prepared = await prepare(projectId, redact ? spans.map((s) => redactSpan(redact, s)) : spans);
      } catch (error) {
        const reason = isAppError(error) ? REFUSAL_REASONS[error.code] : undefined;
        if (reason && !options.refusalsCountedByCaller) metrics?.rejected(source, reason, spans.length);
        throw error;
      }
      if (contracts) {
        // Checked on the output as sent: redaction may rewrite what a pattern or schema expects.
        const verdicts = await contracts.verdicts(projectId, spans);
        for (const [i, verdict] of verdicts.entries()) {
          const p = prepared[i];
          if (!p || verdict === null) continue;
          p.contract =
            redact && verdict.message !== null
              ? { ...verdict, message: redact.text(verdict.message) }
              : verdict;
        }
      }
      const receivedAt = isoNow(clock);
      const rows = prepared.map((p) => spanRow(projectId, p, source, receivedAt));
      let written: PreparedSpan[] = [];
      await database.db.transaction().execute(async (trx) => {
        written = await store.writeSpans(trx, projectId, prepared, rows);
        if (written.length === 0) return;
        await sink.spansWritten(
          trx,
          written.map((p) => recorded(projectId, p)),
        );
      });
      // After the commit: the tail never shows a span a rollback would take back.
      if (tail && written.length > 0) {
        let fromMs = Number.POSITIVE_INFINITY;
        let toMs = Number.NEGATIVE_INFINITY;
        for (const p of written) {
          fromMs = Math.min(fromMs, floorMs(p.startMs));
          toMs = Math.max(toMs, floorMs(p.startMs));
        }
        tail.publish(projectId, publishedSpans(written), {
          projectId,
          fromMs,
          toMs,
          receivedAt,
          count: written.length,
        });
      }
      metrics?.ingested(source, spans.length);
      return { accepted: spans.length };
    },

    /**
     * Erases an end user inside the caller's transaction: every trace with a span of `userId`, with
     * all its spans and scores. Answers the erased trace ids (for the items derived from them) and counts.
     */
    async eraseEndUser(
      trx: Db,
      projectId: number,
      userId: string,
    ): Promise<{ traceIds: string[]; spans: number; scores: number }> {
      const traceIds = await store.tracesOfUser(trx, projectId, userId);
      const spans = await store.deleteTraces(trx, projectId, traceIds);
      const removedScores = await scores.deleteOfTraces(trx, projectId, traceIds);
      return { traceIds, spans, scores: removedScores };
    },

    /**
     * Per-unit moments of a metric for each version of a prompt in an environment (experiments):
     * read straight from the spans, so a span counts the moment its batch is acknowledged.
     */
    unitMoments: (query: UnitQuery): Promise<UnitMoments[]> => unitMoments(database.db, query),

    /**
     * The spans of a batch another instance wrote, as the live tail publishes them (at most the
     * batch's count and one more batch's worth: two batches may share a stamp).
     */
    async readBatch(batch: SpansWritten): Promise<PublishedSpan[]> {
      const rows = await store.spansOfBatch(database.db, batch, batch.count + 1_000);
      return rows.map(publishedFromRow);
    },

    /** A page of traces, newest first; `nextCursor` resumes after its last trace. */
    async list(projectId: number, query: ListTracesQuery): Promise<TracePage> {
      const [startMs, traceId] = query.cursor?.split('.') ?? [];
      const rows = await store.listTraces(
        database.db,
        projectId,
        {
          prompt: query.prompt,
          version: query.version,
          env: query.env,
          status: query.status,
          userId: query.userId,
          sessionId: query.sessionId,
          model: query.model,
          fromMs: query.from === undefined ? undefined : Date.parse(query.from),
          toMs: query.to === undefined ? undefined : Date.parse(query.to),
          q: query.q,
          score: query.score,
          scoreMin: query.scoreMin,
          scoreMax: query.scoreMax,
          after: startMs && traceId ? { startMs: Number(startMs), traceId } : undefined,
        },
        query.limit,
      );
      const last = rows.at(-1);
      return {
        items: rows.map(traceSummary),
        nextCursor: rows.length === query.limit && last ? `${Number(last.start_ms)}.${last.trace_id}` : null,
      };
    },

    /** End users' volume and cost over a window (default the last 7 days), most costly first. */
    async users(projectId: number, query: TraceUsersQuery): Promise<TraceUsers> {
      const toMs = query.to === undefined ? clock.now().getTime() : Date.parse(query.to);
      const fromMs = query.from === undefined ? toMs - 7 * DAY_MS : Date.parse(query.from);
      const rows = await store.usersBetween(database.db, projectId, fromMs, toMs, query.limit);
      return {
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        items: rows.map((r) => ({
          userId: r.user_id ?? '',
          traces: Number(r.traces),
          errors: Number(r.errors ?? 0),
          usage: { input: Number(r.input_tokens ?? 0), output: Number(r.output_tokens ?? 0) },
          costUsd: r.cost_usd === null ? null : Number(r.cost_usd),
          lastSeen: new Date(Number(r.last_ms)).toISOString(),
        })),
      };
    },

    /** One trace: its summary and its spans as a tree, each with its scores. */
    async get(projectId: number, traceId: string): Promise<TraceDetail> {
      const trace = await store.findTrace(database.db, projectId, traceId);
      if (!trace) throw traceNotFound(traceId);
      const [spans, stored] = await Promise.all([
        store.spansOf(database.db, trace, MAX_SPANS_PER_TRACE_READ),
        scores.ofTrace(database.db, projectId, traceId),
      ]);
      return { ...traceSummary(trace), spans: spanTree(spans, stored) };
    },

    /**
     * Attaches a score to a span that exists: `spanId`, or without it the trace's first span with
     * a prompt (else its first span). The sink counts it in that span's version and interval.
     *
     * @throws AppError TRACE_NOT_FOUND, SPAN_NOT_FOUND (send spans before their scores).
     */
    async score(projectId: number, request: CreateScoreRequest): Promise<Score> {
      const write = await scoreWriter(projectId);
      return database.db.transaction().execute((trx) => write(trx, request));
    },

    /**
     * {@link score} for use inside the caller's transaction (several scores and the caller's own
     * rows commit together). Call it before opening the transaction: it reads the project's
     * redaction settings, and on SQLite's one connection a read beside the open transaction
     * would wait for it for ever.
     */
    scoreWriter,

    /** Which of these trace ids name a trace of the project. */
    async existing(projectId: number, traceIds: readonly string[]): Promise<Set<string>> {
      return store.existingTraces(database.db, projectId, traceIds);
    },

    /**
     * One stored span with what grading reads (input, output, variables, latency, cost), or
     * undefined when it is gone (erased, past retention).
     */
    async spanForEval(projectId: number, traceId: string, spanId: string): Promise<SpanForEval | undefined> {
      const trace = await store.findTrace(database.db, projectId, traceId);
      if (!trace) return undefined;
      const span = await store.scoreTarget(database.db, trace, spanId);
      if (!span) return undefined;
      const parse = (text: string | null): unknown => (text === null ? undefined : JSON.parse(text));
      return {
        traceId,
        spanId,
        input: parse(span.input),
        output: parse(span.output),
        variables: parse(span.variables),
        durationMs: Number(span.duration_ms),
        costUsd: span.cost_usd === null ? null : Number(span.cost_usd),
      };
    },
  };
}

export type TraceService = ReturnType<typeof createTraceService>;
