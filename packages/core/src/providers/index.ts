/**
 * LLM provider clients.
 *
 * Why plain `fetch` against each wire format, and not the official SDKs or a multi-provider
 * library: Promptline needs exact control of the three things those hide — usage accounting
 * (cached tokens, Anthropic's split cache counts, Gemini's thinking tokens, estimating when a
 * compatible server sends none), timing (time to first token is measured at the first SSE delta,
 * not after an SDK's buffering), and retries (one policy for every vendor: 429/5xx, full jitter,
 * `Retry-After`, never after a stream began). Four SDKs would add megabytes, Node-only code
 * paths and four retry policies to a core that must run in browsers and edge runtimes; the wire
 * formats are small and stable, and the coming gateway forwards exactly these wire types, so it
 * reuses the mappings and the SSE parser here. The cost is maintaining the mappings, which the
 * tests pin against servers speaking each format.
 */
import { AppError } from '../errors.ts';
import { anthropicWire } from './anthropic.ts';
import { geminiWire } from './gemini.ts';
import { createMockProvider } from './mock.ts';
import { openAiWire } from './openai.ts';
import { type OpenAiPassthrough, openAiPassthrough } from './passthrough.ts';
import { createWireProvider } from './runtime.ts';
import type { Provider, ProviderSettings } from './types.ts';

export { estimateTokens } from './estimate.ts';
export { retryAfterMs } from './http.ts';
export { createMockProvider, mockEmbedding } from './mock.ts';
export type { OpenAiPassthrough, PassthroughAnswer, PassthroughTap } from './passthrough.ts';
export { REDACTED, redactError, redactSecrets, secretsOf } from './redact.ts';
export type { WireResult } from './runtime.ts';
export * from './types.ts';

/** Default base URLs of the hosted providers. */
export const PROVIDER_BASE_URLS = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
  gemini: 'https://generativelanguage.googleapis.com/v1beta',
} as const;

/** The provider kinds `createProvider` knows. */
export const PROVIDER_KINDS = ['openai', 'openai-compatible', 'anthropic', 'gemini', 'mock'] as const;

function requireKey(settings: ProviderSettings): string {
  if (settings.apiKey === undefined || settings.apiKey.trim() === '') {
    throw new AppError(
      'PROVIDER_NOT_CONFIGURED',
      `The ${settings.kind} provider needs an API key. Add the ${settings.kind} credentials to this project's providers.`,
      { details: { provider: settings.kind } },
    );
  }
  return settings.apiKey;
}

function checkBaseUrl(kind: string, baseUrl: string): string {
  try {
    const url = new URL(baseUrl);
    if (url.protocol === 'http:' || url.protocol === 'https:') return baseUrl;
  } catch {
    // reported below
  }
  throw new AppError(
    'PROVIDER_NOT_CONFIGURED',
    `The ${kind} provider's base URL "${baseUrl}" is not an http(s) URL. Use e.g. http://127.0.0.1:11434/v1.`,
    { details: { provider: kind } },
  );
}

/**
 * Creates a client for one provider: `complete()`, `stream()` and, where the provider has them,
 * `embed()`. Calls retry 429 and 5xx answers (`maxRetries`, default 3) and stop at `timeoutMs`
 * or on the request's `signal`; usage is estimated when the provider reports none, and `cost`
 * comes from `settings.prices` (default: the shipped price table).
 *
 * @throws AppError `PROVIDER_NOT_CONFIGURED` when a key or base URL is missing or malformed.
 * @example
 * const provider = createProvider({ kind: 'openai', apiKey: process.env.OPENAI_API_KEY });
 * for await (const event of provider.stream({ model: 'gpt-4o-mini', messages })) {
 *   if (event.type === 'delta') process.stdout.write(event.text);
 *   if (event.type === 'done') console.log(event.result.usage, event.result.cost);
 * }
 */
export function createProvider(settings: ProviderSettings): Provider {
  switch (settings.kind) {
    case 'openai':
      return createWireProvider(
        'openai',
        settings,
        openAiWire({
          dialect: 'openai',
          id: 'openai',
          baseUrl: checkBaseUrl('openai', settings.baseUrl ?? PROVIDER_BASE_URLS.openai),
          apiKey: requireKey(settings),
          headers: settings.headers,
        }),
      );
    case 'openai-compatible': {
      if (settings.baseUrl === undefined || settings.baseUrl.trim() === '') {
        throw new AppError(
          'PROVIDER_NOT_CONFIGURED',
          'An openai-compatible provider needs a base URL, e.g. http://127.0.0.1:11434/v1 for Ollama.',
          { details: { provider: 'openai-compatible' } },
        );
      }
      return createWireProvider(
        'openai-compatible',
        settings,
        openAiWire({
          dialect: 'openai-compatible',
          id: 'openai-compatible',
          baseUrl: checkBaseUrl('openai-compatible', settings.baseUrl),
          apiKey: settings.apiKey,
          headers: settings.headers,
        }),
      );
    }
    case 'anthropic':
      return createWireProvider(
        'anthropic',
        settings,
        anthropicWire({
          baseUrl: checkBaseUrl('anthropic', settings.baseUrl ?? PROVIDER_BASE_URLS.anthropic),
          apiKey: requireKey(settings),
          headers: settings.headers,
        }),
      );
    case 'gemini':
      return createWireProvider(
        'gemini',
        settings,
        geminiWire({
          baseUrl: checkBaseUrl('gemini', settings.baseUrl ?? PROVIDER_BASE_URLS.gemini),
          apiKey: requireKey(settings),
          headers: settings.headers,
        }),
      );
    case 'mock':
      return createMockProvider(settings);
    default: {
      const kind: string = (settings as { kind: string }).kind;
      throw new AppError(
        'PROVIDER_NOT_CONFIGURED',
        `Unknown provider kind "${kind}". Use one of: ${PROVIDER_KINDS.join(', ')}.`,
        { details: { provider: kind } },
      );
    }
  }
}

/**
 * A client that sends OpenAI-shaped requests to an `openai` or `openai-compatible` provider as they
 * are (no mapping), with the retries, timeout and cancellation of {@link createProvider}; the
 * provider's final refusal is answered, not thrown, so its status and body can be passed on.
 *
 * @throws AppError `PROVIDER_NOT_CONFIGURED` when a key or base URL is missing or malformed, or the
 *   provider does not speak the OpenAI format.
 */
export function createOpenAiPassthrough(settings: ProviderSettings): OpenAiPassthrough {
  if (settings.kind === 'openai') {
    return openAiPassthrough('openai', settings, {
      baseUrl: checkBaseUrl('openai', settings.baseUrl ?? PROVIDER_BASE_URLS.openai),
      apiKey: requireKey(settings),
    });
  }
  if (
    settings.kind === 'openai-compatible' &&
    settings.baseUrl !== undefined &&
    settings.baseUrl.trim() !== ''
  ) {
    return openAiPassthrough('openai-compatible', settings, {
      baseUrl: checkBaseUrl('openai-compatible', settings.baseUrl),
      apiKey: settings.apiKey,
    });
  }
  throw new AppError(
    'PROVIDER_NOT_CONFIGURED',
    settings.kind === 'openai-compatible'
      ? 'An openai-compatible provider needs a base URL, e.g. http://127.0.0.1:11434/v1 for Ollama.'
      : `The ${settings.kind} provider does not speak the OpenAI format; call it through createProvider.`,
    { details: { provider: settings.kind } },
  );
}
