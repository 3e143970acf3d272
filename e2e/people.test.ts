/**
 * People in a real Chromium (issue 11): the first-run screen creates the first admin (from the
 * server's own machine), the admin invites someone, the invitation link sets their password and
 * signs them in with the invited role, and they change their own password on the account page,
 * then sign in with it. Any console error fails it; screenshots go to test-results/people/.
 */
import { join } from 'node:path';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newWatchedPage, prepareBrowserTest, shotsDir } from './browser.ts';

const SHOTS = shotsDir('people');

describe('first run, invitations and own password in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let invitationLink = '';
  const appErrors: string[] = [];

  const newPage = () =>
    newWatchedPage(browser, { viewport: { width: 1280, height: 800 }, timeout: 15_000, errors: appErrors });
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
  const who = (page: Page) => page.evaluate(async () => (await fetch('/api/v1/session')).json());

  beforeAll(async () => {
    await prepareBrowserTest(SHOTS);
    server = await startTestServer({ dialect: 'sqlite' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('the first-run screen creates the first admin, who invites someone with a link', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/`);
    await page.waitForURL(/\/sign-in/);
    await page.getByRole('link', { name: 'Create the first admin' }).click();
    await page.waitForURL(/\/setup$/);
    const form = page.getByRole('form', { name: 'Create the first admin' });
    await form.getByLabel('Email').fill('root@example.com');
    await form.getByLabel('Name', { exact: true }).fill('Ruth Root');
    await form.getByLabel('Password (at least 12 characters)').fill('first admin passphrase');
    await form.getByLabel('Repeat the password').fill('first admin passphrase');
    await shot(page, '1-first-run');
    await form.getByRole('button', { name: 'Create admin' }).click();
    await page.waitForURL((url) => url.pathname === '/');
    expect(await who(page)).toMatchObject({
      user: { email: 'root@example.com' },
      role: 'admin',
      keyName: null,
    });

    await page.goto(`${server.url}/settings/people`);
    const invite = page.getByRole('form', { name: 'Invite someone' });
    await invite.getByLabel('Email').fill('bob@example.com');
    await invite.getByLabel('Role').selectOption('editor');
    await invite.getByRole('button', { name: 'Create invitation link' }).click();
    invitationLink = (await page.getByTestId('invitation-link').textContent()) ?? '';
    expect(invitationLink).toMatch(new RegExp(`^${server.url}/invite/[A-Za-z0-9_-]{43}$`));
    const row = page
      .getByRole('table', { name: 'Invitations' })
      .getByRole('row')
      .filter({ hasText: 'bob@example.com' });
    await row.getByText('pending').waitFor();
    await shot(page, '2-invited');
    // The screen is closed now.
    await page.goto(`${server.url}/setup`);
    await page.getByText('This server has an admin already.').waitFor();
    await page.context().close();
    expect(appErrors).toEqual([]);
  });

  it('the invitation link sets a password and signs the person in with the invited role, once', async () => {
    const page = await newPage();
    await page.goto(invitationLink);
    const form = page.getByRole('form', { name: 'Accept the invitation' });
    await form.getByText('bob@example.com', { exact: true }).waitFor();
    expect(await form.textContent()).toContain('default');
    await form.getByLabel('Your name').fill('Bob Builder');
    await form.getByLabel('Password (at least 12 characters)').fill('bob first passphrase');
    await form.getByLabel('Repeat the password').fill('bob first passphrase');
    await shot(page, '3-accept');
    await form.getByRole('button', { name: 'Set password and join' }).click();
    await page.waitForURL((url) => url.pathname === '/');
    expect(await who(page)).toMatchObject({
      user: { email: 'bob@example.com', name: 'Bob Builder' },
      role: 'editor',
    });

    // The account page: a wrong current password is refused, the right one changes it.
    await page.getByRole('link', { name: 'Account' }).click();
    const change = page.getByRole('form', { name: 'Change your password' });
    await change.getByLabel('Current password').fill('not my password');
    await change.getByLabel('New password (at least 12 characters)').fill('bob second passphrase');
    await change.getByRole('button', { name: 'Change password' }).click();
    await change.getByText('WRONG_PASSWORD').waitFor();
    await change.getByLabel('Current password').fill('bob first passphrase');
    await change.getByLabel('New password (at least 12 characters)').fill('bob second passphrase');
    await change.getByRole('button', { name: 'Change password' }).click();
    await change.getByRole('status').getByText('Password changed.').waitFor();
    await shot(page, '4-password-changed');
    expect((await who(page)).user.email).toBe('bob@example.com');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    await page.getByLabel('Email').fill('bob@example.com');
    await page.getByLabel('Password').fill('bob second passphrase');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.pathname === '/');

    // Used once: the link now says so.
    await page.goto(invitationLink);
    await page.getByText('INVITATION_INVALID').waitFor();
    await page.context().close();
    // Refusals the test caused on purpose (403 wrong password, 410 used link) are logged by the console.
    expect(appErrors.filter((e) => !/\b(403|410)\b/.test(e))).toEqual([]);
  });

  it('the instance admin creates a second project and switches between projects in the top bar', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/sign-in`);
    await page.getByLabel('Email').fill('root@example.com');
    await page.getByLabel('Password').fill('first admin passphrase');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.pathname === '/');
    // A prompt in the default project, to tell the projects apart.
    await page.evaluate(async () => {
      await fetch('/api/v1/prompts', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'default/only-here' }),
      });
    });
    await page.goto(`${server.url}/settings/projects`);
    const form = page.getByRole('form', { name: 'Create a project' });
    await form.getByLabel('Project name').fill('beta');
    await form.getByRole('button', { name: 'Create project' }).click();
    expect(await page.getByTestId('project-key').textContent()).toMatch(/^pl_/);
    await page.getByRole('table', { name: 'Projects' }).getByText('beta').waitFor();
    await shot(page, '5-project-created');
    const switcher = page.getByRole('combobox', { name: 'Project' });
    await switcher.selectOption({ label: 'beta' });
    await page.waitForURL((url) => url.pathname === '/');
    await page.getByRole('combobox', { name: 'Project' }).waitFor();
    expect((await who(page)).project.name).toBe('beta');
    await page.getByText('default/only-here').waitFor({ state: 'detached' });
    await shot(page, '6-switched-to-beta');
    // Bob has an account: the link to beta asks for his password, and leaves it as it is.
    await page.goto(`${server.url}/settings/people`);
    await page.getByRole('form', { name: 'Invite someone' }).getByLabel('Email').fill('bob@example.com');
    await page.getByRole('button', { name: 'Create invitation link' }).click();
    const link = (await page.getByTestId('invitation-link').textContent()) ?? '';
    const bobPage = await newPage();
    await bobPage.goto(link);
    const accept = bobPage.getByRole('form', { name: 'Accept the invitation' });
    await accept.getByLabel(/^Your password/).fill('bob second passphrase');
    await accept.getByRole('button', { name: 'Join', exact: true }).click();
    await bobPage.waitForURL((url) => url.pathname === '/');
    expect(await who(bobPage)).toMatchObject({
      user: { email: 'bob@example.com' },
      project: { name: 'beta' },
    });
    await bobPage.context().close();
    // Members of beta: change Bob's role, then remove him.
    await page.reload();
    const members = page.getByRole('table', { name: 'Members' });
    await members.getByLabel('Role of bob@example.com').selectOption('editor');
    await expect
      .poll(async () =>
        page.evaluate(async () => {
          const list = (await (await fetch('/api/v1/members')).json()) as {
            items: { role: string; user: { email: string } }[];
          };
          return list.items.find((m) => m.user.email === 'bob@example.com')?.role;
        }),
      )
      .toBe('editor');
    await members.getByRole('button', { name: 'Remove bob@example.com' }).click();
    await members.getByText('bob@example.com').waitFor({ state: 'detached' });
    await page.goto(`${server.url}/`);
    await page.getByRole('combobox', { name: 'Project' }).selectOption({ label: 'default' });
    await page.getByText('default/only-here').waitFor();
    expect((await who(page)).project.name).toBe('default');
    await page.context().close();
    expect(appErrors.filter((e) => !/\b(403|410)\b/.test(e))).toEqual([]);
  });
});
