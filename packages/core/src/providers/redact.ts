/**
 * Redaction of provider credentials from error text. An upstream (a proxy, a self-hosted server,
 * a vendor's "invalid key sk-…" message) may echo the key or a header it was sent; that text then
 * reaches playground events, stored eval results (readable by viewers) and logs. Every provider
 * call's context (http.ts) applies {@link redactError} to each error it reports and
 * {@link redactSecrets} to each refusal it answers, so every caller benefits.
 */
import { AppError, isAppError } from '../errors.ts';
import type { ProviderSettings } from './types.ts';

/** What a redacted secret becomes. */
export const REDACTED = '[redacted]';

/** Shorter values are not treated as secrets: redacting "1" or "json" would shred messages. */
const MIN_SECRET_LENGTH = 8;
/** A run this long inside a secret is a piece of it (an upstream that echoes a truncated key). */
const MIN_FRAGMENT_LENGTH = 8;
const TOKEN = /[A-Za-z0-9_\-.~+/=]+/g;
/** Headers whose values are plain metadata (Anthropic's version, content types), never secrets. */
const PUBLIC_HEADERS = new Set([
  'anthropic-version',
  'content-type',
  'accept',
  'user-agent',
  'http-referer',
  'x-title',
]);

/**
 * The secret values in provider settings: the API key, every header value except well-known
 * public ones (the token of an `Authorization: Bearer …` too), a password or query value in the
 * base URL, and the `knownSecrets` a server adds (the project's other stored credentials). This is
 * the one definition of what a provider error must not show; every call context redacts with it
 * (http.ts), and so do the two paths that pass a provider's words on without an error (the
 * passthrough's in-stream errors, the eval HTTP provider).
 */
export function secretsOf(
  settings: Pick<ProviderSettings, 'apiKey' | 'headers' | 'baseUrl' | 'knownSecrets'>,
): string[] {
  const found = new Set<string>();
  const add = (value: string | undefined | null) => {
    const trimmed = value?.trim();
    if (trimmed !== undefined && trimmed.length >= MIN_SECRET_LENGTH) found.add(trimmed);
  };
  add(settings.apiKey);
  for (const value of settings.knownSecrets ?? []) add(value);
  for (const [name, value] of Object.entries(settings.headers ?? {})) {
    if (PUBLIC_HEADERS.has(name.toLowerCase())) continue;
    add(value);
    const scheme = /^\s*\w+\s+(\S+)\s*$/.exec(value);
    add(scheme?.[1]);
  }
  if (settings.baseUrl !== undefined) {
    try {
      const url = new URL(settings.baseUrl);
      add(decodeURIComponent(url.password));
      for (const value of url.searchParams.values()) add(value);
    } catch {
      // createProvider refuses a malformed base URL with its own error; it holds nothing to find.
    }
  }
  return [...found];
}

/**
 * `text` with every secret replaced by `[redacted]`: the value as sent, URL-encoded and
 * JSON-escaped, and any run of 8 or more token characters that is a piece of a secret.
 *
 * @example
 * redactSecrets('invalid key sk-live-0123456789', ['sk-live-0123456789']) // 'invalid key [redacted]'
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  if (secrets.length === 0 || text === '') return text;
  let out = text;
  const forms = new Set<string>();
  for (const secret of secrets) {
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  // Longest first, so a secret that contains another is replaced whole.
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    if (form.length >= MIN_SECRET_LENGTH) out = out.replaceAll(form, REDACTED);
  }
  return out.replace(TOKEN, (token) =>
    token.length >= MIN_FRAGMENT_LENGTH && token !== REDACTED && secrets.some((s) => s.includes(token))
      ? REDACTED
      : token,
  );
}

function redactValue(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redactSecrets(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, secrets));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, secrets)]));
  }
  return value;
}

/**
 * The same error with `secrets` redacted from its message, hint, details and cause chain (an
 * `AppError` keeps its code); other values are returned as they are (an abort reason).
 */
export function redactError(error: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0 || !(error instanceof Error)) return error;
  const cause = error.cause === undefined ? undefined : redactError(error.cause, secrets);
  if (isAppError(error)) {
    const hint = error.hint;
    // The message ends with the hint when there is one: keep them apart so the hint survives.
    const base =
      hint !== undefined && error.message.endsWith(` ${hint}`)
        ? error.message.slice(0, -hint.length - 1)
        : error.message;
    const redacted = new AppError(error.code, redactSecrets(base, secrets), {
      ...(hint === undefined ? {} : { hint: redactSecrets(hint, secrets) }),
      ...(error.errors === undefined
        ? {}
        : { errors: redactValue(error.errors, secrets) as typeof error.errors }),
      ...(error.details === undefined
        ? {}
        : { details: redactValue(error.details, secrets) as Record<string, unknown> }),
      ...(cause === undefined ? {} : { cause }),
    });
    return redacted;
  }
  const message = redactSecrets(error.message, secrets);
  if (message === error.message && cause === error.cause) return error;
  const copy = new Error(message, cause === undefined ? undefined : { cause });
  copy.name = error.name;
  return copy;
}
