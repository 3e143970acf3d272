import {
  AppError,
  createPriceBook,
  createProvider,
  DEFAULT_PRICES,
  type HttpTransport,
  type PriceBook,
  type PriceOverride,
  type PriceTable,
  type ProviderCredentialRequest,
  type ProviderInfo,
  type ProviderKind,
  type ProviderSettings,
  type ProviderTestResult,
  secretsOf,
} from '@promptline/core';
import type { SecretBox } from '@promptline/core/node';
import { z } from 'zod';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import { decodeJsonAs } from '../db/codecs.ts';
import type { Database } from '../db/database.ts';
import type { ProviderMetrics } from '../prometheus/registry.ts';
import { meteredTransport } from './metered-transport.ts';
import { createProviderStore, type StoredCredential } from './store.ts';

/** The kinds listed even before anything is configured, in this order. */
const BUILT_IN: readonly ProviderKind[] = ['openai', 'anthropic', 'gemini', 'openai-compatible', 'mock'];
const KINDS = new Set<string>(BUILT_IN);

/** What the secret column holds, encrypted. */
/** What a credential's encrypted column holds, checked when decrypted (no blind cast). */
const Secret = z.object({
  apiKey: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
});
type Secret = z.infer<typeof Secret>;

/** A hint short enough that it reveals little of a real key: nothing at all for short ones. */
function hintOf(apiKey: string | undefined): string | null {
  return apiKey !== undefined && apiKey.length >= 12 ? `…${apiKey.slice(-4)}` : null;
}

function info(provider: string, kind: ProviderKind, stored: StoredCredential | undefined): ProviderInfo {
  return {
    provider,
    kind,
    configured: kind === 'mock' || stored !== undefined,
    baseUrl: stored?.baseUrl ?? null,
    keyHint: stored?.keyHint ?? null,
    headerNames: stored?.headerNames ?? [],
    updatedAt: stored?.updatedAt ?? null,
    updatedBy: stored?.updatedBy ?? null,
  };
}

function invalid(path: string, message: string, detail: string): AppError {
  return new AppError('VALIDATION_FAILED', detail, { errors: [{ path, message }] });
}

/**
 * Provider credentials and price overrides of a project. Keys and extra headers are stored
 * encrypted with the server's secret box, bound to "<project>/<provider>"; nothing here returns,
 * logs or audits them — only their last four characters and the header names.
 */
export function createProviderService({
  database,
  clock,
  audit,
  secretBox,
  metrics,
  transport,
}: {
  database: Database;
  clock: Clock;
  audit: AuditService;
  secretBox: SecretBox;
  /** Counts every HTTP request to a provider (/metrics): settings carry a transport that records them. */
  metrics?: ProviderMetrics | undefined;
  /** How provider requests are sent (the server's undici agent); default core's, `fetch`. */
  transport?: HttpTransport | undefined;
}) {
  const store = createProviderStore();
  const boundTo = (projectId: number, provider: string) => `${projectId}/${provider}`;

  function decrypt(projectId: number, stored: StoredCredential): Secret {
    if (stored.secret === null) return {};
    return decodeJsonAs(
      Secret,
      secretBox.decrypt(stored.secret, boundTo(projectId, stored.provider)),
      `credentials of provider "${stored.provider}"`,
    );
  }

  async function overrides(projectId: number) {
    return store.prices(database.db, projectId);
  }

  const service = {
    /** The built-in kinds (configured or not) and every provider the project configured under its own name. */
    async list(projectId: number): Promise<ProviderInfo[]> {
      const stored = await store.list(database.db, projectId);
      const byName = new Map(stored.map((c) => [c.provider, c]));
      const items = BUILT_IN.map((kind) => info(kind, kind, byName.get(kind)));
      for (const c of stored) {
        if (!KINDS.has(c.provider)) items.push(info(c.provider, c.kind as ProviderKind, c));
      }
      return items;
    },

    /**
     * Stores credentials for `provider`. Omitted fields keep their stored value; `null` clears
     * `baseUrl` or `headers`.
     *
     * @throws AppError VALIDATION_FAILED when the result could not be called (no key, no base URL, no kind).
     */
    async configure(
      projectId: number,
      provider: string,
      request: ProviderCredentialRequest,
      actor: string,
    ): Promise<ProviderInfo> {
      if (provider === 'mock') {
        throw invalid(
          '',
          'the mock provider has no credentials',
          'The mock provider needs no credentials; use it as is.',
        );
      }
      return database.db.transaction().execute(async (trx) => {
        const existing = await store.find(trx, projectId, provider);
        const kind = KINDS.has(provider) ? (provider as ProviderKind) : (request.kind ?? existing?.kind);
        if (kind === undefined) {
          throw invalid(
            'kind',
            'required for a provider name that is not a provider kind',
            `"${provider}" is not a provider kind: say which wire format it speaks with "kind" (openai-compatible for Ollama, vLLM, LM Studio, OpenRouter…).`,
          );
        }
        if (KINDS.has(provider) && request.kind !== undefined && request.kind !== provider) {
          throw invalid(
            'kind',
            `must be ${provider}`,
            `The "${provider}" provider is of kind ${provider}; leave "kind" out.`,
          );
        }
        const previous = existing ? decrypt(projectId, existing) : {};
        const apiKey = request.apiKey ?? previous.apiKey;
        const headers = request.headers === null ? undefined : (request.headers ?? previous.headers);
        const baseUrl = request.baseUrl === null ? null : (request.baseUrl ?? existing?.baseUrl ?? null);
        if (kind !== 'openai-compatible' && apiKey === undefined) {
          throw invalid('apiKey', 'required', `The ${kind} provider needs an API key: send {"apiKey": "…"}.`);
        }
        if (kind === 'openai-compatible' && baseUrl === null) {
          throw invalid(
            'baseUrl',
            'required',
            'An openai-compatible provider needs a base URL, e.g. {"baseUrl": "http://127.0.0.1:11434/v1"} for Ollama.',
          );
        }
        const secret: Secret = {
          ...(apiKey === undefined ? {} : { apiKey }),
          ...(headers === undefined ? {} : { headers }),
        };
        const stored: StoredCredential = {
          provider,
          kind,
          secret:
            Object.keys(secret).length === 0
              ? null
              : secretBox.encrypt(JSON.stringify(secret), boundTo(projectId, provider)),
          keyHint: hintOf(apiKey),
          headerNames: Object.keys(headers ?? {}).sort(),
          baseUrl,
          updatedAt: isoNow(clock),
          updatedBy: actor,
        };
        await store.save(trx, projectId, stored);
        await audit.append(trx, {
          projectId,
          actor,
          action: 'provider.configure',
          targetType: 'provider',
          target: provider,
          // What changed, never a secret (not even its hint).
          data: {
            kind,
            baseUrl,
            apiKey: request.apiKey !== undefined ? 'replaced' : apiKey !== undefined ? 'kept' : 'none',
            headerNames: stored.headerNames,
            created: existing === undefined,
          },
        });
        return info(provider, kind as ProviderKind, stored);
      });
    },

    /** @throws AppError PROVIDER_CREDENTIALS_NOT_FOUND (404) when nothing is stored for `provider`. */
    async remove(projectId: number, provider: string, actor: string): Promise<void> {
      await database.db.transaction().execute(async (trx) => {
        const existing = await store.find(trx, projectId, provider);
        if (!existing || !(await store.remove(trx, projectId, provider))) {
          throw new AppError(
            'PROVIDER_CREDENTIALS_NOT_FOUND',
            `No credentials are stored for "${provider}". List providers with GET /api/v1/providers.`,
            { details: { provider } },
          );
        }
        await audit.append(trx, {
          projectId,
          actor,
          action: 'provider.remove',
          targetType: 'provider',
          target: provider,
          data: { kind: existing.kind, baseUrl: existing.baseUrl },
        });
      });
    },

    /**
     * Every secret this project stores for any provider (keys, secret header values and bearer
     * tokens, base-URL passwords): what no provider error may show, whichever provider it came
     * from. Settings from {@link settingsFor} carry them as `knownSecrets`; uploads of local runs
     * are redacted with them too.
     */
    async knownSecrets(projectId: number): Promise<string[]> {
      const found = new Set<string>();
      for (const stored of await store.list(database.db, projectId)) {
        const secret = decrypt(projectId, stored);
        const values = secretsOf({
          ...(secret.apiKey === undefined ? {} : { apiKey: secret.apiKey }),
          ...(secret.headers === undefined ? {} : { headers: secret.headers }),
          ...(stored.baseUrl === null ? {} : { baseUrl: stored.baseUrl }),
        });
        for (const value of values) found.add(value);
      }
      return [...found];
    },

    /**
     * How to call `provider` for this project (decrypted), with the project's prices and the
     * project's other secrets to redact from its errors.
     *
     * @throws AppError PROVIDER_NOT_CONFIGURED when it needs credentials nobody stored.
     */
    async settingsFor(projectId: number, provider: string, prices: PriceBook): Promise<ProviderSettings> {
      if (provider === 'mock') return { kind: 'mock', prices };
      const stored = await store.find(database.db, projectId, provider);
      if (!stored) {
        throw new AppError(
          'PROVIDER_NOT_CONFIGURED',
          KINDS.has(provider)
            ? `No ${provider} credentials are stored for this project. Add them with PUT /api/v1/providers/${provider} {"apiKey": "…"}, or use the mock provider.`
            : `No provider named "${provider}" is configured. Add it with PUT /api/v1/providers/${provider} {"kind": "openai-compatible", "baseUrl": "…"}, or use one of: ${BUILT_IN.join(', ')}.`,
          { details: { provider } },
        );
      }
      const secret = decrypt(projectId, stored);
      const knownSecrets = await service.knownSecrets(projectId);
      return {
        kind: stored.kind as ProviderSettings['kind'],
        prices,
        knownSecrets,
        ...(secret.apiKey === undefined ? {} : { apiKey: secret.apiKey }),
        ...(secret.headers === undefined ? {} : { headers: secret.headers }),
        ...(stored.baseUrl === null ? {} : { baseUrl: stored.baseUrl }),
        ...(metrics
          ? { transport: meteredTransport(provider, metrics, transport) }
          : transport
            ? { transport }
            : {}),
      };
    },

    /**
     * Checks that `provider` answers with the stored credentials: one real request for one token
     * of `model` (no retries, 20 s at most). Nothing is stored or audited. The provider's error
     * text is passed on with the stored secrets redacted (by the provider runtime), as upstreams may echo a key.
     *
     * @throws AppError PROVIDER_NOT_CONFIGURED (nothing stored, or a base URL is missing),
     *   PROVIDER_ERROR (the provider refused or could not be reached; the detail says why).
     */
    async testConnection(projectId: number, provider: string, model: string): Promise<ProviderTestResult> {
      const settings = await service.settingsFor(projectId, provider, createPriceBook([]));
      try {
        const result = await createProvider({ ...settings, maxRetries: 0, timeoutMs: 20_000 }).complete({
          model,
          messages: [{ role: 'user', content: 'Reply with the word: ok' }],
          parameters: { maxTokens: 1, temperature: 0 },
        });
        return {
          provider,
          kind: settings.kind,
          model,
          latencyMs: result.latencyMs,
          reply: result.text,
        };
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        // The provider runtime has already redacted the credentials from its errors (core's redact.ts).
        const hint = error.hint;
        const base =
          hint !== undefined && error.message.endsWith(` ${hint}`)
            ? error.message.slice(0, -hint.length - 1)
            : error.message;
        throw new AppError(error.code, base, {
          details: { ...error.details, provider, model },
          ...(hint === undefined ? {} : { hint }),
        });
      }
    },

    /** The project's price overrides and the shipped table. */
    async prices(projectId: number): Promise<PriceTable> {
      const stored = await overrides(projectId);
      return {
        items: stored?.entries ?? [],
        defaults: [...DEFAULT_PRICES],
        updatedAt: stored?.updatedAt ?? null,
        updatedBy: stored?.updatedBy ?? null,
      };
    },

    /** Replaces the project's price overrides. */
    async setPrices(projectId: number, items: PriceOverride[], actor: string): Promise<PriceTable> {
      // Fails early on a malformed entry, with the same checks the price book applies.
      createPriceBook(items);
      const updatedAt = isoNow(clock);
      await database.db.transaction().execute(async (trx) => {
        const before = await store.prices(trx, projectId);
        await store.savePrices(trx, projectId, { entries: items, updatedAt, updatedBy: actor });
        await audit.append(trx, {
          projectId,
          actor,
          action: 'prices.update',
          targetType: 'prices',
          target: 'prices',
          data: { before: before?.entries ?? [], after: items },
        });
      });
      return { items, defaults: [...DEFAULT_PRICES], updatedAt, updatedBy: actor };
    },

    /** Prices for cost accounting: the shipped table with the project's overrides on top. */
    async priceBook(projectId: number): Promise<PriceBook> {
      return createPriceBook((await overrides(projectId))?.entries ?? []);
    },
  };
  return service;
}

export type ProviderService = ReturnType<typeof createProviderService>;
