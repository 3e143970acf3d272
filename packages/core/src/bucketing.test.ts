import { describe, expect, it } from 'vitest';
import { BUCKETS, bucketOf, murmurhash3, pickVariant } from './bucketing.ts';

describe('murmurhash3', () => {
  // Published MurmurHash3_x86_32 vectors, plus values cross-checked with an independent Python
  // implementation over `s.encode('utf-8')`.
  it.each([
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
    ['hello', 0, 613153351],
    ['Hello, world!', 1234, 4210478515],
    ['a', 0, 1009084850],
    ['ab', 0, 2613040991],
    ['abc', 0, 3017643002],
    ['abcd', 0, 1139631978],
    ['support/triage:user-42', 0, 1253715999],
  ])('hashes %j with seed %d to %d', (text, seed, expected) => {
    expect(murmurhash3(text, seed)).toBe(expected);
  });

  it('hashes the UTF-8 bytes of non-ASCII text (2-, 3- and 4-byte sequences)', () => {
    expect(murmurhash3('héllo wörld')).toBe(2549609076);
    expect(murmurhash3('日本語テキスト')).toBe(3871913517);
    expect(murmurhash3('emoji 😀 rocket 🚀')).toBe(3747665754);
    expect(murmurhash3('Привет, мир', 42)).toBe(2382849822);
  });

  it('encodes a lone surrogate as U+FFFD, as TextEncoder does', () => {
    expect(murmurhash3('a\ud800b')).toBe(3412674851);
    expect(murmurhash3('a\ud800b')).toBe(murmurhash3('a\ufffdb'));
    expect(murmurhash3('a\udc00')).toBe(murmurhash3('a\ufffd'));
  });

  it('defaults the seed to 0 and always answers an unsigned 32-bit integer', () => {
    expect(murmurhash3('hello')).toBe(murmurhash3('hello', 0));
    for (let i = 0; i < 1000; i++) {
      const h = murmurhash3(`unit-${i}`);
      expect(Number.isInteger(h) && h >= 0 && h <= 0xffffffff).toBe(true);
    }
  });
});

describe('bucketOf', () => {
  it('is murmurhash3 of "<prompt>:<unit>" modulo 10 000', () => {
    expect(bucketOf('support/triage', 'user-42')).toBe(1253715999 % 10_000);
    expect(bucketOf('support/triage', 'user-42')).toBe(5999);
  });

  it('puts the same unit in different buckets for different prompts', () => {
    expect(bucketOf('a', 'user-1')).not.toBe(bucketOf('b', 'user-1'));
  });
});

describe('pickVariant', () => {
  it('matches the bucket against cumulative ranges [sum_before, sum_including) in order', () => {
    const variants = [{ weight: 500 }, { weight: 2000 }, { weight: 7500 }];
    expect(pickVariant(variants, 0)).toBe(0);
    expect(pickVariant(variants, 499)).toBe(0);
    expect(pickVariant(variants, 500)).toBe(1);
    expect(pickVariant(variants, 2499)).toBe(1);
    expect(pickVariant(variants, 2500)).toBe(2);
    expect(pickVariant(variants, 9999)).toBe(2);
  });

  it('never picks a zero-weight variant', () => {
    const variants = [{ weight: 0 }, { weight: 10_000 }, { weight: 0 }];
    for (let bucket = 0; bucket < BUCKETS; bucket += 7) expect(pickVariant(variants, bucket)).toBe(1);
    expect(pickVariant([{ weight: 10_000 }, { weight: 0 }], 9999)).toBe(0);
  });

  it('answers the last weighted variant when the weights fall short of the bucket', () => {
    expect(pickVariant([{ weight: 100 }, { weight: 100 }, { weight: 0 }], 5000)).toBe(1);
    expect(pickVariant([], 5000)).toBe(0);
  });
});

describe('rollout distribution and stickiness', () => {
  const UNITS = 100_000;

  function shares(weights: number[]): number[] {
    const counts = weights.map(() => 0);
    const variants = weights.map((weight) => ({ weight }));
    for (let i = 0; i < UNITS; i++) {
      const index = pickVariant(variants, bucketOf('support/triage', `user-${i}`));
      counts[index] = (counts[index] ?? 0) + 1;
    }
    return counts.map((count) => count / UNITS);
  }

  it.each([[[500, 9500]], [[2500, 2500, 5000]], [[3333, 3333, 3334]]])(
    'splits 100 000 units within 1%% of the weights %j',
    (weights) => {
      const got = shares(weights);
      weights.forEach((weight, i) => {
        expect(Math.abs((got[i] ?? 0) - weight / BUCKETS)).toBeLessThan(0.01);
      });
    },
  );

  it('keeps a unit on the new version (listed first) as its weight grows from 5% to 25% to 100%', () => {
    const steps = [500, 2500, 10_000].map((weight) => [{ weight }, { weight: BUCKETS - weight }]);
    let inAtFivePercent = 0;
    for (let i = 0; i < 20_000; i++) {
      const bucket = bucketOf('support/triage', `user-${i}`);
      const [at5, at25, at100] = steps.map((variants) => pickVariant(variants, bucket));
      if (at5 === 0) {
        inAtFivePercent++;
        expect(at25).toBe(0);
        expect(at100).toBe(0);
      }
    }
    // The property must have been exercised on a real share of units, not vacuously.
    expect(inAtFivePercent).toBeGreaterThan(800);
    expect(inAtFivePercent).toBeLessThan(1200);
  });
});
