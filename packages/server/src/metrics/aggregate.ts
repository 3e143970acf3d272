/**
 * Turns written spans and scores into rollup rows in memory: one row per group and bucket, so a
 * batch costs one upsert per distinct group, whatever its size.
 */
import { emptyHistogram, latencyBucket } from '@promptline/core';
import type { ScoreRecorded, SpanRecorded } from '../traces/sink.ts';
import type { RollupGrain } from './migration.ts';

/** A rollup row's group; '' and 0 stand for "none" (see migration.ts). */
export interface RollupKey {
  projectId: number;
  prompt: string;
  /** Epoch minutes of the minute's (or hour's) start. */
  bucket: number;
  environment: string;
  version: number;
  provider: string;
  model: string;
}

export interface RollupFigures {
  count: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costN: number;
  costSum: number;
  costSq: number;
  latencySum: number;
  latencySq: number;
  /** Spans checked against their version's output contract, and those that broke it. */
  contractChecked: number;
  contractViolations: number;
  histogram: number[];
}

export interface RollupRow extends RollupKey, RollupFigures {}

export interface ScoreRow extends RollupKey {
  name: string;
  /** The category of a categorical score; '' for numbers and booleans. */
  value: string;
  count: number;
  sum: number;
  sumSq: number;
}

const MINUTE_MS = 60_000;

/** The bucket (epoch minutes) a time falls in at a grain. */
export function bucketOf(epochMs: number, grain: RollupGrain): number {
  const minute = Math.floor(epochMs / MINUTE_MS);
  return grain === 'minute' ? minute : Math.floor(minute / 60) * 60;
}

function keyOf(
  item: Pick<
    SpanRecorded,
    'projectId' | 'promptName' | 'promptVersion' | 'environment' | 'provider' | 'model'
  >,
  bucket: number,
): RollupKey {
  return {
    projectId: item.projectId,
    prompt: item.promptName ?? '',
    bucket,
    environment: item.environment ?? '',
    version: item.promptVersion ?? 0,
    provider: item.provider ?? '',
    model: item.model ?? '',
  };
}

/** Orders rows by their key: every writer then locks rows in one order, so upserts cannot deadlock. */
export function compareKeys(a: RollupKey, b: RollupKey): number {
  return (
    a.projectId - b.projectId ||
    cmp(a.prompt, b.prompt) ||
    a.bucket - b.bucket ||
    cmp(a.environment, b.environment) ||
    a.version - b.version ||
    cmp(a.provider, b.provider) ||
    cmp(a.model, b.model)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function keyString(key: RollupKey): string {
  return JSON.stringify([
    key.projectId,
    key.prompt,
    key.bucket,
    key.environment,
    key.version,
    key.provider,
    key.model,
  ]);
}

export function emptyFigures(): RollupFigures {
  return {
    count: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedTokens: 0,
    costN: 0,
    costSum: 0,
    costSq: 0,
    latencySum: 0,
    latencySq: 0,
    contractChecked: 0,
    contractViolations: 0,
    histogram: emptyHistogram(),
  };
}

/** Adds one span's figures into `into`. */
export function addSpan(into: RollupFigures, span: SpanRecorded): void {
  const latency = Math.max(0, span.durationMs);
  into.count++;
  if (span.status === 'error') into.errors++;
  into.inputTokens += span.inputTokens;
  into.outputTokens += span.outputTokens;
  into.cachedTokens += span.cachedInputTokens;
  if (span.costUsd !== null) {
    into.costN++;
    into.costSum += span.costUsd;
    into.costSq += span.costUsd * span.costUsd;
  }
  into.latencySum += latency;
  into.latencySq += latency * latency;
  if (span.contractViolation !== null) {
    into.contractChecked++;
    if (span.contractViolation) into.contractViolations++;
  }
  const bucket = latencyBucket(latency);
  into.histogram[bucket] = (into.histogram[bucket] ?? 0) + 1;
}

/** The rollup rows of a batch of spans at a grain, one per group and bucket, in key order. */
export function aggregateSpans(spans: readonly SpanRecorded[], grain: RollupGrain): RollupRow[] {
  const rows = new Map<string, RollupRow>();
  for (const span of spans) {
    const key = keyOf(span, bucketOf(span.startMs, grain));
    const id = keyString(key);
    let row = rows.get(id);
    if (!row) {
      row = { ...key, ...emptyFigures() };
      rows.set(id, row);
    }
    addSpan(row, span);
  }
  return [...rows.values()].sort(compareKeys);
}

/** The numeric value a score adds to sums (booleans as 0/1), or null for a categorical one. */
export function numericScore(value: ScoreRecorded['value']): number | null {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  return null;
}

/** The score rollup row of one score at a grain. */
export function scoreRow(score: ScoreRecorded, grain: RollupGrain): ScoreRow {
  const numeric = numericScore(score.value);
  return {
    ...keyOf(score, bucketOf(score.spanStartMs, grain)),
    name: score.name,
    value: numeric === null ? String(score.value) : '',
    count: 1,
    sum: numeric ?? 0,
    sumSq: numeric === null ? 0 : numeric * numeric,
  };
}
