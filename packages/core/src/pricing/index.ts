/**
 * Model prices and the cost of a call. The table ships as data (`DEFAULT_PRICES`); a project's
 * overrides are layered on top by `createPriceBook`.
 */
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { Cost, Usage } from '../providers/types.ts';
import { DEFAULT_PRICES } from './prices.ts';

export { DEFAULT_PRICES };

/**
 * One row of a price table, in USD per million tokens. `pattern` is a model name that also matches
 * its dated snapshots (`gpt-4o` matches `gpt-4o-2024-08-06`, `claude-3-5-sonnet` matches
 * `claude-3-5-sonnet-20241022`), or a glob with `*`. `provider` is a provider kind or `*` for any.
 */
export const PriceEntry = z.object({
  provider: z.string().min(1).max(100),
  pattern: z.string().min(1).max(200),
  input: z.number().nonnegative().finite(),
  output: z.number().nonnegative().finite(),
  /** Price of cached (cache-read) input tokens; the input price when absent. */
  cachedInput: z.number().nonnegative().finite().optional(),
});
export type PriceEntry = z.infer<typeof PriceEntry>;

/** The price that applies to one model, with the entry it came from. */
export interface Price {
  provider: string;
  pattern: string;
  /** USD per million input tokens. */
  input: number;
  /** USD per million output tokens. */
  output: number;
  /** USD per million cached input tokens (equals `input` when the entry names none). */
  cachedInput: number;
  source: 'default' | 'override';
}

/** Looks up prices and computes costs; built by {@link createPriceBook}. */
export interface PriceBook {
  /** The price of `model` at `provider`, or null when no entry matches. */
  lookup(provider: string, model: string): Price | null;
  /** The cost of a call, or null when the model has no known price. */
  cost(provider: string, model: string, usage: Usage): Cost | null;
}

interface CompiledEntry {
  price: Price;
  matches: (name: string) => boolean;
  /** Literal characters in the pattern: more means more specific. */
  specificity: number;
}

// Providers whose model names belong to another vendor (OpenRouter, Azure, vLLM serving a
// hosted model's name…): they fall back to any vendor's entry for the same model name.
const FIRST_PARTY = new Set(['openai', 'anthropic', 'gemini', 'mock']);
const BOUNDARY = new Set(['-', ':', '@', '_', '/']);
const LOOKUP_CACHE_LIMIT = 2_000;

/**
 * Builds a price book from the shipped table and optional overrides (a project's own prices).
 * The most specific matching pattern wins; between equally specific ones an override beats the
 * shipped table, and an entry for the exact provider beats a `*` one.
 *
 * @throws AppError `VALIDATION_FAILED` when an override is malformed.
 * @example
 * const prices = createPriceBook([{ provider: 'openai', pattern: 'gpt-4o', input: 2, output: 8 }]);
 * prices.cost('openai', 'gpt-4o-2024-08-06', usage)?.totalUsd;
 */
export function createPriceBook(overrides: readonly PriceEntry[] = []): PriceBook {
  const parsed = z.array(PriceEntry).safeParse(overrides);
  if (!parsed.success) {
    throw new AppError('VALIDATION_FAILED', 'A price override is malformed; fix the listed fields.', {
      errors: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    });
  }
  const entries = [
    ...parsed.data.map((entry) => compile(entry, 'override')),
    ...DEFAULT_PRICES.map((entry) => compile(entry, 'default')),
  ];
  const cache = new Map<string, Price | null>();

  function lookup(provider: string, model: string): Price | null {
    const key = `${provider}\u0000${model}`;
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const found = findPrice(entries, provider, model);
    if (cache.size >= LOOKUP_CACHE_LIMIT) cache.clear();
    cache.set(key, found);
    return found;
  }

  return {
    lookup,
    cost(provider, model, usage) {
      const price = lookup(provider, model);
      return price === null ? null : costOf(price, usage);
    },
  };
}

/** The cost of `usage` at `price`: cached input tokens at the cached price, the rest at list price. */
export function costOf(price: Price, usage: Usage): Cost {
  const cached = Math.min(Math.max(usage.cachedInputTokens, 0), usage.inputTokens);
  const inputUsd = roundUsd(((usage.inputTokens - cached) * price.input + cached * price.cachedInput) / 1e6);
  const outputUsd = roundUsd((usage.outputTokens * price.output) / 1e6);
  return { inputUsd, outputUsd, totalUsd: roundUsd(inputUsd + outputUsd) };
}

// Floating point leaves 1e-17 dust in sums of small prices; twelve decimals keep sub-micro-dollar
// precision and make totals comparable.
function roundUsd(value: number): number {
  return Math.round(value * 1e12) / 1e12;
}

function compile(entry: PriceEntry, source: Price['source']): CompiledEntry {
  const pattern = entry.pattern.toLowerCase();
  const price: Price = {
    provider: entry.provider,
    pattern: entry.pattern,
    input: entry.input,
    output: entry.output,
    cachedInput: entry.cachedInput ?? entry.input,
    source,
  };
  if (pattern.includes('*')) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    const regex = new RegExp(`^${body}$`);
    return { price, matches: (name) => regex.test(name), specificity: pattern.replaceAll('*', '').length };
  }
  return {
    price,
    matches: (name) =>
      name === pattern || (name.startsWith(pattern) && BOUNDARY.has(name.charAt(pattern.length))),
    specificity: pattern.length,
  };
}

/** The names a model may be priced under: as given, and without a vendor prefix. */
function candidateNames(model: string): string[] {
  const name = model.trim().toLowerCase();
  const names = [name];
  // OpenRouter `openai/gpt-4o`, Gemini `models/gemini-2.0-flash`.
  const slash = name.lastIndexOf('/');
  if (slash >= 0) names.push(name.slice(slash + 1));
  // Bedrock `us.anthropic.claude-3-5-sonnet-20241022-v2:0`.
  const vendor = /^(?:[a-z]{2}\.)?(?:anthropic|google|openai)\.(.+)$/.exec(name);
  if (vendor?.[1] !== undefined) names.push(vendor[1]);
  return names;
}

function findPrice(entries: CompiledEntry[], provider: string, model: string): Price | null {
  const names = candidateNames(model);
  const anyVendor = !FIRST_PARTY.has(provider);
  let best: { entry: CompiledEntry; rank: number[] } | null = null;
  for (const entry of entries) {
    const exactProvider = entry.price.provider === provider;
    const providerOk =
      exactProvider || entry.price.provider === '*' || (anyVendor && entry.price.provider !== 'mock');
    if (!providerOk || !names.some((name) => entry.matches(name))) continue;
    const rank = [entry.specificity, entry.price.source === 'override' ? 1 : 0, exactProvider ? 1 : 0];
    if (best === null || compareRanks(rank, best.rank) > 0) best = { entry, rank };
  }
  return best === null ? null : Object.freeze({ ...best.entry.price });
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
