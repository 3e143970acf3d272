/**
 * Instance admins in a real Chromium (issue 11): the security log page under Settings (filters, the
 * chain's status) for an instance admin only, and the project switcher entering a project the
 * instance admin is not a member of — as its admin. A project admin sees neither. Console errors
 * other than the refusals caused on purpose fail it; screenshots go to test-results/instance-admin/.
 */
import { join } from 'node:path';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall } from './api.ts';
import { launchChromium, newWatchedPage, prepareBrowserTest, shotsDir } from './browser.ts';

const SHOTS = shotsDir('instance-admin');
const ROOT_PASSWORD = 'first admin passphrase';
const GWEN_PASSWORD = 'gwen owns far away';

// Each test signs people in (scrypt) and drives Chromium: seconds on a quiet machine, more when loaded.
describe('instance admins: the security log and entering any project, in Chromium', {
  timeout: 120_000,
}, () => {
  let server: TestServer;
  let browser: Browser;
  const appErrors: string[] = [];

  const newPage = () =>
    newWatchedPage(browser, { viewport: { width: 1280, height: 800 }, timeout: 15_000, errors: appErrors });
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
  const who = (page: Page) => page.evaluate(async () => (await fetch('/api/v1/session')).json());
  const post = (path: string, body: unknown) =>
    fetch(`${server.url}/api/v1${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  async function signIn(page: Page, email: string, password: string) {
    await page.goto(`${server.url}/sign-in`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.pathname === '/');
  }

  beforeAll(async () => {
    await prepareBrowserTest(SHOTS);
    server = await startTestServer({ dialect: 'sqlite' });
    browser = await launchChromium();
    // Root: the first person, instance admin (first-run from this machine).
    expect(
      (await post('/setup', { email: 'root@example.com', name: 'Ruth Root', password: ROOT_PASSWORD }))
        .status,
    ).toBe(204);
    // "far-away": a project root is not a member of, run by Gwen (admin of it only).
    const far = await apiCall(server, 'POST', '/projects', { name: 'far-away' });
    const farKey = far.apiKey.key as string;
    const put = await fetch(`${server.url}/api/v1/members`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${farKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'gwen@example.com', role: 'admin' }),
    });
    const gwenId = ((await put.json()) as { user: { id: number } }).user.id;
    const password = await fetch(`${server.url}/api/v1/members/${gwenId}/password`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${farKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ password: GWEN_PASSWORD }),
    });
    expect(password.status).toBe(204);
    // Someone unknown is refused.
    expect(
      (await post('/session/password', { email: 'stranger@evil.test', password: 'let me in please' })).status,
    ).toBe(401);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('the instance admin reads the security log and filters it', async () => {
    const page = await newPage();
    await signIn(page, 'gwen@example.com', GWEN_PASSWORD);
    await page.context().close();
    const root = await newPage();
    await signIn(root, 'root@example.com', ROOT_PASSWORD);
    await root.goto(`${server.url}/settings/projects`);
    await root
      .getByRole('navigation', { name: 'Settings sections' })
      .getByRole('link', { name: 'Security log' })
      .click();
    await root.waitForURL(/\/settings\/security$/);
    const table = root.getByRole('table', { name: 'Security events' });
    await table
      .getByRole('row')
      .filter({ hasText: 'stranger@evil.test' })
      .getByText('session.sign_in_failed')
      .waitFor();
    await table
      .getByRole('row')
      .filter({ hasText: 'gwen@example.com' })
      .getByText(/in far-away/)
      .waitFor();
    await root
      .getByTestId('security-chain')
      .getByText(/Chain verified/)
      .waitFor();
    await shot(root, '1-security-log');
    const filter = root.getByRole('form', { name: 'Filter security events' });
    await filter.getByLabel('Type').selectOption('session.sign_in');
    await filter.getByRole('button', { name: 'Apply' }).click();
    await table.getByText('stranger@evil.test').waitFor({ state: 'detached' });
    await table.getByText('gwen@example.com').first().waitFor();
    await filter.getByLabel('Email').fill('root@example.com');
    await filter.getByRole('button', { name: 'Apply' }).click();
    await table.getByText('gwen@example.com').first().waitFor({ state: 'detached' });
    await shot(root, '2-filtered');
    await root.context().close();
    expect(appErrors).toEqual([]);
  });

  it('the project switcher enters a project the instance admin is not a member of, as its admin', async () => {
    const page = await newPage();
    await signIn(page, 'root@example.com', ROOT_PASSWORD);
    const switcher = page.getByRole('combobox', { name: 'Project' });
    // Entering reloads the app at '/', where the page already is: wait for that new load, not
    // for the URL (which matches at once and lets `who` run while the old page is torn down).
    const reloaded = page.waitForEvent('load');
    await switcher.selectOption({ label: 'far-away (enter as admin)' });
    await reloaded;
    expect(new URL(page.url()).pathname).toBe('/');
    await page.getByRole('combobox', { name: 'Project' }).waitFor();
    expect(await who(page)).toMatchObject({ project: { name: 'far-away' }, role: 'admin' });
    await shot(page, '3-entered');
    // Now a member: the option is plain, and far-away's own audit log says who came in.
    expect(await page.getByRole('combobox', { name: 'Project' }).textContent()).not.toContain(
      'enter as admin',
    );
    const audit = await page.evaluate(async () =>
      (await fetch('/api/v1/audit?action=project.instance_admin_access')).json(),
    );
    expect(audit.items).toEqual([
      expect.objectContaining({
        actor: 'root@example.com',
        data: expect.objectContaining({ via: 'session' }),
      }),
    ]);
    await page.context().close();
    expect(appErrors).toEqual([]);
  });

  it('a project admin sees no security log and enters no other project', async () => {
    const page = await newPage();
    await signIn(page, 'gwen@example.com', GWEN_PASSWORD);
    await page.goto(`${server.url}/settings/projects`);
    const tabs = page.getByRole('navigation', { name: 'Settings sections' });
    await tabs.getByRole('link', { name: 'Projects' }).waitFor();
    expect(await tabs.getByRole('link', { name: 'Security log' }).count()).toBe(0);
    // One project: no menu, just its name.
    expect(await page.getByRole('combobox', { name: 'Project' }).count()).toBe(0);
    await page.goto(`${server.url}/settings/security`);
    await page.getByText('INSTANCE_ADMIN_REQUIRED').first().waitFor();
    expect(await page.getByRole('table', { name: 'Security events' }).count()).toBe(0);
    await shot(page, '4-refused');
    await page.context().close();
    // The refusals this test caused on purpose are logged by the console as 403s.
    expect(appErrors.filter((e) => !/\b403\b/.test(e))).toEqual([]);
  });
});
