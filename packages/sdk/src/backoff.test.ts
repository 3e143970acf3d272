import { describe, expect, it } from 'vitest';
import { createBackoff } from './backoff.ts';

describe('reconnect backoff', () => {
  it('grows exponentially within [base/2, cap], resets, and takes the retry hint as base', () => {
    const high = createBackoff({ baseMs: 100, maxMs: 1000, random: () => 1 });
    expect([high.next(), high.next(), high.next(), high.next(), high.next()]).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    high.reset();
    expect(high.next()).toBe(100);
    const low = createBackoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
    expect([low.next(), low.next()]).toEqual([50, 50]);
    low.setBase(400);
    low.reset();
    expect(low.next()).toBe(200);
  });
});
