/**
 * Single sign-on in a real Chromium: the web app's sign-in page → "Sign in with SSO" → the login
 * and consent pages of a real OpenID Connect provider (oidc-provider on 127.0.0.1) → back in the
 * app, signed in as that person through the HTTP-only session cookie. Then refusals land on the
 * sign-in page with the reason: a domain outside the allow-list, a callback whose state is not the
 * browser's, and a code that expired before it came back — each in the instance security log.
 */
import { join } from 'node:path';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { type OidcTestProvider, startOidcProvider } from '@promptline/server/test-helpers/oidc';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newWatchedPage, prepareBrowserTest, shotsDir } from './browser.ts';

const SHOTS = shotsDir('sso');

describe('single sign-on in Chromium', () => {
  let idp: OidcTestProvider;
  let server: TestServer;
  let browser: Browser;
  const appErrors: string[] = [];

  /** A fresh browser context (no cookies), with console errors of the app's own pages collected. */
  const newPage = () =>
    newWatchedPage(browser, {
      viewport: { width: 1280, height: 800 },
      timeout: 15_000,
      errors: appErrors,
      // The provider's development pages load a web font this offline machine cannot fetch.
      counts: (page) => page.url().startsWith(server.url),
    });

  beforeAll(async () => {
    await prepareBrowserTest(SHOTS);
    idp = await startOidcProvider({
      accounts: {
        ada: { email: 'ada@example.com', name: 'Ada Lovelace' },
        mallory: { email: 'mallory@elsewhere.test' },
      },
    });
    server = await startTestServer({
      dialect: 'sqlite',
      oidc: (url) => ({
        issuer: idp.issuer,
        clientId: idp.clientId,
        clientSecret: idp.clientSecret,
        redirectUri: `${url}/auth/oidc/callback`,
        defaultRole: 'viewer',
        allowedDomains: ['example.com'],
        groupsClaim: 'groups',
        roleMap: {},
        scopes: 'openid email profile',
      }),
    });
    idp.allowRedirect(`${server.url}/auth/oidc/callback`);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await idp?.close();
  });

  /** From the app's sign-in page through the provider's login and consent pages. */
  async function signInWithSso(page: Page, login: string, shots: string) {
    await page.goto(`${server.url}/datasets`);
    await page.waitForURL(/\/sign-in\?next=/);
    const sso = page.getByRole('link', { name: 'Sign in with SSO' });
    await sso.waitFor();
    await page.screenshot({ path: join(SHOTS, `${shots}-1-sign-in.png`) });
    await sso.click();
    await page.waitForURL((url) => url.origin === idp.issuer);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any password');
    await page.screenshot({ path: join(SHOTS, `${shots}-2-provider-login.png`) });
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
  }

  it('clicks "Sign in with SSO", signs in at the provider and lands signed in where it was going', async () => {
    const page = await newPage();
    await signInWithSso(page, 'ada', 'ada');
    await page.waitForURL((url) => url.origin === server.url && url.pathname === '/datasets');
    await page.getByRole('heading', { name: 'Datasets' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'ada-3-signed-in.png') });
    const cookie = (await page.context().cookies(server.url)).find((c) => c.name === 'promptline_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    const who = await page.evaluate(async () => (await fetch('/api/v1/session')).json());
    expect(who).toMatchObject({
      user: { email: 'ada@example.com', name: 'Ada Lovelace' },
      keyName: null,
      role: 'admin',
      via: 'cookie',
    });
    expect(appErrors).toEqual([]);
    await page.context().close();
  });

  it('signs in with the email and password an admin set', async () => {
    const auth = { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' };
    const added = await fetch(`${server.url}/api/v1/members`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ email: 'pat@example.com', role: 'editor' }),
    });
    const { user } = (await added.json()) as { user: { id: number } };
    const set = await fetch(`${server.url}/api/v1/members/${user.id}/password`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ password: 'correct horse battery staple' }),
    });
    expect(set.status).toBe(204);
    const page = await newPage();
    await page.goto(`${server.url}/datasets`);
    await page.waitForURL(/\/sign-in\?next=/);
    await page.getByLabel('Email').fill('pat@example.com');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('INVALID_CREDENTIALS');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.pathname === '/datasets');
    await page.getByRole('heading', { name: 'Datasets' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'pat-password-signed-in.png') });
    const who = await page.evaluate(async () => (await fetch('/api/v1/session')).json());
    expect(who).toMatchObject({ user: { email: 'pat@example.com' }, role: 'editor', keyName: null });
    // The console reports the refused attempt's 401 as an error: that one was expected.
    appErrors.splice(0, appErrors.length, ...appErrors.filter((e) => !e.includes('401')));
    expect(appErrors).toEqual([]);
    await page.context().close();
  });

  it('refuses an email outside the allowed domains and says why on the sign-in page', async () => {
    const page = await newPage();
    await signInWithSso(page, 'mallory', 'mallory');
    await page.waitForURL((url) => url.origin === server.url && url.pathname === '/sign-in');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('SSO_DOMAIN_NOT_ALLOWED');
    await page.screenshot({ path: join(SHOTS, 'mallory-3-refused.png') });
    expect((await page.context().cookies(server.url)).some((c) => c.name === 'promptline_session')).toBe(
      false,
    );
    expect(appErrors).toEqual([]);
    await page.context().close();
  });

  /** The newest refusal in the instance security log (the test key is an instance admin's). */
  async function lastRefusal() {
    const res = await fetch(
      `${server.url}/api/v1/instance/security-events?type=session.sign_in_failed&limit=1`,
      {
        headers: { authorization: `Bearer ${server.apiKey}` },
      },
    );
    return ((await res.json()) as { items: { data: Record<string, unknown> }[] }).items[0];
  }

  async function expectRefusedWith(page: Page, code: string, shot: string) {
    await page.waitForURL((url) => url.origin === server.url && url.pathname === '/sign-in');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain(code);
    await page.screenshot({ path: join(SHOTS, shot) });
    expect((await page.context().cookies(server.url)).some((c) => c.name === 'promptline_session')).toBe(
      false,
    );
    expect(await lastRefusal()).toMatchObject({ data: { method: 'oidc', code } });
  }

  it('refuses a callback whose state is not the one this browser was given', async () => {
    // A sign-in link started in another browser (login CSRF): this browser has its own attempt, but
    // the provider sends it back with the other browser's state.
    const started = await fetch(`${server.url}/auth/oidc/login`, { redirect: 'manual' });
    const foreignAuthorize = started.headers.get('location') ?? '';
    expect(foreignAuthorize.startsWith(idp.issuer)).toBe(true);
    const page = await newPage();
    await page.goto(`${server.url}/sign-in`);
    await page.getByRole('link', { name: 'Sign in with SSO' }).click();
    await page.waitForURL((url) => url.origin === idp.issuer);
    await page.goto(foreignAuthorize);
    await page.locator('input[name="login"]').fill('ada');
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await expectRefusedWith(page, 'SSO_STATE_INVALID', 'forged-3-refused.png');
    expect(appErrors).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('refuses a code that expired before the browser brought it back', async () => {
    idp.setCodeTtl(1);
    try {
      const page = await newPage();
      // The browser comes back after the code's one-second lifetime: a slow network (Chromium's
      // emulation, 2.5 s a response) from the consent on, so the app redeems the code too late.
      await page.goto(`${server.url}/sign-in`);
      await page.getByRole('link', { name: 'Sign in with SSO' }).click();
      await page.waitForURL((url) => url.origin === idp.issuer);
      await page.locator('input[name="login"]').fill('ada');
      await page.locator('input[name="password"]').fill('any password');
      await page.getByRole('button', { name: 'Sign-in' }).click();
      const consent = page.getByRole('button', { name: 'Continue' });
      await consent.waitFor();
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 2_500,
        downloadThroughput: -1,
        uploadThroughput: -1,
      });
      await consent.click();
      await page.waitForURL((url) => url.origin === server.url, { timeout: 30_000 });
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: -1,
      });
      await expectRefusedWith(page, 'SSO_FAILED', 'expired-3-refused.png');
      expect(appErrors).toEqual([]);
      await page.context().close();
    } finally {
      idp.setCodeTtl(60);
    }
  }, 60_000);
});
