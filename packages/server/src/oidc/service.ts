import { createHash } from 'node:crypto';
import { AppError, normalizeEmail } from '@promptline/core';
import type { FastifyBaseLogger } from 'fastify';
import * as client from 'openid-client';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/database.ts';
import type { PersonSession, PersonSignIn } from '../session/sign-in.ts';
import { type OidcSettings, roleOfGroups } from './settings.ts';
import { createOidcStore } from './store.ts';

/** How long a person has to come back from the provider's sign-in pages. */
export const OIDC_LOGIN_TTL_MS = 10 * 60 * 1000;

const hashState = (state: string) => createHash('sha256').update(state).digest('hex');

/** Loopback issuers may speak plain HTTP (development, tests); any other issuer must use HTTPS. */
function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/** What went wrong in the exchange, with the provider's own error code when it sent one (`invalid_grant`…). */
function describeFailure(error: unknown): string {
  if (error instanceof client.ResponseBodyError) {
    return `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** A same-app path to go to after signing in; anything else (another site, `//host`) becomes `/`. */
export function safeNext(next: string | undefined): string {
  return next?.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

/**
 * OpenID Connect sign-in (authorization code with PKCE, `state` and `nonce`), through
 * `openid-client`: it verifies the ID token's signature against the issuer's JWKS, its issuer,
 * audience, expiry and nonce. This service adds Promptline's rules — a verified email, the domain
 * allow-list, the group → role mapping — and hands the person to {@link PersonSignIn}.
 */
export function createOidcService({
  database,
  clock,
  settings: settingsOf,
  people,
  logger,
}: {
  database: Database;
  clock: Clock;
  /** Read on first use. */
  settings: () => OidcSettings;
  people: PersonSignIn;
  logger?: FastifyBaseLogger;
}) {
  const store = createOidcStore();
  let configuration: Promise<client.Configuration> | undefined;

  /** The provider's metadata, read on first use (the server starts even when the provider is down) and kept. */
  function discover(): Promise<client.Configuration> {
    const settings = settingsOf();
    const issuer = new URL(settings.issuer);
    configuration ??= client
      .discovery(
        issuer,
        settings.clientId,
        undefined,
        settings.clientSecret ? client.ClientSecretPost(settings.clientSecret) : client.None(),
        isLoopback(issuer) && issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {},
      )
      .catch((error: unknown) => {
        configuration = undefined;
        throw new AppError(
          'SSO_FAILED',
          `The identity provider at ${settings.issuer} could not be reached or described itself wrongly: ${String(error)}. Check PROMPTLINE_OIDC_ISSUER.`,
          { cause: error },
        );
      });
    return configuration;
  }

  async function refuse(error: AppError, email?: string, detail?: string): Promise<never> {
    throw await people.fail('oidc', error, { email, detail });
  }

  return {
    /** Starts a sign-in: remembers the attempt and answers the provider's URL and the `state` the browser keeps. */
    async start(next: string | undefined): Promise<{ url: string; state: string }> {
      const settings = settingsOf();
      const config = await discover();
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const now = clock.now().getTime();
      await store.deleteExpired(database.db, new Date(now).toISOString());
      await store.insert(database.db, {
        stateHash: hashState(state),
        codeVerifier,
        nonce,
        next: safeNext(next),
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + OIDC_LOGIN_TTL_MS).toISOString(),
      });
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUri,
        scope: settings.scopes,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return { url: url.toString(), state };
    },

    /**
     * Finishes a sign-in from the provider's redirect: `query` is the callback's query string,
     * `browserState` the state this browser was given by {@link start}.
     * @throws AppError SSO_STATE_INVALID, SSO_FAILED, SSO_EMAIL_UNVERIFIED, SSO_DOMAIN_NOT_ALLOWED,
     * ACCOUNT_NOT_ALLOWED — each audited as a failed sign-in.
     */
    async finish(query: string, browserState: string | undefined): Promise<PersonSession & { next: string }> {
      const settings = settingsOf();
      const params = new URLSearchParams(query);
      const state = params.get('state');
      if (!state || !browserState || state !== browserState) {
        return refuse(
          new AppError(
            'SSO_STATE_INVALID',
            'This sign-in did not start in this browser (its state does not match). Start again from the sign-in page.',
          ),
        );
      }
      const login = await store.take(database.db, hashState(state));
      if (!login || Date.parse(login.expiresAt) <= clock.now().getTime()) {
        return refuse(
          new AppError(
            'SSO_STATE_INVALID',
            'This sign-in attempt expired or was already used. Start again from the sign-in page.',
          ),
        );
      }
      const providerError = params.get('error');
      if (providerError) {
        const description = params.get('error_description') ?? '';
        return refuse(
          new AppError(
            'SSO_FAILED',
            `The identity provider refused the sign-in: ${providerError} ${description}`.trim(),
          ),
          undefined,
          providerError,
        );
      }
      const config = await discover();
      let claims: Record<string, unknown>;
      try {
        const tokens = await client.authorizationCodeGrant(
          config,
          new URL(`?${params.toString()}`, settings.redirectUri),
          {
            pkceCodeVerifier: login.codeVerifier,
            expectedState: state,
            expectedNonce: login.nonce,
            idTokenExpected: true,
          },
        );
        const idClaims = tokens.claims();
        if (!idClaims) throw new Error('the provider sent no ID token');
        claims = { ...idClaims };
        // Many providers put only `sub` in the ID token of the code flow: the rest is at userinfo.
        if (claims.email === undefined || claims[settings.groupsClaim] === undefined) {
          const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
          claims = { ...info, ...claims };
        }
      } catch (error) {
        logger?.warn({ err: error }, 'OpenID Connect: the code exchange or the ID token check failed');
        const detail = describeFailure(error);
        return refuse(
          new AppError(
            'SSO_FAILED',
            `The identity provider's answer was refused (${detail}). Start again from the sign-in page.`,
            { cause: error },
          ),
          undefined,
          detail,
        );
      }
      const email = typeof claims.email === 'string' ? normalizeEmail(claims.email) : undefined;
      if (!email) {
        return refuse(
          new AppError(
            'SSO_EMAIL_UNVERIFIED',
            'The identity provider sent no email address. Ask your administrator to release the email claim (scope "email") to Promptline.',
          ),
        );
      }
      // Some providers send the flag as a string.
      if (claims.email_verified !== true && claims.email_verified !== 'true') {
        return refuse(
          new AppError(
            'SSO_EMAIL_UNVERIFIED',
            `The identity provider has not verified ${email}. Verify it there, then sign in again.`,
          ),
          email,
        );
      }
      const domain = email.slice(email.lastIndexOf('@') + 1);
      if (settings.allowedDomains.length > 0 && !settings.allowedDomains.includes(domain)) {
        return refuse(
          new AppError(
            'SSO_DOMAIN_NOT_ALLOWED',
            `Addresses at ${domain} may not sign in here. Use your work account, or ask an admin to add ${domain} to PROMPTLINE_OIDC_ALLOWED_DOMAINS.`,
          ),
          email,
        );
      }
      const rawGroups = claims[settings.groupsClaim];
      const groups = Array.isArray(rawGroups)
        ? rawGroups.filter((g): g is string => typeof g === 'string')
        : typeof rawGroups === 'string'
          ? [rawGroups]
          : [];
      const mapped = roleOfGroups(groups, settings.roleMap);
      const name = typeof claims.name === 'string' ? claims.name : undefined;
      try {
        const session = await people.signIn({
          email,
          name,
          method: 'oidc',
          create: true,
          joinRole: mapped ?? settings.defaultRole,
          assertedRole: mapped,
        });
        return { ...session, next: login.next };
      } catch (error) {
        if (error instanceof AppError) return refuse(error, email);
        throw error;
      }
    },
  };
}

export type OidcService = ReturnType<typeof createOidcService>;
