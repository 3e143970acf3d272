import type { FastifyReply, FastifyRequest } from 'fastify';
import '@fastify/cookie';

/** Name of the HTTP-only cookie that carries the session token. */
export const SESSION_COOKIE = 'promptline_session';

/** The session token of a request's cookie, if any (@fastify/cookie must be registered first). */
export function sessionTokenOf(request: FastifyRequest): string | undefined {
  const value = request.cookies?.[SESSION_COOKIE];
  return value ? value : undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Why a cookie-authenticated request must be refused as a possible cross-site request forgery, or
 * undefined. SameSite=Strict already keeps the cookie off cross-site requests; on top, a write must
 * carry JSON (which an HTML form cannot send) and an `Origin`, when present, must be this host.
 */
/**
 * Body types a cookie-authenticated write may carry: none of them can be sent by an HTML form, and
 * a cross-site `fetch` with any of them needs a CORS preflight this server never grants. (The
 * form-sendable ones — `text/plain`, `application/x-www-form-urlencoded`, `multipart/form-data` —
 * are what a forged request would use.) CSV and NDJSON are the web app's dataset imports.
 */
const COOKIE_BODY_TYPES = new Set(['application/json', 'text/csv', 'application/x-ndjson']);

export function csrfProblem(request: FastifyRequest): string | undefined {
  if (SAFE_METHODS.has(request.method)) return undefined;
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      // An Origin that is no URL matches no host: refused below.
      host = undefined;
    }
    let own: string | undefined;
    try {
      own = new URL(`${request.protocol}://${request.headers.host ?? ''}`).host;
    } catch {
      // A garbled Host header matches no Origin: refused below.
      own = undefined;
    }
    if (host === undefined || host !== own) return `the Origin ${origin} is not this server`;
  } else if (origin === 'null') {
    return 'the request has an opaque Origin';
  }
  const hasBody =
    request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (hasBody && !COOKIE_BODY_TYPES.has(type ?? ''))
    return 'a write with a session cookie must send application/json (or a text/csv or application/x-ndjson import)';
  return undefined;
}

/**
 * Whether the cookie must be `Secure`: the request came over HTTPS, directly or through a proxy that
 * says so. Trusting `x-forwarded-proto` here is safe: it can only make the cookie stricter.
 */
export function isHttps(request: FastifyRequest): boolean {
  const forwarded = request.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return request.protocol === 'https' || first === 'https';
}

/**
 * Sets the session cookie: HTTP-only, SameSite=Strict, whole site, `Secure` over HTTPS. No Max-Age:
 * the cookie goes when the browser closes; the server ends the session after 12 h idle.
 */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string): void {
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: isHttps(request),
  });
}
