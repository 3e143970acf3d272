import type { HttpTransport } from '@promptline/core';
import type { ProviderMetrics } from '../prometheus/registry.ts';

/**
 * A provider transport that records every HTTP request it sends (/metrics): the provider, the
 * status (or network_error, timeout, aborted) and the time to the answer's headers. Every way
 * Promptline calls a provider (gateway, playground, evals, connection tests) gets its settings from
 * the provider service, which puts this transport in them.
 */
export function meteredTransport(
  provider: string,
  metrics: ProviderMetrics,
  base: HttpTransport = fetch,
): HttpTransport {
  return async (url, init) => {
    const started = performance.now();
    try {
      const response = await base(url, init);
      metrics.request(provider, response.status, (performance.now() - started) / 1000);
      return response;
    } catch (error) {
      const reason = init.signal.aborted
        ? (init.signal.reason as { name?: unknown } | undefined)?.name === 'TimeoutError'
          ? 'timeout'
          : 'aborted'
        : 'network_error';
      metrics.request(provider, reason, (performance.now() - started) / 1000);
      throw error;
    }
  };
}
