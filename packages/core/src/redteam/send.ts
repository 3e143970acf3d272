/**
 * The target of a run as a provider client: each probe turn is one `complete` call with the
 * prompt's parameters (and tools). The CLI and the server attack models through this one function.
 */
import type { ChatResult, ModelParameters, Provider } from '../providers/types.ts';
import type { RedteamSend } from './run.ts';

export interface ProviderTarget {
  model: string;
  parameters?: ModelParameters;
  responseFormat?: unknown;
  /** Told every answer (the server adds up cost). */
  onResult?(result: ChatResult): void;
}

/**
 * A send function over a provider client.
 *
 * @example runRedteam({ prompt, send: providerSend(createProvider({ kind: 'mock' }), { model: 'mock' }) })
 */
export function providerSend(client: Provider, target: ProviderTarget): RedteamSend {
  return async ({ messages, tools }, signal) => {
    const result = await client.complete({
      model: target.model,
      messages,
      ...(target.parameters ? { parameters: target.parameters } : {}),
      ...(target.responseFormat !== undefined ? { responseFormat: target.responseFormat } : {}),
      ...(tools && tools.length > 0 ? { tools } : {}),
      ...(signal ? { signal } : {}),
    });
    target.onResult?.(result);
    return { text: result.text, toolCalls: result.toolCalls, finishReason: result.finishReason };
  };
}
