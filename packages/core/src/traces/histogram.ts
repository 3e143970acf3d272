/**
 * The fixed latency histogram metrics are kept in. Every rollup row holds one count per bucket, so
 * histograms of any rows add bucket by bucket and percentiles come from the sum, never from raw
 * spans. Buckets are log-spaced with four per doubling: bucket 0 is [0, 1 ms), bucket i (1…88) is
 * [2^((i-1)/4), 2^(i/4)) ms, and the last bucket holds everything from 2^22 ms (about 70 minutes).
 */

/** Buckets per doubling of latency: the resolution of the histogram. */
const PER_DOUBLING = 4;
/** Doublings above 1 ms that get their own buckets (2^22 ms ≈ 70 min). */
const DOUBLINGS = 22;

/** Number of buckets of a latency histogram (fixed: stored rollups depend on it). */
export const LATENCY_BUCKET_COUNT = PER_DOUBLING * DOUBLINGS + 2;

/** Start of the overflow bucket, in ms: latencies at or above it are reported as this value. */
export const LATENCY_HISTOGRAM_MAX_MS = 2 ** DOUBLINGS;

/**
 * Worst relative error of a percentile estimated from the histogram, for a true value between 1 ms
 * and {@link LATENCY_HISTOGRAM_MAX_MS}: the estimate is the geometric middle of the true value's
 * bucket, so it is off by at most 2^(1/8) − 1 ≈ 9.05 %.
 */
export const LATENCY_PERCENTILE_MAX_RELATIVE_ERROR = 2 ** (1 / (2 * PER_DOUBLING)) - 1;

/** Lower bound (ms) of each bucket, ascending; bucket i spans [bounds[i], bounds[i+1]). */
export const LATENCY_BUCKET_LOWER_BOUNDS: readonly number[] = Array.from(
  { length: LATENCY_BUCKET_COUNT },
  (_, i) => (i === 0 ? 0 : 2 ** ((i - 1) / PER_DOUBLING)),
);

/** The bucket a latency (ms) counts in. Negative and non-finite latencies count in bucket 0. */
export function latencyBucket(ms: number): number {
  if (!(ms >= 1)) return 0;
  if (ms >= LATENCY_HISTOGRAM_MAX_MS) return LATENCY_BUCKET_COUNT - 1;
  let i = Math.floor(Math.log2(ms) * PER_DOUBLING) + 1;
  // log2 rounds: settle on the bucket whose bounds really contain ms.
  while (i > 1 && ms < (LATENCY_BUCKET_LOWER_BOUNDS[i] ?? 0)) i--;
  while (i < LATENCY_BUCKET_COUNT - 1 && ms >= (LATENCY_BUCKET_LOWER_BOUNDS[i + 1] ?? Infinity)) i++;
  return i;
}

/** An empty histogram: one zero count per bucket. */
export function emptyHistogram(): number[] {
  return new Array<number>(LATENCY_BUCKET_COUNT).fill(0);
}

/** Adds `from` into `into`, bucket by bucket (both of {@link LATENCY_BUCKET_COUNT} buckets). */
export function addHistogram(into: number[], from: readonly number[]): number[] {
  for (let i = 0; i < LATENCY_BUCKET_COUNT; i++) into[i] = (into[i] ?? 0) + (from[i] ?? 0);
  return into;
}

/** The value a bucket stands for: its geometric middle (0.5 ms for bucket 0, the lower bound for overflow). */
function representative(bucket: number): number {
  if (bucket === 0) return 0.5;
  const lower = LATENCY_BUCKET_LOWER_BOUNDS[bucket] ?? LATENCY_HISTOGRAM_MAX_MS;
  if (bucket === LATENCY_BUCKET_COUNT - 1) return lower;
  return lower * 2 ** (1 / (2 * PER_DOUBLING));
}

/**
 * The `p`-th percentile (0 < p ≤ 1) of the latencies counted in `histogram`, by nearest rank: the
 * bucket holding the ⌈p·n⌉-th smallest latency, reported as that bucket's geometric middle
 * (within {@link LATENCY_PERCENTILE_MAX_RELATIVE_ERROR} of the exact value). Null when empty.
 *
 * @example
 * const h = emptyHistogram(); h[latencyBucket(120)]++; percentileFromHistogram(h, 0.95); // ≈ 120
 */
export function percentileFromHistogram(histogram: readonly number[], p: number): number | null {
  let total = 0;
  for (const count of histogram) total += count;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i] ?? 0;
    if (seen >= rank) return representative(i);
  }
  return representative(LATENCY_BUCKET_COUNT - 1);
}

/** p50, p95 and p99 of a histogram (nulls when it is empty). */
export function latencyPercentiles(histogram: readonly number[]): {
  p50: number | null;
  p95: number | null;
  p99: number | null;
} {
  return {
    p50: percentileFromHistogram(histogram, 0.5),
    p95: percentileFromHistogram(histogram, 0.95),
    p99: percentileFromHistogram(histogram, 0.99),
  };
}
