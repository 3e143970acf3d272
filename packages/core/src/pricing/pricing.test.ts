import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors.ts';
import type { Usage } from '../providers/types.ts';
import { createPriceBook, DEFAULT_PRICES } from './index.ts';

const usage = (inputTokens: number, outputTokens: number, cachedInputTokens = 0): Usage => ({
  inputTokens,
  outputTokens,
  cachedInputTokens,
  estimated: false,
});

describe('price book', () => {
  const prices = createPriceBook();

  it('matches dated snapshots to their family, and the most specific pattern wins', () => {
    expect(prices.lookup('openai', 'gpt-4o-2024-08-06')?.pattern).toBe('gpt-4o');
    expect(prices.lookup('openai', 'gpt-4o-mini-2024-07-18')?.pattern).toBe('gpt-4o-mini');
    // An old snapshot priced apart from its family has its own entry.
    expect(prices.lookup('openai', 'gpt-4o-2024-05-13')?.input).toBe(5);
    expect(prices.lookup('openai', 'gpt-4.1-nano-2025-04-14')?.pattern).toBe('gpt-4.1-nano');
    expect(prices.lookup('openai', 'o3-mini-2025-01-31')?.pattern).toBe('o3-mini');
    expect(prices.lookup('openai', 'gpt-5-mini-2025-08-07')?.pattern).toBe('gpt-5-mini');
    expect(prices.lookup('anthropic', 'claude-3-5-sonnet-20241022')?.pattern).toBe('claude-3-5-sonnet');
    expect(prices.lookup('anthropic', 'claude-opus-4-1-20250805')?.input).toBe(15);
    expect(prices.lookup('anthropic', 'claude-opus-4-5-20251101')?.input).toBe(5);
    expect(prices.lookup('gemini', 'gemini-2.5-flash-lite-preview-06-17')?.pattern).toBe(
      'gemini-2.5-flash-lite',
    );
    expect(prices.lookup('gemini', 'models/gemini-1.5-pro-002')?.pattern).toBe('gemini-1.5-pro');
  });

  it('does not let a shorter name swallow a different model', () => {
    // `gpt-4` must not price `gpt-4o` or `gpt-4.1`, `o1` must not price `o1x`.
    expect(prices.lookup('openai', 'gpt-4o')?.pattern).toBe('gpt-4o');
    expect(prices.lookup('openai', 'gpt-4.1')?.pattern).toBe('gpt-4.1');
    expect(prices.lookup('openai', 'gpt-4-0613')?.pattern).toBe('gpt-4');
    expect(prices.lookup('openai', 'o1x')).toBeNull();
  });

  it('prices vendor-prefixed names through compatible gateways, but not under another first-party provider', () => {
    expect(prices.lookup('openai-compatible', 'openai/gpt-4o-mini')?.pattern).toBe('gpt-4o-mini');
    expect(prices.lookup('openai-compatible', 'us.anthropic.claude-3-5-haiku-20241022-v1:0')?.pattern).toBe(
      'claude-3-5-haiku',
    );
    expect(prices.lookup('anthropic', 'gpt-4o')).toBeNull();
    expect(prices.lookup('openai-compatible', 'llama3.1:8b')).toBeNull();
  });

  it('computes cost with cached input at the cached price', () => {
    expect(prices.cost('openai', 'gpt-4o-mini', usage(1_000_000, 1_000_000, 500_000))).toEqual({
      inputUsd: 0.1125,
      outputUsd: 0.6,
      totalUsd: 0.7125,
    });
    // Models with no cached price bill cached tokens at the input price.
    expect(prices.cost('openai', 'gpt-4-turbo', usage(1_000, 0, 1_000))?.inputUsd).toBeCloseTo(0.01, 12);
  });

  it('answers null for an unknown model and zero for the mock provider', () => {
    expect(prices.lookup('openai', 'my-finetune')).toBeNull();
    expect(prices.cost('openai', 'my-finetune', usage(10, 10))).toBeNull();
    expect(prices.cost('mock', 'mock-1', usage(10, 10))).toEqual({ inputUsd: 0, outputUsd: 0, totalUsd: 0 });
  });

  it('lets overrides replace a shipped price and add new models, globs included', () => {
    const book = createPriceBook([
      { provider: 'openai', pattern: 'gpt-4o', input: 1, output: 2 },
      { provider: 'openai', pattern: 'ft:gpt-4o-mini:*', input: 0.3, output: 1.2 },
      { provider: '*', pattern: 'my-model', input: 9, output: 9 },
    ]);
    expect(book.lookup('openai', 'gpt-4o-2024-11-20')).toMatchObject({
      input: 1,
      output: 2,
      cachedInput: 1,
      source: 'override',
    });
    // A more specific shipped entry still wins over a less specific override.
    expect(book.lookup('openai', 'gpt-4o-mini')).toMatchObject({ input: 0.15, source: 'default' });
    expect(book.lookup('openai', 'ft:gpt-4o-mini:acme::abc123')).toMatchObject({
      input: 0.3,
      source: 'override',
    });
    expect(book.lookup('gemini', 'my-model')?.input).toBe(9);
  });

  it('rejects malformed overrides, naming the field', () => {
    const error = (() => {
      try {
        createPriceBook([{ provider: 'openai', pattern: 'x', input: -1, output: 1 }]);
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(isAppError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: '0.input' }] });
  });

  it('ships prices for each vendor with sane values', () => {
    for (const vendor of ['openai', 'anthropic', 'gemini']) {
      expect(DEFAULT_PRICES.filter((entry) => entry.provider === vendor).length).toBeGreaterThan(5);
    }
    for (const entry of DEFAULT_PRICES) {
      expect(entry.input).toBeGreaterThanOrEqual(0);
      expect(entry.cachedInput ?? entry.input).toBeLessThanOrEqual(entry.input);
    }
  });
});
