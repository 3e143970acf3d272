/**
 * Deterministic traffic bucketing, shared bit for bit by the server's `resolve` and the SDK: a unit
 * (user id, session id…) always lands in the same bucket of a prompt, so it keeps its variant while
 * a rollout grows.
 *
 * Rollout convention (server and SDK rely on it): a gradual rollout lists the NEW version FIRST and
 * grows its weight — `[{version: new, weight: 500}, {version: old, weight: 9500}]`, then 2500/7500,
 * then 10000/0. Buckets are matched against cumulative weights in list order, so the new version
 * owns buckets [0, weight) and a unit that got it at 5% still gets it at 25% and 100%. Listing the
 * old version first would reshuffle units at every step.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Number of buckets; release weights are basis points out of this. */
export const BUCKETS = 10_000;

/**
 * MurmurHash3 x86 32-bit of the UTF-8 bytes of `text` with `seed` (default 0), as an unsigned
 * 32-bit integer. Lone surrogates are encoded as U+FFFD, as `TextEncoder` does.
 *
 * @example
 * murmurhash3('hello'); // 613153351
 */
export function murmurhash3(text: string, seed = 0): number {
  // UTF-8 is encoded by hand and fed to the hash a byte at a time: no allocation per call, about
  // 3-4x faster than TextEncoder for the short keys bucketing hashes (bench/bucketing.bench.ts).
  let h = seed | 0;
  let k = 0;
  let shift = 0;
  let length = 0;

  const pushByte = (byte: number): void => {
    k |= byte << shift;
    shift += 8;
    length++;
    if (shift === 32) {
      k = Math.imul(k, C1);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, C2);
      h ^= k;
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
      k = 0;
      shift = 0;
    }
  };

  const n = text.length;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      pushByte(c);
    } else if (c < 0x800) {
      pushByte(0xc0 | (c >> 6));
      pushByte(0x80 | (c & 0x3f));
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        pushByte(0xf0 | (c >> 18));
        pushByte(0x80 | ((c >> 12) & 0x3f));
        pushByte(0x80 | ((c >> 6) & 0x3f));
        pushByte(0x80 | (c & 0x3f));
      } else {
        // Lone surrogate: U+FFFD.
        pushByte(0xef);
        pushByte(0xbf);
        pushByte(0xbd);
      }
    } else {
      pushByte(0xe0 | (c >> 12));
      pushByte(0x80 | ((c >> 6) & 0x3f));
      pushByte(0x80 | (c & 0x3f));
    }
  }

  if (shift !== 0) {
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }

  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The bucket (0…9 999) of a unit for a prompt: `murmurhash3(`${prompt}:${unit}`) % 10000`. */
export function bucketOf(prompt: string, unit: string): number {
  return murmurhash3(`${prompt}:${unit}`) % BUCKETS;
}

/**
 * Index of the variant whose cumulative weight range `[sum_before, sum_including)` contains
 * `bucket`, in the order given. Weights are basis points summing to 10 000, so a zero-weight variant
 * owns an empty range and is never picked. If the weights sum to less than the bucket (data that
 * `normalizeRelease` would have refused), the last variant with a weight is answered rather than
 * nothing, and 0 when no variant has one.
 */
export function pickVariant(variants: readonly { weight: number }[], bucket: number): number {
  let sum = 0;
  let lastWeighted = 0;
  for (let i = 0; i < variants.length; i++) {
    const weight = variants[i]?.weight ?? 0;
    if (weight <= 0) continue;
    sum += weight;
    lastWeighted = i;
    if (bucket < sum) return i;
  }
  return lastWeighted;
}
