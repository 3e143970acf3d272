import { AppError, type Role, roleAtLeast } from '@promptline/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import '../http/types.ts';
import { csrfProblem, sessionTokenOf } from '../session/cookie.ts';
import {
  APPLICATION_ROUTES,
  addressesPrompt,
  bodyEnvironments,
  environmentOf,
  type KeyScope,
  PROMPT_SCOPED_ROUTES,
  promptInScope,
  scopeError,
} from './scope.ts';
import type { AuthService, Principal } from './service.ts';

type RouteConfig = FastifyRequest['routeOptions']['config'];

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
  /** The app's clock in epoch ms (key expiry). */
  now: () => number = Date.now,
): void {
  const check = (request: FastifyRequest, principal: Principal | null, config: RouteConfig) =>
    checkAccess(request, principal, now, config);
  app.decorateRequest('principal', null);
  // A limited key's environment may be in the body (render, rollouts, experiments): checked once
  // the body is parsed. Unlimited keys (the usual case) pass with one property test.
  app.addHook('preHandler', (request, _reply, done) => {
    const scope = request.principal?.scope;
    if (!scope || (!scope.environments && scope.promptPrefix === null)) return done();
    const body = request.body;
    if (
      scope.promptPrefix !== null &&
      request.method === 'POST' &&
      request.routeOptions.url === '/api/v1/prompts'
    ) {
      const name = (body as { name?: unknown } | undefined)?.name;
      if (typeof name === 'string' && !promptInScope(scope.promptPrefix, name)) {
        return done(
          scopeError(
            `This key is limited to the prompts ${scope.promptPrefix}; "${name}" is outside.`,
            'Name the prompt inside the prefix, or use a key without a prompt prefix.',
          ),
        );
      }
    }
    const environments = scope.environments;
    if (!environments) return done();
    const env = environmentOf(body);
    if (env !== undefined && !environments.has(env)) return done(outsideEnvironments(env, environments));
    const named = bodyEnvironments(request.method, request.routeOptions.url ?? '', body);
    const outside = named.find((name) => !environments.has(name));
    if (outside !== undefined) return done(outsideEnvironments(outside, environments));
    if (
      env === undefined &&
      request.method === 'POST' &&
      request.routeOptions.url === '/api/v1/prompts/:name/render'
    ) {
      return done(
        scopeError(
          'A key limited to environments renders what an environment serves, not a version by number.',
          `Send "env" (one of ${[...environments].join(', ')}) instead of "version".`,
        ),
      );
    }
    done();
  });
  // Callback style with a synchronous path for cached keys: this runs before every request,
  // resolve (the hot path) included.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // Fastify builds a new routeOptions object on every read: read it once.
    const config = request.routeOptions.config;
    const url = config.url as string | undefined;
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
        const error = check(request, principal, config);
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
      const error = check(request, principal, config);
      if (!error) request.principal = principal;
      done(error);
    };
    const cached = auth.authenticateCached(key);
    if (cached !== undefined) return finish(cached);
    auth.authenticate(key).then(finish, done);
  });
}

function outsideEnvironments(env: string, environments: ReadonlySet<string>): AppError {
  return scopeError(
    `This key is limited to the environments ${[...environments].join(', ')}; the request names ${env}.`,
    'Use a key whose environments include it (POST /api/v1/api-keys with "environments").',
  );
}

/** The refusal of a limited key's request outside its limits, if it is. */
function checkScope(request: FastifyRequest, principal: Principal, scope: KeyScope, now: number) {
  if (scope.expiresAt !== null && now >= scope.expiresAt) {
    return new AppError(
      'KEY_EXPIRED',
      `The key "${principal.name}" expired at ${new Date(scope.expiresAt).toISOString()}.`,
      { hint: 'Use its replacement, or ask an admin for a new key (POST /api/v1/api-keys).' },
    );
  }
  const url = (request.routeOptions.config.url as string | undefined) ?? '';
  const route = `${request.method === 'HEAD' ? 'GET' : request.method} ${url}`;
  if (scope.readOnly && !APPLICATION_ROUTES.has(route)) {
    return scopeError(
      `The key "${principal.name}" is a read-only application key: it may read snapshots and streams, resolve and render, and send traces and scores — not ${route}.`,
      'Use a key that is not read-only for anything else.',
    );
  }
  if (scope.promptPrefix !== null) {
    const name = addressesPrompt(url) ? (request.params as { name?: unknown }).name : undefined;
    if (
      typeof name === 'string' ? !promptInScope(scope.promptPrefix, name) : !PROMPT_SCOPED_ROUTES.has(route)
    ) {
      return scopeError(
        typeof name === 'string'
          ? `The key "${principal.name}" is limited to the prompts ${scope.promptPrefix}; "${name}" is outside.`
          : `The key "${principal.name}" is limited to the prompts ${scope.promptPrefix}; ${route} reaches beyond them.`,
        'Use a key without a prompt prefix for project-wide requests.',
      );
    }
  }
  if (scope.environments) {
    const env =
      environmentOf(request.params) ??
      environmentOf(request.query) ??
      // Langfuse-compatible reads name the environment as a label (production by default).
      (url.startsWith('/api/public/v2/prompts/:name')
        ? ((request.query as { label?: string }).label ?? 'production')
        : undefined);
    if (env !== undefined && !scope.environments.has(env))
      return outsideEnvironments(env, scope.environments);
    if (
      url.startsWith('/api/public/v2/prompts/:name') &&
      (request.query as { version?: unknown }).version !== undefined
    ) {
      return scopeError(
        'A key limited to environments reads what an environment serves (a label), not a version by number.',
        `Ask by label (one of ${[...scope.environments].join(', ')}) instead of version.`,
      );
    }
  }
  return undefined;
}

function checkAccess(
  request: FastifyRequest,
  principal: Principal | null,
  now: () => number,
  config: RouteConfig,
): AppError | undefined {
  if (!principal) {
    return new AppError('UNAUTHORIZED', 'The API key is unknown or revoked.', {
      hint: 'Use a valid key, or create one with POST /api/v1/api-keys.',
    });
  }
  const scope = principal.scope;
  if (scope) {
    const refused = checkScope(request, principal, scope, now());
    if (refused) return refused;
    // An application key's routes are its whole permission, whatever role they ask of others.
    if (scope.readOnly) return undefined;
  }
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
