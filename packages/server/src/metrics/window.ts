/**
 * Which window a metrics query covers and which rollup table answers which part of it: hours
 * before the roll-up watermark come from the hour rollups, everything else (the current hour and
 * minute included) from the minute rollups.
 */
import {
  AppError,
  DEFAULT_METRICS_WINDOW_MS,
  INTERVAL_MINUTES,
  MAX_METRICS_POINTS,
  type MetricsInterval,
  MINUTE_ROLLUP_RETENTION_DAYS,
  TARGET_METRICS_POINTS,
} from '@promptline/core';
import type { RollupGrain } from './migration.ts';

const MINUTE_MS = 60_000;
const INTERVALS: readonly MetricsInterval[] = ['1m', '5m', '1h', '1d'];

export interface MetricsWindow {
  /** Epoch minutes, [from, to). */
  from: number;
  to: number;
  interval: MetricsInterval;
  /** Minutes per series point. */
  step: number;
}

/** `from`/`to` in epoch ms: the given ones, or the 24 h up to now (now itself included). */
export function requestedRange(nowMs: number, from: string | undefined, to: string | undefined) {
  const toMs = to === undefined ? nowMs + 1 : Date.parse(to);
  const fromMs = from === undefined ? toMs - DEFAULT_METRICS_WINDOW_MS : Date.parse(from);
  if (!(fromMs < toMs)) {
    throw new AppError('METRICS_WINDOW_INVALID', 'The window is empty: `from` must be before `to`.', {
      errors: [{ path: 'from', message: 'must be before `to`' }],
    });
  }
  return { fromMs, toMs };
}

/**
 * The series window of a metrics query: `from` rounded down and `to` up to the interval, which
 * defaults to the smallest giving at most {@link TARGET_METRICS_POINTS} points.
 *
 * @throws AppError METRICS_TOO_MANY_POINTS beyond {@link MAX_METRICS_POINTS} points.
 * @throws AppError METRICS_WINDOW_INVALID for an empty window, or minute points older than the minute rollups.
 */
export function seriesWindow(
  nowMs: number,
  query: { from?: string | undefined; to?: string | undefined; interval?: MetricsInterval | undefined },
): MetricsWindow {
  const { fromMs, toMs } = requestedRange(nowMs, query.from, query.to);
  const minutes = (toMs - fromMs) / MINUTE_MS;
  const interval =
    query.interval ??
    INTERVALS.find((i) => Math.ceil(minutes / INTERVAL_MINUTES[i]) <= TARGET_METRICS_POINTS) ??
    '1d';
  const step = INTERVAL_MINUTES[interval];
  const from = Math.floor(fromMs / MINUTE_MS / step) * step;
  const to = Math.ceil(toMs / MINUTE_MS / step) * step;
  const points = (to - from) / step;
  if (points > MAX_METRICS_POINTS) {
    throw new AppError(
      'METRICS_TOO_MANY_POINTS',
      `The window holds ${points} intervals of ${interval}; at most ${MAX_METRICS_POINTS} are answered.`,
      {
        hint: 'Use a wider `interval` (1m, 5m, 1h, 1d) or a shorter window.',
        errors: [{ path: 'interval', message: 'too many points' }],
      },
    );
  }
  if (step < 60 && from < Math.floor(nowMs / MINUTE_MS) - MINUTE_ROLLUP_RETENTION_DAYS * 1440) {
    throw new AppError(
      'METRICS_WINDOW_INVALID',
      `Minute rollups are kept ${MINUTE_ROLLUP_RETENTION_DAYS} days; this window starts earlier.`,
      {
        hint: 'Use `interval=1h` or `1d` for older data.',
        errors: [{ path: 'interval', message: 'too fine for this window' }],
      },
    );
  }
  return { from, to, interval, step };
}

/** A part of a window and the rollup table that answers it. */
export interface WindowPart {
  grain: RollupGrain;
  from: number;
  to: number;
}

/**
 * Splits [from, to) (epoch minutes) into the parts the hour rollups answer (whole hours before
 * `rolledUntil`) and the parts only the minute rollups can answer. `minuteOnly` forces minute
 * rollups throughout (series finer than an hour).
 */
export function splitWindow(
  from: number,
  to: number,
  rolledUntil: number,
  minuteOnly: boolean,
): WindowPart[] {
  const hourFrom = Math.ceil(from / 60) * 60;
  const hourTo = Math.min(Math.floor(to / 60) * 60, rolledUntil);
  if (minuteOnly || hourFrom >= hourTo) return [{ grain: 'minute', from, to }];
  const parts: WindowPart[] = [];
  if (from < hourFrom) parts.push({ grain: 'minute', from, to: hourFrom });
  parts.push({ grain: 'hour', from: hourFrom, to: hourTo });
  if (hourTo < to) parts.push({ grain: 'minute', from: hourTo, to });
  return parts;
}
