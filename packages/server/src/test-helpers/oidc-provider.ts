/**
 * A real OpenID Connect provider (`oidc-provider`, the certified Node implementation) on 127.0.0.1
 * and a free port, for SSO tests: its own signing keys and JWKS, authorization code with PKCE, the
 * development login and consent pages (any password is accepted for a known login).
 *
 * @example
 * const idp = await startOidcProvider({ accounts: { ada: { email: 'ada@example.com' } } });
 * idp.allowRedirect('http://127.0.0.1:4100/auth/oidc/callback');
 * const callback = await idp.signInHeadless(authorizationUrl, 'ada'); // the redirect back, with code and state
 * await idp.close();
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface OidcTestAccount {
  email: string;
  /** Default true. */
  emailVerified?: boolean;
  name?: string;
  groups?: string[];
}

export interface OidcTestProvider {
  /** `http://127.0.0.1:<port>` */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Registers the client with this redirect URI (once, before the first sign-in). */
  allowRedirect(redirectUri: string): void;
  /** Lifetime of the authorization codes issued from now on (default 60 s). */
  setCodeTtl(seconds: number): void;
  /**
   * Plays the browser at the provider without one: opens `authorizationUrl`, signs in as `login`
   * on the login page, confirms the consent page, and answers the URL the provider redirects back
   * to (the redirect URI with `code`, `state` and `iss`), without following it.
   */
  signInHeadless(authorizationUrl: string, login: string): Promise<URL>;
  close(): Promise<void>;
}

export async function startOidcProvider(options: {
  accounts: Record<string, OidcTestAccount>;
}): Promise<OidcTestProvider> {
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => {
    if (handler) return handler(req, res);
    res.statusCode = 503;
    res.end('the test provider has no client yet: call allowRedirect() first');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'promptline-test';
  const clientSecret = randomBytes(24).toString('base64url');
  let codeTtl = 60;
  let redirect: string | undefined;

  return {
    issuer,
    clientId,
    clientSecret,
    setCodeTtl(seconds) {
      codeTtl = seconds;
    },
    allowRedirect(redirectUri) {
      if (redirect !== undefined) {
        if (redirect !== redirectUri) throw new Error(`the client is registered with ${redirect} already`);
        return;
      }
      redirect = redirectUri;
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: [redirectUri],
            grant_types: ['authorization_code'],
            response_types: ['code'],
            token_endpoint_auth_method: 'client_secret_post',
          },
        ],
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
        cookies: { keys: [randomBytes(16).toString('hex')] },
        // Its own signing key (the ID tokens' signature is checked against the JWKS it publishes).
        jwks: {
          keys: [
            {
              ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
              use: 'sig',
              alg: 'RS256',
            },
          ],
        },
        ttl: { AuthorizationCode: () => codeTtl },
        async findAccount(_ctx, id) {
          const account = options.accounts[id];
          if (!account) return undefined;
          return {
            accountId: id,
            async claims() {
              return {
                sub: id,
                email: account.email,
                email_verified: account.emailVerified ?? true,
                ...(account.name ? { name: account.name } : {}),
                ...(account.groups ? { groups: account.groups } : {}),
              };
            },
          };
        },
      });
      handler = provider.callback();
    },
    async signInHeadless(authorizationUrl, login) {
      const jar = new Map<string, string>();
      const send = async (url: string, body?: URLSearchParams) => {
        const response = await fetch(url, {
          method: body ? 'POST' : 'GET',
          redirect: 'manual',
          headers: {
            cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
            ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          },
          ...(body ? { body } : {}),
        });
        for (const line of response.headers.getSetCookie()) {
          const [pair = ''] = line.split(';');
          const eq = pair.indexOf('=');
          jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
        }
        return response;
      };
      let url = authorizationUrl;
      for (let hop = 0; hop < 20; hop++) {
        if (redirect && url.startsWith(redirect)) return new URL(url);
        const response = await send(url);
        const location = response.headers.get('location');
        if (location) {
          url = new URL(location, url).toString();
          continue;
        }
        const html = await response.text();
        const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
        const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
        if (!action || !prompt)
          throw new Error(`unexpected page at ${url} (${response.status}): ${html.slice(0, 300)}`);
        const form = new URLSearchParams({ prompt });
        if (prompt === 'login') {
          form.set('login', login);
          form.set('password', 'any');
        }
        const submitted = await send(new URL(action, url).toString(), form);
        const next = submitted.headers.get('location');
        if (!next)
          throw new Error(`the ${prompt} form at ${url} answered ${submitted.status} without a redirect`);
        url = new URL(next, url).toString();
      }
      throw new Error('the provider kept redirecting');
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
