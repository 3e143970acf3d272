/**
 * Bucketing speed: `murmurhash3` (hand-rolled UTF-8, no allocation) against the same hash over
 * `TextEncoder` bytes, and the whole `chooseVariant` path the SDK runs per call.
 * Prints one JSON object: operations per second for each.
 */
import { bucketOf, chooseVariant, murmurhash3 } from '@promptline/core';

const encoder = new TextEncoder();

/** Reference: the same MurmurHash3 over TextEncoder output, to justify the hand encoder. */
function murmurhash3TextEncoder(text: string, seed = 0): number {
  const bytes = encoder.encode(text);
  const len = bytes.length;
  const blocks = len & ~3;
  let h = seed | 0;
  for (let i = 0; i < blocks; i += 4) {
    let k =
      (bytes[i] ?? 0) |
      ((bytes[i + 1] ?? 0) << 8) |
      ((bytes[i + 2] ?? 0) << 16) |
      ((bytes[i + 3] ?? 0) << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const rest = len & 3;
  if (rest === 3) k ^= (bytes[blocks + 2] ?? 0) << 16;
  if (rest >= 2) k ^= (bytes[blocks + 1] ?? 0) << 8;
  if (rest >= 1) {
    k ^= bytes[blocks] ?? 0;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const N = 1_000_000;
const asciiKeys = Array.from({ length: 1024 }, (_, i) => `support/triage:user-${i * 7919}`);
const utf8Keys = Array.from({ length: 1024 }, (_, i) => `support/triage:usér-日本-${i * 7919}`);

function opsPerSecond(fn: (i: number) => number): number {
  let sink = 0;
  for (let i = 0; i < 50_000; i++) sink ^= fn(i); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) sink ^= fn(i);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (sink === 0.5) console.error('unreachable'); // keeps `sink` alive
  return Math.round(N / seconds);
}

// Sanity: both encoders agree before their speeds are compared.
for (const key of [...asciiKeys, ...utf8Keys, 'a\ud800b', '😀']) {
  if (murmurhash3(key) !== murmurhash3TextEncoder(key)) throw new Error(`hash mismatch for ${key}`);
}

const variants = [
  { version: 2, weight: 2500 },
  { version: 1, weight: 7500 },
];

const result = {
  iterations: N,
  murmurhash3AsciiHandUtf8OpsPerSec: opsPerSecond((i) => murmurhash3(asciiKeys[i & 1023] ?? '')),
  murmurhash3AsciiTextEncoderOpsPerSec: opsPerSecond((i) =>
    murmurhash3TextEncoder(asciiKeys[i & 1023] ?? ''),
  ),
  murmurhash3Utf8HandUtf8OpsPerSec: opsPerSecond((i) => murmurhash3(utf8Keys[i & 1023] ?? '')),
  murmurhash3Utf8TextEncoderOpsPerSec: opsPerSecond((i) => murmurhash3TextEncoder(utf8Keys[i & 1023] ?? '')),
  bucketOfOpsPerSec: opsPerSecond((i) => bucketOf('support/triage', `user-${i}`)),
  chooseVariantOpsPerSec: opsPerSecond((i) => chooseVariant('support/triage', variants, `user-${i}`)),
};

console.log(JSON.stringify(result));
