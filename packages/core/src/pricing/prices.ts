import type { PriceEntry } from './index.ts';

/**
 * The shipped model price table, in USD per million tokens (standard tier, text, no batch discount).
 *
 * Best known public list prices as of 2025-11; providers change them, and new models appear every
 * month, so every entry is overridable per project (the server stores overrides and passes them to
 * `createPriceBook`). A pattern matches the model name itself or the name followed by `-`, `:`,
 * `@`, `_` or `/` and anything (dated snapshots such as `gpt-4o-2024-08-06`), or uses `*` as a
 * wildcard; the most specific matching pattern wins, so a dated snapshot priced differently from its
 * family (`gpt-4o-2024-05-13`) gets its own entry.
 *
 * Known simplifications: Gemini's higher price for prompts above 200k tokens (128k for 1.5) and
 * Anthropic's cache-write premium (1.25× input) are not modelled; cache writes are billed as input.
 */
export const DEFAULT_PRICES: readonly PriceEntry[] = [
  // OpenAI
  { provider: 'openai', pattern: 'gpt-5', input: 1.25, output: 10, cachedInput: 0.125 },
  { provider: 'openai', pattern: 'gpt-5-mini', input: 0.25, output: 2, cachedInput: 0.025 },
  { provider: 'openai', pattern: 'gpt-5-nano', input: 0.05, output: 0.4, cachedInput: 0.005 },
  { provider: 'openai', pattern: 'gpt-5-pro', input: 15, output: 120 },
  { provider: 'openai', pattern: 'gpt-5.1', input: 1.25, output: 10, cachedInput: 0.125 },
  { provider: 'openai', pattern: 'gpt-5.1-mini', input: 0.25, output: 2, cachedInput: 0.025 },
  { provider: 'openai', pattern: 'gpt-4.1', input: 2, output: 8, cachedInput: 0.5 },
  { provider: 'openai', pattern: 'gpt-4.1-mini', input: 0.4, output: 1.6, cachedInput: 0.1 },
  { provider: 'openai', pattern: 'gpt-4.1-nano', input: 0.1, output: 0.4, cachedInput: 0.025 },
  { provider: 'openai', pattern: 'gpt-4.5-preview', input: 75, output: 150, cachedInput: 37.5 },
  { provider: 'openai', pattern: 'gpt-4o', input: 2.5, output: 10, cachedInput: 1.25 },
  { provider: 'openai', pattern: 'gpt-4o-2024-05-13', input: 5, output: 15 },
  { provider: 'openai', pattern: 'chatgpt-4o-latest', input: 5, output: 15 },
  { provider: 'openai', pattern: 'gpt-4o-mini', input: 0.15, output: 0.6, cachedInput: 0.075 },
  { provider: 'openai', pattern: 'gpt-4-turbo', input: 10, output: 30 },
  { provider: 'openai', pattern: 'gpt-4', input: 30, output: 60 },
  { provider: 'openai', pattern: 'gpt-3.5-turbo', input: 0.5, output: 1.5 },
  { provider: 'openai', pattern: 'o1', input: 15, output: 60, cachedInput: 7.5 },
  { provider: 'openai', pattern: 'o1-mini', input: 1.1, output: 4.4, cachedInput: 0.55 },
  { provider: 'openai', pattern: 'o1-pro', input: 150, output: 600 },
  { provider: 'openai', pattern: 'o3', input: 2, output: 8, cachedInput: 0.5 },
  { provider: 'openai', pattern: 'o3-mini', input: 1.1, output: 4.4, cachedInput: 0.55 },
  { provider: 'openai', pattern: 'o3-pro', input: 20, output: 80 },
  { provider: 'openai', pattern: 'o4-mini', input: 1.1, output: 4.4, cachedInput: 0.275 },
  { provider: 'openai', pattern: 'text-embedding-3-small', input: 0.02, output: 0 },
  { provider: 'openai', pattern: 'text-embedding-3-large', input: 0.13, output: 0 },
  { provider: 'openai', pattern: 'text-embedding-ada-002', input: 0.1, output: 0 },

  // Anthropic (cachedInput is the cache-read price)
  { provider: 'anthropic', pattern: 'claude-opus-4-5', input: 5, output: 25, cachedInput: 0.5 },
  { provider: 'anthropic', pattern: 'claude-opus-4', input: 15, output: 75, cachedInput: 1.5 },
  { provider: 'anthropic', pattern: 'claude-sonnet-4', input: 3, output: 15, cachedInput: 0.3 },
  { provider: 'anthropic', pattern: 'claude-haiku-4-5', input: 1, output: 5, cachedInput: 0.1 },
  { provider: 'anthropic', pattern: 'claude-3-7-sonnet', input: 3, output: 15, cachedInput: 0.3 },
  { provider: 'anthropic', pattern: 'claude-3-5-sonnet', input: 3, output: 15, cachedInput: 0.3 },
  { provider: 'anthropic', pattern: 'claude-3-5-haiku', input: 0.8, output: 4, cachedInput: 0.08 },
  { provider: 'anthropic', pattern: 'claude-3-opus', input: 15, output: 75, cachedInput: 1.5 },
  { provider: 'anthropic', pattern: 'claude-3-sonnet', input: 3, output: 15, cachedInput: 0.3 },
  { provider: 'anthropic', pattern: 'claude-3-haiku', input: 0.25, output: 1.25, cachedInput: 0.03 },

  // Google Gemini (prompts up to 200k tokens; 128k for 1.5)
  { provider: 'gemini', pattern: 'gemini-3-pro', input: 2, output: 12, cachedInput: 0.2 },
  { provider: 'gemini', pattern: 'gemini-2.5-pro', input: 1.25, output: 10, cachedInput: 0.125 },
  { provider: 'gemini', pattern: 'gemini-2.5-flash', input: 0.3, output: 2.5, cachedInput: 0.03 },
  { provider: 'gemini', pattern: 'gemini-2.5-flash-lite', input: 0.1, output: 0.4, cachedInput: 0.01 },
  { provider: 'gemini', pattern: 'gemini-2.0-flash', input: 0.1, output: 0.4, cachedInput: 0.025 },
  { provider: 'gemini', pattern: 'gemini-2.0-flash-lite', input: 0.075, output: 0.3 },
  { provider: 'gemini', pattern: 'gemini-1.5-pro', input: 1.25, output: 5, cachedInput: 0.3125 },
  { provider: 'gemini', pattern: 'gemini-1.5-flash', input: 0.075, output: 0.3, cachedInput: 0.01875 },
  { provider: 'gemini', pattern: 'gemini-1.5-flash-8b', input: 0.0375, output: 0.15, cachedInput: 0.01 },
  { provider: 'gemini', pattern: 'gemini-embedding-001', input: 0.15, output: 0 },
  { provider: 'gemini', pattern: 'text-embedding-004', input: 0, output: 0 },

  // The built-in mock provider costs nothing, whatever the model name.
  { provider: 'mock', pattern: '*', input: 0, output: 0, cachedInput: 0 },
];
