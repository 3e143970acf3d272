import { AppError, isAppError } from '@promptline/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problemResponses } from '../http/schemas.ts';
import { isHttps, setSessionCookie } from '../session/cookie.ts';
import { OIDC_LOGIN_TTL_MS, type OidcService } from './service.ts';

/** The cookie that binds a sign-in attempt to the browser that started it (login CSRF). */
export const OIDC_STATE_COOKIE = 'promptline_oidc_state';
const STATE_COOKIE_PATH = '/auth/oidc';

const tags = ['session'];

/** Where the web app's sign-in page shows a refused sign-in. */
const signInPageWithError = (code: string) => `/sign-in?error=${encodeURIComponent(code)}`;

function clearStateCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(OIDC_STATE_COOKIE, {
    path: STATE_COOKIE_PATH,
    httpOnly: true,
    sameSite: 'lax',
    secure: isHttps(request),
  });
}

/**
 * OpenID Connect sign-in, browser-facing: `GET /auth/oidc/login` sends the browser to the identity
 * provider, `GET /auth/oidc/callback` (the redirect URI) brings it back signed in. Both answer with
 * redirects: a refusal lands on the sign-in page with `?error=<code>`.
 */
export function registerOidcRoutes(app: FastifyInstance, { oidc }: { oidc: OidcService | undefined }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/auth/oidc/login', {
    config: { public: true },
    schema: {
      operationId: 'startOidcSignIn',
      tags,
      summary: 'Sign in with SSO: redirects to the OpenID Connect provider',
      description:
        'Answers 302 to the provider (authorization code with PKCE, `state` and `nonce`) and sets a short-lived `promptline_oidc_state` cookie (HttpOnly, SameSite=Lax) that the callback checks. `next` is a path of the web app to land on.',
      security: [],
      querystring: z.object({ next: z.string().max(2000).optional() }),
      response: { 302: z.null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      if (!oidc) {
        throw new AppError(
          'SSO_NOT_CONFIGURED',
          'Single sign-on is not configured on this server. Set PROMPTLINE_OIDC_ISSUER, PROMPTLINE_OIDC_CLIENT_ID and PROMPTLINE_PUBLIC_URL, or sign in with a password or an API key.',
        );
      }
      let started: { url: string; state: string };
      try {
        started = await oidc.start(request.query.next);
      } catch (error) {
        if (!isAppError(error)) throw error;
        request.log.warn({ err: error }, 'OpenID Connect: the sign-in could not start');
        return reply.redirect(signInPageWithError(error.code), 302);
      }
      // Lax, not Strict: the provider's redirect back is a cross-site navigation, which must carry it.
      reply.setCookie(OIDC_STATE_COOKIE, started.state, {
        path: STATE_COOKIE_PATH,
        httpOnly: true,
        sameSite: 'lax',
        secure: isHttps(request),
        maxAge: OIDC_LOGIN_TTL_MS / 1000,
      });
      return reply.redirect(started.url, 302);
    },
  });

  r.get('/auth/oidc/callback', {
    config: { public: true },
    schema: {
      operationId: 'finishOidcSignIn',
      tags,
      summary: "SSO redirect URI: checks the provider's answer and opens the session",
      description:
        'Register `<PROMPTLINE_PUBLIC_URL>/auth/oidc/callback` with the provider. Answers 302 to the web app with the session cookie set, or to `/sign-in?error=<code>` (SSO_STATE_INVALID, SSO_FAILED, SSO_EMAIL_UNVERIFIED, SSO_DOMAIN_NOT_ALLOWED, ACCOUNT_NOT_ALLOWED).',
      security: [],
      response: { 302: z.null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      clearStateCookie(request, reply);
      if (!oidc) return reply.redirect(signInPageWithError('SSO_NOT_CONFIGURED'), 302);
      const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
      try {
        const session = await oidc.finish(query, request.cookies[OIDC_STATE_COOKIE]);
        setSessionCookie(request, reply, session.token);
        return reply.redirect(`/sign-in?signed_in=oidc&next=${encodeURIComponent(session.next)}`, 302);
      } catch (error) {
        if (!isAppError(error)) throw error;
        request.log.info({ code: error.code }, 'OpenID Connect: sign-in refused');
        return reply.redirect(signInPageWithError(error.code), 302);
      }
    },
  });
}
