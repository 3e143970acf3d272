import { describe, expect, it } from 'vitest';
import { cacheKey, createResponseCache } from './cache.ts';

const answer = (text: string) => ({
  contentType: 'application/json',
  body: Buffer.from(text),
  target: 'p/m',
  provider: 'p',
  model: 'm',
});

describe('gateway response cache', () => {
  it('keys identical requests alike whatever their key order, and different ones apart', () => {
    expect(cacheKey(1, 'chat', { a: 1, b: [1, 2] })).toBe(cacheKey(1, 'chat', { b: [1, 2], a: 1 }));
    expect(cacheKey(1, 'chat', { a: 1 })).not.toBe(cacheKey(2, 'chat', { a: 1 }));
    expect(cacheKey(1, 'chat', { a: 1 })).not.toBe(cacheKey(1, 'embeddings', { a: 1 }));
  });

  it('expires an answer after its time to live', () => {
    const cache = createResponseCache();
    cache.set('k', answer('x'), 1_000, 0);
    expect(cache.get('k', 999)?.body.toString()).toBe('x');
    expect(cache.get('k', 1_000)).toBeUndefined();
    expect(cache.stats().entries).toBe(0);
  });

  it('evicts the least recently used answer beyond its entry and byte bounds', () => {
    const cache = createResponseCache({ maxEntries: 2, maxBytes: 80 });
    cache.set('a', answer('1'), 60_000);
    cache.set('b', answer('2'), 60_000);
    cache.get('a');
    cache.set('c', answer('3'), 60_000);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    // Bytes: an answer above an eighth of the bound is not kept; the total stays bounded.
    cache.set('big', answer('x'.repeat(11)), 60_000);
    expect(cache.get('big')).toBeUndefined();
    for (let i = 0; i < 20; i++) cache.set(`k${i}`, answer('y'.repeat(10)), 60_000);
    expect(cache.stats().bytes).toBeLessThanOrEqual(80);
  });
});
