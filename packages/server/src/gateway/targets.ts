import type { PriceBook, ProviderSettings } from '@promptline/core';
import type { ProviderService } from '../providers/service.ts';
import type { Target } from './upstream.ts';

/**
 * Turns `<provider>/<model>` into the project's provider settings and prices. Both are reused for
 * `ttlMs` (default 5 s): reading and decrypting credentials per call would be most of the
 * gateway's own latency; a changed credential reaches the gateway within that time.
 */
export function createTargetResolver(providers: ProviderService, ttlMs: number) {
  const settings = new Map<string, { value: Promise<ProviderSettings>; expires: number }>();
  const prices = new Map<number, { value: Promise<PriceBook>; expires: number }>();

  function priceBook(projectId: number): Promise<PriceBook> {
    const now = Date.now();
    const cached = prices.get(projectId);
    if (cached && cached.expires > now) return cached.value;
    const value = providers.priceBook(projectId);
    prices.set(projectId, { value, expires: now + ttlMs });
    // The caller sees the failure through `value`; only the cache entry is dropped here.
    value.catch(() => prices.delete(projectId));
    return value;
  }

  return {
    /** @throws AppError PROVIDER_NOT_CONFIGURED when the project has no such provider. */
    async resolve(projectId: number, label: string): Promise<Target> {
      const slash = label.indexOf('/');
      const provider = label.slice(0, slash);
      const model = label.slice(slash + 1);
      const book = await priceBook(projectId);
      const key = `${projectId}\u0000${provider}`;
      const now = Date.now();
      let cached = settings.get(key);
      if (!cached || cached.expires <= now) {
        const value = providers.settingsFor(projectId, provider, book);
        cached = { value, expires: now + ttlMs };
        settings.set(key, cached);
        // A failed lookup (not configured yet) is not remembered: configuring it works at once.
        value.catch(() => settings.delete(key));
      }
      return { label, provider, model, settings: await cached.value, prices: book };
    },
  };
}
