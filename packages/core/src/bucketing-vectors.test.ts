/**
 * The shared bucketing vectors (bucketing-vectors.json): the Python SDK's tests read the same file
 * (packages/python/tests/test_bucketing.py), so both SDKs and the server put every unit in the same
 * bucket and on the same variant.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bucketOf, murmurhash3, pickVariant } from './bucketing.ts';
import { chooseVariant } from './release.ts';

interface Vectors {
  murmurhash3: { text: string; seed: number; hash: number }[];
  bucketOf: { prompt: string; unit: string; bucket: number }[];
  pickVariant: { variants: { version: number; weight: number }[]; bucket: number; index: number }[];
  chooseVariant: {
    prompt: string;
    unit: string;
    variants: { version: number; weight: number }[];
    index: number;
  }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('./bucketing-vectors.json', import.meta.url), 'utf8'),
) as Vectors;

describe('shared bucketing vectors', () => {
  it('cover non-ASCII text, lone surrogates, every tail length and several seeds', () => {
    expect(vectors.murmurhash3.length).toBeGreaterThan(50);
    expect(vectors.murmurhash3.some((v) => /[\ud800-\udfff]/.test(v.text))).toBe(true);
    expect(new Set(vectors.murmurhash3.map((v) => new TextEncoder().encode(v.text).length % 4)).size).toBe(4);
    expect(new Set(vectors.murmurhash3.map((v) => v.seed)).size).toBeGreaterThan(3);
  });

  it('murmurhash3 reproduces every hash', () => {
    for (const v of vectors.murmurhash3)
      expect(murmurhash3(v.text, v.seed), JSON.stringify(v.text)).toBe(v.hash);
  });

  it('bucketOf reproduces every bucket', () => {
    for (const v of vectors.bucketOf) expect(bucketOf(v.prompt, v.unit)).toBe(v.bucket);
  });

  it('pickVariant and chooseVariant reproduce every index', () => {
    for (const v of vectors.pickVariant) expect(pickVariant(v.variants, v.bucket)).toBe(v.index);
    for (const v of vectors.chooseVariant) expect(chooseVariant(v.prompt, v.variants, v.unit)).toBe(v.index);
  });
});
