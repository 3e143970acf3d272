/**
 * The tracer: `record`, `trace`, `score`, the LLM client wrappers, and the background export
 * they feed. Recording costs a JSON serialisation and a queue push on the caller's side; the
 * network is only ever touched by the exporter's worker.
 */
import { AppError } from '@promptline/core';
import { wrapAnthropic } from './anthropic.ts';
import { createContextStore, type SpanContext } from './context.ts';
import { createExporter, type Exporter, type ExportStats } from './exporter.ts';
import { isSpanId, isTraceId, newSpanId, newTraceId } from './ids.ts';
import { wrapOpenAI } from './openai.ts';
import { buildSpan, mergeFields } from './span.ts';
import type {
  ActiveSpan,
  GenerationOptions,
  RecordInput,
  ScoreInput,
  SpanFields,
  SpanRef,
  TraceOptions,
  TracingOptions,
} from './types.ts';

/** Recording and export; `createClient` has these methods too. */
export interface TracingMethods {
  /**
   * Records one span (an LLM call you made yourself, a tool call…). Ids and times are filled when
   * absent; inside `trace()` it becomes a child of the active span. Never throws: a span that
   * cannot be sent is reported through `onError`.
   * @example
   * const prompt = client.prompt('support/triage', { unit: user.id });
   * client.record({ name: 'triage', prompt, model: 'gpt-4o-mini', input, output, usage: { input: 812, output: 64 } });
   */
  record(span: RecordInput): SpanRef;
  /**
   * Runs `fn` inside a new span that ends when `fn` returns or its promise settles (an error marks
   * it failed and is rethrown unchanged). Spans recorded inside — by `record`, nested `trace`s or
   * the wrapped clients — become its children.
   * @example
   * const answer = await client.trace('answer-ticket', async (span) => {
   *   span.set({ userId: user.id });
   *   return openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
   * });
   */
  trace<T>(name: string, fn: (span: ActiveSpan) => T, options?: TraceOptions): T;
  /**
   * Attaches a score (user feedback, an evaluator's verdict) to a trace or one of its spans; sent
   * in the background after the spans queued before it.
   * @example
   * client.score({ traceId, name: 'thumbs_up', value: true, source: 'user' });
   */
  score(score: ScoreInput): void;
  /**
   * Wraps an `openai` client so that every `chat.completions.create` — streamed or not — is
   * recorded: model, usage, time to first token, input and output. The wrapper is a cheap proxy:
   * make one per call to tag it with a prompt.
   * @example
   * const res = await client.wrapOpenAI(openai, { prompt }).chat.completions.create({ model, messages: prompt.render(vars) });
   */
  wrapOpenAI<T extends object>(openai: T, options?: GenerationOptions): T;
  /** Wraps an Anthropic client so that every `messages.create`, streamed or not, is recorded. */
  wrapAnthropic<T extends object>(anthropic: T, options?: GenerationOptions): T;
  /** The span active here (inside `trace()`), if any. */
  activeSpan(): SpanRef | undefined;
  /** Sends what is queued now; true once the server has acknowledged all of it (false at the timeout, default 10 000 ms). */
  flush(options?: { timeoutMs?: number }): Promise<boolean>;
  /** Export counters: queued, sent and dropped spans and scores. */
  tracingStats(): ExportStats;
}

/** A standalone tracer (no prompt resolution): `createTracer`. */
export interface Tracer extends TracingMethods {
  /** Flushes (up to `closeTimeoutMs`), then stops the export; what is left is dropped and reported. */
  close(): Promise<void>;
}

/** Options of {@link createTracer}. */
export interface TracerOptions {
  url: string;
  apiKey: string;
  /** Environment recorded on prompt links that do not name one. */
  environment?: string;
  onError?: (error: AppError) => void;
  fetch?: typeof fetch;
  tracing?: TracingOptions;
}

/** What the wrappers need from the tracer. */
export interface TracingCore {
  record(span: RecordInput): SpanRef;
  active(): SpanContext | undefined;
  report(error: AppError): void;
}

const SCORE_NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Creates a tracer that exports to the server at `url` in the background.
 * @example
 * const tracer = createTracer({ url: 'http://localhost:4100', apiKey });
 * tracer.record({ name: 'summarise', model: 'gpt-4o-mini', usage: { input: 120, output: 30 }, durationMs: 840 });
 * await tracer.close();
 */
export function createTracer(options: TracerOptions): Tracer {
  const tracing = options.tracing ?? {};
  const report = (error: AppError): void => {
    if (options.onError === undefined) {
      console.warn(`[promptline] ${error.code}: ${error.message}`);
      return;
    }
    try {
      options.onError(error);
    } catch {
      // A throwing handler must not reach the code that recorded.
    }
  };
  const exporter: Exporter | undefined =
    tracing.enabled === false
      ? undefined
      : createExporter({
          baseUrl: options.url.replace(/\/+$/, ''),
          apiKey: options.apiKey,
          fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
          onError: report,
          flushIntervalMs: tracing.flushIntervalMs ?? 1_000,
          maxBatchSize: tracing.maxBatchSize ?? 500,
          maxQueueSize: tracing.maxQueueSize ?? 10_000,
          requestTimeoutMs: tracing.requestTimeoutMs ?? 10_000,
          retry: { baseMs: tracing.retry?.baseMs ?? 500, maxMs: tracing.retry?.maxMs ?? 30_000 },
        });
  const context = createContextStore();

  function record(input: RecordInput): SpanRef {
    try {
      const span = buildSpan(input, context.active(), options.environment);
      exporter?.addSpan(span.json);
      return { traceId: span.traceId, spanId: span.spanId };
    } catch (error) {
      report(
        error instanceof AppError
          ? error
          : new AppError(
              'VALIDATION_FAILED',
              `Could not record span "${String(input?.name)}": ${String(error)}`,
              {
                cause: error,
              },
            ),
      );
      return {
        traceId: isTraceId(input?.traceId) ? input.traceId : newTraceId(),
        spanId: isSpanId(input?.spanId) ? input.spanId : newSpanId(),
      };
    }
  }

  const core: TracingCore = { record, active: () => context.active(), report };

  function trace<T>(name: string, fn: (span: ActiveSpan) => T, traceOptions: TraceOptions = {}): T {
    const { parent: given, ...initial } = traceOptions;
    const parent = given === undefined ? context.active() : (given ?? undefined);
    const traceId = parent?.traceId ?? newTraceId();
    const spanId = newSpanId();
    const fields: SpanFields = { ...initial };
    const startTime = Date.now();
    const t0 = performance.now();
    let ended = false;
    const end = (error?: { error: unknown }): void => {
      if (ended) return;
      ended = true;
      record({
        ...fields,
        ...(error === undefined ? {} : { error: error.error }),
        name,
        traceId,
        spanId,
        parentSpanId: parent?.spanId ?? null,
        startTime,
        endTime: startTime + (performance.now() - t0),
      });
    };
    const span: ActiveSpan = {
      traceId,
      spanId,
      set(next) {
        mergeFields(fields, next);
      },
    };
    let result: T;
    try {
      result = context.run({ traceId, spanId }, () => fn(span));
    } catch (error) {
      end({ error });
      throw error;
    }
    // The caller gets its own promise back (an SDK's promise subclass keeps its methods).
    if (isThenable(result))
      result.then(
        () => end(),
        (error: unknown) => end({ error }),
      );
    else end();
    return result;
  }

  function score(input: ScoreInput): void {
    try {
      if (!isTraceId(input.traceId)) {
        throw new AppError(
          'VALIDATION_FAILED',
          `score: traceId "${input.traceId}" is not 32 lowercase hex digits.`,
        );
      }
      if (input.spanId !== undefined && !isSpanId(input.spanId)) {
        throw new AppError(
          'VALIDATION_FAILED',
          `score: spanId "${input.spanId}" is not 16 lowercase hex digits.`,
        );
      }
      if (!SCORE_NAME.test(input.name)) {
        throw new AppError(
          'VALIDATION_FAILED',
          `score: name "${input.name}" must be 1–100 letters, digits, "_", ".", ":" or "-" (e.g. helpfulness).`,
        );
      }
      const { traceId, spanId, name, value, comment, source } = input;
      exporter?.addScore(
        JSON.stringify({
          traceId,
          ...(spanId === undefined ? {} : { spanId }),
          name,
          value,
          ...(comment === undefined ? {} : { comment }),
          ...(source === undefined ? {} : { source }),
        }),
      );
    } catch (error) {
      report(
        error instanceof AppError
          ? error
          : new AppError('VALIDATION_FAILED', `Could not record a score: ${String(error)}`, { cause: error }),
      );
    }
  }

  const closeTimeoutMs = tracing.closeTimeoutMs ?? 5_000;
  const none: ExportStats = {
    queued: 0,
    sent: 0,
    dropped: 0,
    scoresQueued: 0,
    scoresSent: 0,
    scoresDropped: 0,
  };
  return {
    record,
    trace,
    score,
    wrapOpenAI: (openai, generation) => wrapOpenAI(openai, core, generation),
    wrapAnthropic: (anthropic, generation) => wrapAnthropic(anthropic, core, generation),
    activeSpan: () => context.active(),
    flush: async (flushOptions) => exporter?.flush(flushOptions?.timeoutMs ?? 10_000) ?? true,
    tracingStats: () => exporter?.stats() ?? none,
    async close() {
      await exporter?.close(closeTimeoutMs);
    },
  };
}
