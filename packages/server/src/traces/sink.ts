import type { ScoreSource } from '@promptline/core';
import type { Db } from '../db/database.ts';

/**
 * What trace ingestion tells the features that aggregate spans (the metrics rollups), inside the
 * transaction that writes the spans or the score: a span counts in metrics exactly when it is
 * durable, and never twice.
 */

/** One written span, reduced to what aggregation needs. */
export interface SpanRecorded {
  projectId: number;
  /**
   * The span's identity, which online evaluations sample on. Ingestion always sets it; aggregation
   * does not read it, so spans built by hand for the rollups' own tests may leave it out.
   */
  traceId?: string;
  spanId?: string;
  /** The prompt link; null for spans that name no prompt (they still count per model). */
  promptName: string | null;
  promptVersion: number | null;
  environment: string | null;
  provider: string | null;
  model: string | null;
  /** Epoch ms of the span's start: the interval it counts in. */
  startMs: number;
  durationMs: number;
  status: 'ok' | 'error';
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  /** Sent or computed from the price table; null when no price is known. */
  costUsd: number | null;
  /** Output contract verdict: true broke it, false met it, null not checked. */
  contractViolation: boolean | null;
}

/** One written score, attributed to the span it counts for (DESIGN.md: that span's version and interval). */
export interface ScoreRecorded {
  projectId: number;
  promptName: string | null;
  promptVersion: number | null;
  environment: string | null;
  provider: string | null;
  model: string | null;
  /** Epoch ms of the start of the span the score counts for. */
  spanStartMs: number;
  name: string;
  value: number | boolean | string;
  source: ScoreSource;
}

/** Receives written spans and scores inside the writing transaction (`trx`). */
export interface TraceSink {
  spansWritten(trx: Db, spans: readonly SpanRecorded[]): Promise<void>;
  scoreWritten(trx: Db, score: ScoreRecorded): Promise<void>;
}

/** A sink that aggregates nothing (tests of ingestion alone). */
export const noTraceSink: TraceSink = {
  spansWritten: async () => {},
  scoreWritten: async () => {},
};

/** `sink`, then `hook` on the same written spans in the same transaction (scores go to `sink` alone). */
export function withSpanHook(
  sink: TraceSink,
  hook: (trx: Db, spans: readonly SpanRecorded[]) => Promise<void>,
): TraceSink {
  return {
    async spansWritten(trx, spans) {
      await sink.spansWritten(trx, spans);
      await hook(trx, spans);
    },
    scoreWritten: (trx, score) => sink.scoreWritten(trx, score),
  };
}
