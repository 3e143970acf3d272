/**
 * Where an imported rollup row goes on the target. Rollups are additive, but which table holds an
 * interval depends on each instance's hour watermark (`rolled_until`: hours before it are summed in
 * the hour tables, and the hour roll-up job will sum every minute row at or after it). Source and
 * target watermarks differ, so copying both tables as they are would count an hour twice (a
 * minute row the target rolls up again on top of the source's hour row) or not at all (an hour the
 * target reads from hour rows the source never wrote).
 *
 * With `source` S and `target` W (both epoch minutes on the hour):
 * - a minute row the source had not rolled up (bucket ≥ S) stays a minute row, and is also added
 *   to its hour row when the target has already rolled that hour (hour < W);
 * - a minute row the source had rolled up (bucket < S) is already in its hour row: it is kept as a
 *   minute row (for 1-minute series) only when the target reads that hour from hour rows
 *   (hour < W); otherwise the target would roll it up again;
 * - an hour row stays an hour row when the target has rolled that hour (hour < W); otherwise it
 *   becomes a minute row at the hour's first minute, which the target's roll-up will sum into the
 *   hour (its 1-minute series shows that hour in its first minute — the detail was rolled away).
 */
import { bucketOf } from './aggregate.ts';
import type { RollupGrain } from './migration.ts';

export interface RollupPlacement {
  grain: RollupGrain;
  bucket: number;
}

const hourOf = (minuteBucket: number) => bucketOf(minuteBucket * 60_000, 'hour');

/** The places an imported rollup row of `grain` at `bucket` is added to (none, one or two). */
export function placeImportedRollup(
  grain: RollupGrain,
  bucket: number,
  watermarks: { source: number; target: number },
): RollupPlacement[] {
  const { source, target } = watermarks;
  if (grain === 'hour') {
    return [bucket < target ? { grain: 'hour', bucket } : { grain: 'minute', bucket }];
  }
  const hour = hourOf(bucket);
  if (bucket >= source) {
    return hour < target
      ? [
          { grain: 'minute', bucket },
          { grain: 'hour', bucket: hour },
        ]
      : [{ grain: 'minute', bucket }];
  }
  return hour < target ? [{ grain: 'minute', bucket }] : [];
}
