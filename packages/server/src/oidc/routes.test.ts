/**
 * OpenID Connect sign-in against a real provider (oidc-provider on 127.0.0.1), both databases:
 * the first person becomes admin, later ones join with the default role or their group's, and
 * every way a callback can be wrong is refused (state, replay, reused or expired code, domain,
 * unverified email) and audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../session/cookie.ts';
import {
  createTestClient,
  DIALECTS,
  startTestServer,
  type TestClient,
  type TestServer,
} from '../test-helpers/index.ts';
import { type OidcTestProvider, startOidcProvider } from '../test-helpers/oidc-provider.ts';
import { OIDC_STATE_COOKIE } from './routes.ts';

const PUBLIC_URL = 'http://promptline.test';

for (const dialect of DIALECTS) {
  describe(dialect, () => {
    let idp: OidcTestProvider;
    let server: TestServer;
    let api: TestClient;

    beforeAll(async () => {
      idp = await startOidcProvider({
        accounts: {
          ada: { email: 'Ada@Example.com', name: 'Ada Lovelace' },
          bob: { email: 'bob@example.com' },
          dora: { email: 'dora@example.com' },
          carol: { email: 'carol@sub.example.org', groups: ['staff', 'pl-editors'] },
          eve: { email: 'eve@example.com', emailVerified: false },
          mallory: { email: 'mallory@evil.test' },
        },
      });
      idp.allowRedirect(`${PUBLIC_URL}/auth/oidc/callback`);
      server = await startTestServer({
        dialect,
        listen: false,
        oidc: {
          issuer: idp.issuer,
          clientId: idp.clientId,
          clientSecret: idp.clientSecret,
          redirectUri: `${PUBLIC_URL}/auth/oidc/callback`,
          defaultRole: 'viewer',
          allowedDomains: ['example.com', 'sub.example.org'],
          groupsClaim: 'groups',
          roleMap: { 'pl-editors': 'editor', 'pl-admins': 'admin' },
          scopes: 'openid email profile',
        },
      });
      api = createTestClient(server.app, server.apiKey);
    });

    afterAll(async () => {
      await server?.close();
      await idp?.close();
    });

    /** Starts a sign-in as the browser would: the provider's URL and the state cookie it was given. */
    async function begin(next?: string) {
      const url = next ? `/auth/oidc/login?next=${encodeURIComponent(next)}` : '/auth/oidc/login';
      const response = await server.app.inject({ url });
      expect(response.statusCode).toBe(302);
      const cookie = response.cookies.find((c) => c.name === OIDC_STATE_COOKIE);
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/auth/oidc' });
      return { location: String(response.headers.location), state: cookie?.value ?? '' };
    }

    async function callback(url: URL, state: string | undefined) {
      return server.app.inject({
        url: `${url.pathname}${url.search}`,
        ...(state === undefined ? {} : { cookies: { [OIDC_STATE_COOKIE]: state } }),
      });
    }

    /** The whole round trip for `login`; answers the callback's response. */
    async function signInAs(login: string, next?: string) {
      const started = await begin(next);
      return callback(await idp.signInHeadless(started.location, login), started.state);
    }

    const sessionOf = (response: { cookies: { name: string; value: string }[] }) =>
      response.cookies.find((c) => c.name === SESSION_COOKIE)?.value;

    const me = (token: string) =>
      server.app.inject({ url: '/api/v1/session', cookies: { [SESSION_COOKIE]: token } });

    /** Events of a type in the instance security log, newest first (the test key is an instance admin's). */
    async function securityEvents(type: string) {
      const page = await api.get(`/api/v1/instance/security-events?type=${type}&limit=100`);
      expect(page.status).toBe(200);
      return page.body.items as { actor: string; email: string | null; data: Record<string, unknown> }[];
    }

    async function auditActions(action: string) {
      const page = await api.get(`/api/v1/audit?action=${action}&limit=100`);
      expect(page.status).toBe(200);
      return page.body.items as { actor: string; target: string; data: Record<string, unknown> }[];
    }

    it('offers SSO on the sign-in page and sends the browser to the provider with PKCE, state and nonce', async () => {
      const methods = await server.app.inject({ url: '/api/v1/auth/methods' });
      expect(methods.json()).toMatchObject({ apiKey: true, sso: true });
      const { location, state } = await begin();
      const url = new URL(location);
      expect(url.origin).toBe(idp.issuer);
      expect(url.searchParams.get('client_id')).toBe(idp.clientId);
      expect(url.searchParams.get('redirect_uri')).toBe(`${PUBLIC_URL}/auth/oidc/callback`);
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
      expect(url.searchParams.get('nonce')).toMatch(/^[\w-]{20,}$/);
      expect(url.searchParams.get('state')).toBe(state);
    });

    it('signs the first person in as admin of the default project, with a session tied to them', async () => {
      const response = await signInAs('ada', '/prompts/x');
      expect(response.statusCode).toBe(302);
      expect(response.headers.location).toBe(
        `/sign-in?signed_in=oidc&next=${encodeURIComponent('/prompts/x')}`,
      );
      const token = sessionOf(response);
      expect(token).toMatch(/^[\w-]{43}$/);
      expect(response.cookies.find((c) => c.name === SESSION_COOKIE)).toMatchObject({
        httpOnly: true,
        sameSite: 'Strict',
      });
      const who = await me(token ?? '');
      expect(who.statusCode).toBe(200);
      expect(who.json()).toMatchObject({
        user: { email: 'ada@example.com', name: 'Ada Lovelace', initials: 'AL' },
        keyName: null,
        role: 'admin',
        project: { name: 'default' },
        via: 'cookie',
      });
      const created = await server.app.inject({
        method: 'POST',
        url: '/api/v1/prompts',
        cookies: { [SESSION_COOKIE]: token ?? '' },
        payload: { name: 'sso/by-ada' },
      });
      expect(created.statusCode).toBe(201);
      // What a person does is recorded as theirs.
      expect((await auditActions('prompt.create'))[0]).toMatchObject({
        actor: 'ada@example.com',
        target: 'sso/by-ada',
      });
      const members = await api.get('/api/v1/members');
      expect(members.body.items).toContainEqual(
        expect.objectContaining({
          user: expect.objectContaining({ email: 'ada@example.com', status: 'active' }),
          role: 'admin',
        }),
      );
      const signIns = await auditActions('session.sign_in');
      expect(signIns[0]).toMatchObject({
        actor: 'ada@example.com',
        data: { method: 'oidc', firstAdmin: true, role: 'admin' },
      });
    });

    it('lets later people join with the default role (viewer), who read but cannot write', async () => {
      const response = await signInAs('bob');
      const token = sessionOf(response) ?? '';
      expect((await me(token)).json()).toMatchObject({ user: { email: 'bob@example.com' }, role: 'viewer' });
      const write = await server.app.inject({
        method: 'POST',
        url: '/api/v1/prompts',
        cookies: { [SESSION_COOKIE]: token },
        payload: { name: 'sso/by-bob' },
      });
      expect(write.statusCode).toBe(403);
      expect((await auditActions('session.sign_in'))[0]).toMatchObject({
        actor: 'bob@example.com',
        data: { firstAdmin: false, joined: 'viewer' },
      });
    });

    it('maps a group claim to a role', async () => {
      const token = sessionOf(await signInAs('carol')) ?? '';
      expect((await me(token)).json()).toMatchObject({
        user: { email: 'carol@sub.example.org' },
        role: 'editor',
      });
    });

    it('claims an invitation: an invited person signing in with SSO joins with the invited role', async () => {
      const invited = await api.post('/api/v1/invitations', { email: 'dora@example.com', role: 'reviewer' });
      expect(invited.status).toBe(201);
      const token = sessionOf(await signInAs('dora')) ?? '';
      expect((await me(token)).json()).toMatchObject({
        user: { email: 'dora@example.com' },
        role: 'reviewer',
      });
      const listed = (await api.get('/api/v1/invitations')).body.items as { id: number; status: string }[];
      expect(listed.find((i) => i.id === invited.body.id)?.status).toBe('accepted');
      expect((await auditActions('invitation.accept'))[0]).toMatchObject({
        actor: 'dora@example.com',
        data: { role: 'reviewer', method: 'oidc' },
      });
    });

    it('refuses a callback whose state is not the one this browser was given, and audits it', async () => {
      const started = await begin();
      const returned = await idp.signInHeadless(started.location, 'bob');
      for (const state of ['not-the-state', undefined]) {
        const response = await callback(returned, state);
        expect(response.statusCode).toBe(302);
        expect(response.headers.location).toBe('/sign-in?error=SSO_STATE_INVALID');
        expect(sessionOf(response)).toBeUndefined();
      }
      const failures = await securityEvents('session.sign_in_failed');
      expect(failures[0]).toMatchObject({
        actor: 'anonymous',
        data: { method: 'oidc', code: 'SSO_STATE_INVALID' },
      });
    });

    it('refuses a replayed callback, and a code used twice', async () => {
      const started = await begin();
      const returned = await idp.signInHeadless(started.location, 'bob');
      const first = await callback(returned, started.state);
      expect(sessionOf(first)).toBeDefined();
      // The same callback again: its attempt was used.
      const replay = await callback(returned, started.state);
      expect(replay.headers.location).toBe('/sign-in?error=SSO_STATE_INVALID');
      // The used code under a fresh attempt of this browser: the provider refuses it.
      const fresh = await begin();
      const freshState = new URL(fresh.location).searchParams.get('state') ?? '';
      const reused = new URL(returned);
      reused.searchParams.set('state', freshState);
      const response = await callback(reused, fresh.state);
      expect(response.headers.location).toBe('/sign-in?error=SSO_FAILED');
      expect(sessionOf(response)).toBeUndefined();
      expect((await securityEvents('session.sign_in_failed'))[0]).toMatchObject({
        data: { code: 'SSO_FAILED', detail: expect.stringMatching(/^invalid_grant/) },
      });
    });

    it('refuses an expired code', async () => {
      idp.setCodeTtl(1);
      try {
        const started = await begin();
        const returned = await idp.signInHeadless(started.location, 'bob');
        await new Promise((resolve) => setTimeout(resolve, 2_100));
        const response = await callback(returned, started.state);
        expect(response.headers.location).toBe('/sign-in?error=SSO_FAILED');
        expect(sessionOf(response)).toBeUndefined();
      } finally {
        idp.setCodeTtl(60);
      }
    });

    it('refuses an email outside the allowed domains, and creates no user', async () => {
      const response = await signInAs('mallory');
      expect(response.headers.location).toBe('/sign-in?error=SSO_DOMAIN_NOT_ALLOWED');
      expect(sessionOf(response)).toBeUndefined();
      const members = await api.get('/api/v1/members');
      expect(JSON.stringify(members.body)).not.toContain('mallory');
      expect((await securityEvents('session.sign_in_failed'))[0]).toMatchObject({
        actor: 'mallory@evil.test',
        email: 'mallory@evil.test',
        data: { code: 'SSO_DOMAIN_NOT_ALLOWED' },
      });
      // A stranger's refusal is the instance's business, not the default project's.
      expect(JSON.stringify((await api.get('/api/v1/audit?limit=500')).body)).not.toContain('mallory');
    });

    it('refuses an email the provider has not verified', async () => {
      const response = await signInAs('eve');
      expect(response.headers.location).toBe('/sign-in?error=SSO_EMAIL_UNVERIFIED');
      expect(sessionOf(response)).toBeUndefined();
    });

    it('signs out (audited), and a person removed from the project loses their session', async () => {
      const ada = sessionOf(await signInAs('ada')) ?? '';
      const bob = sessionOf(await signInAs('bob')) ?? '';
      const out = await server.app.inject({
        method: 'DELETE',
        url: '/api/v1/session',
        cookies: { [SESSION_COOKIE]: ada },
      });
      expect(out.statusCode).toBe(204);
      expect((await me(ada)).statusCode).toBe(401);
      expect((await auditActions('session.sign_out'))[0]).toMatchObject({
        actor: 'ada@example.com',
        data: { method: 'oidc' },
      });
      expect((await securityEvents('session.sign_out'))[0]).toMatchObject({
        email: 'ada@example.com',
        data: { method: 'oidc' },
      });
      const bobId = (await me(bob)).json().user.id;
      expect((await api.delete(`/api/v1/members/${bobId}`)).status).toBe(204);
      expect((await me(bob)).statusCode).toBe(401);
      // Removed people do not come back by signing in again.
      const again = await signInAs('bob');
      expect(again.headers.location).toBe('/sign-in?error=ACCOUNT_NOT_ALLOWED');
      // Once removed, bob is the instance's business: his refusal is not in the project's log.
      expect((await securityEvents('session.sign_in_failed'))[0]).toMatchObject({
        email: 'bob@example.com',
        data: { code: 'ACCOUNT_NOT_ALLOWED' },
      });
      const failed = await auditActions('session.sign_in_failed');
      expect(failed).toEqual([]);
    });
  });
}

describe('without SSO configured', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ listen: false });
  });
  afterAll(async () => server?.close());

  it('does not offer it, and /auth/oidc/login answers SSO_NOT_CONFIGURED', async () => {
    expect((await server.app.inject({ url: '/api/v1/auth/methods' })).json()).toMatchObject({ sso: false });
    const response = await server.app.inject({ url: '/auth/oidc/login' });
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('SSO_NOT_CONFIGURED');
  });
});
