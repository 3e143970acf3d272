import { createHash } from 'node:crypto';
import { AppError } from '@promptline/core';

/**
 * What a limited key may reach. Only keys with some limit carry one, so the auth hook's check for
 * an unlimited key (the usual case) is a single property test.
 */
export interface KeyScope {
  /** Epoch ms after which the key is refused; null: never. */
  expiresAt: number | null;
  readOnly: boolean;
  /** Environment names the key may name; null: every one. */
  environments: ReadonlySet<string> | null;
  /** `support/*` (every name under `support/`) or one exact name; null: every prompt. */
  promptPrefix: string | null;
}

/** The scope of a key's stored limits, or undefined when it has none. */
export function scopeOf(key: {
  environments: string[] | null;
  promptPrefix: string | null;
  readOnly: boolean;
  expiresAt: string | null;
}): KeyScope | undefined {
  if (!key.environments && !key.promptPrefix && !key.readOnly && !key.expiresAt) return undefined;
  return {
    expiresAt: key.expiresAt ? Date.parse(key.expiresAt) : null,
    readOnly: key.readOnly,
    environments: key.environments ? new Set(key.environments) : null,
    promptPrefix: key.promptPrefix,
  };
}

/** Whether a prompt name is inside a key's prompt scope (`support/*` or an exact name). */
export function promptInScope(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/**
 * What an application (read-only) key may call, by method and route: reading what an environment
 * serves and sending telemetry. Everything else is refused with KEY_SCOPE.
 */
export const APPLICATION_ROUTES: ReadonlySet<string> = new Set([
  'GET /api/v1/prompts/:name/resolve',
  'POST /api/v1/prompts/:name/render',
  'GET /api/v1/environments/:env/snapshot',
  'GET /api/v1/environments/:env/stream',
  'POST /api/v1/traces',
  'POST /api/v1/scores',
  'POST /otel/v1/traces',
  'POST /api/public/otel/v1/traces',
  // The Langfuse SDKs' getPrompt (a label is an environment) and their trace and score ingestion.
  'GET /api/public/v2/prompts/:name',
  'POST /api/public/ingestion',
]);

/**
 * Routes a prompt-scoped key may call besides those addressing one prompt by name: lists that are
 * filtered to its prompts and telemetry it sends. Project-wide routes (datasets, audit, members,
 * traces lists…) would show other prompts' data, so they are refused.
 */
export const PROMPT_SCOPED_ROUTES: ReadonlySet<string> = new Set([
  'GET /api/v1/prompts',
  'POST /api/v1/prompts',
  'GET /api/v1/environments/:env/snapshot',
  'GET /api/v1/environments/:env/stream',
  'GET /api/v1/environments',
  'GET /api/v1/session',
  'POST /api/v1/traces',
  'POST /api/v1/scores',
  'POST /otel/v1/traces',
  'POST /api/public/otel/v1/traces',
]);

/** Routes that address one prompt by its name in the `name` path parameter. */
export function addressesPrompt(url: string): boolean {
  return url.startsWith('/api/v1/prompts/:name') || url.startsWith('/api/public/v2/prompts/:name');
}

export function scopeError(message: string, hint?: string): AppError {
  return new AppError('KEY_SCOPE', message, hint ? { hint } : undefined);
}

/**
 * Environments a request body names besides `env`: a promotion's `from` and `to`, and the labels
 * (environments) a Langfuse-compatible write deploys to (`latest` is no environment).
 */
export function bodyEnvironments(method: string, url: string, body: unknown): string[] {
  if (!body || typeof body !== 'object') return [];
  const fields = body as Record<string, unknown>;
  const strings = (value: unknown) =>
    Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  if (method === 'POST' && url === '/api/v1/prompts/:name/promote') {
    return [fields.from, fields.to].filter((v): v is string => typeof v === 'string');
  }
  if (url.startsWith('/api/public/v2/prompts') && method !== 'GET') {
    return [...strings(fields.labels), ...strings(fields.newLabels)].filter((label) => label !== 'latest');
  }
  return [];
}

/** Which environment a request names in its path, query or body (`env`), if any. */
export function environmentOf(source: unknown): string | undefined {
  if (source && typeof source === 'object' && 'env' in source) {
    const env = (source as { env: unknown }).env;
    if (typeof env === 'string') return env;
  }
  return undefined;
}

/**
 * An environment snapshot cut down to a prompt-scoped key's prompts, with an ETag of its own (so
 * a change outside the scope still answers 304 only when the whole snapshot is unchanged — never a
 * stale cut).
 */
export function scopedSnapshot(body: string, etag: string, pattern: string): { body: string; etag: string } {
  const snapshot = JSON.parse(body) as { etag: string; prompts: Record<string, unknown> };
  const prompts: Record<string, unknown> = {};
  for (const [name, served] of Object.entries(snapshot.prompts)) {
    if (promptInScope(pattern, name)) prompts[name] = served;
  }
  const scoped = scopedEtag(etag, pattern);
  return { body: JSON.stringify({ ...snapshot, etag: scoped, prompts }), etag: scoped };
}

/** The ETag of an environment snapshot cut to a prompt scope: the same for the snapshot route and the stream. */
export function scopedEtag(etag: string, pattern: string): string {
  return `"${createHash('sha256').update(`${etag}\n${pattern}`).digest('hex').slice(0, 27)}"`;
}
