import { AppError, type Role, roleAtLeast } from '@promptline/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import '../http/types.ts';
import { csrfProblem, sessionTokenOf } from '../session/cookie.ts';
import type { AuthService, Principal } from './service.ts';

/** The authenticated caller of a route that requires a key. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) {
    throw new AppError('UNAUTHORIZED', 'This route needs an API key: send "Authorization: Bearer <key>".');
  }
  return request.principal;
}

function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * The password of `Authorization: Basic base64(user:password)`: Langfuse SDKs send their public
 * key as the user and their secret key as the password, so a Promptline key goes in the password.
 */
export function basicPassword(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon === -1 ? '' : decoded.slice(colon + 1);
  return password === '' ? undefined : password;
}

/**
 * Checks `Authorization: Bearer <key>` (or the browser's session cookie) on every route not marked public, and the route's least
 * role (viewers read, editors write, admins manage keys).
 */
export function installAuth(
  app: FastifyInstance,
  auth: AuthService,
  /** Browser sessions: the `promptline_session` cookie is accepted where no bearer key is sent. */
  sessions?: { authenticate(token: string): Promise<Principal | null> },
): void {
  app.decorateRequest('principal', null);
  // Callback style with a synchronous path for cached keys: this runs before every request,
  // resolve (the hot path) included.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    const config = request.routeOptions.config;
    const url = request.routeOptions.url;
    if (request.is404 || config.public || url === undefined || url.startsWith('/docs')) return done();
    const key =
      bearer(request.headers.authorization) ??
      (config.basicAuth ? basicPassword(request.headers.authorization) : undefined);
    const sessionToken = key || !sessions ? undefined : sessionTokenOf(request);
    if (sessions && sessionToken) {
      const forged = csrfProblem(request);
      if (forged) {
        return done(
          new AppError('FORBIDDEN', `Refused: ${forged}. Send JSON from the Promptline app itself.`),
        );
      }
      sessions.authenticate(sessionToken).then((principal) => {
        if (!principal) {
          return done(
            new AppError(
              'UNAUTHORIZED',
              'Your session expired or was signed out. Sign in again with an API key.',
            ),
          );
        }
        const error = check(request, principal);
        if (!error) request.principal = principal;
        done(error);
      }, done);
      return;
    }
    if (!key && config.basicAuth) {
      return done(
        new AppError(
          'UNAUTHORIZED',
          'Missing API key. Send HTTP Basic auth with a Promptline key as the password (a Langfuse SDK\'s secretKey), or "Authorization: Bearer <key>".',
        ),
      );
    }
    if (!key) {
      return done(
        new AppError(
          'UNAUTHORIZED',
          'Missing API key. Send "Authorization: Bearer <key>" (set PROMPTLINE_API_KEY when starting the server to register one).',
        ),
      );
    }
    const finish = (principal: Principal | null) => {
      const error = check(request, principal);
      if (!error) request.principal = principal;
      done(error);
    };
    const cached = auth.authenticateCached(key);
    if (cached !== undefined) return finish(cached);
    auth.authenticate(key).then(finish, done);
  });
}

function check(request: FastifyRequest, principal: Principal | null): AppError | undefined {
  if (!principal) {
    return new AppError('UNAUTHORIZED', 'The API key is unknown or revoked.', {
      hint: 'Use a valid key, or create one with POST /api/v1/api-keys.',
    });
  }
  const config = request.routeOptions.config;
  const needed: Role =
    config.role ?? (request.method === 'GET' || request.method === 'HEAD' ? 'viewer' : 'editor');
  if (!roleAtLeast(principal.role, needed)) {
    return new AppError(
      'FORBIDDEN',
      `This needs the ${needed} role; the key "${principal.name}" is ${principal.role}. Use a key with the ${needed} role.`,
    );
  }
  return undefined;
}
