/**
 * The web app in a real Chromium, served by the real server at `/` (session cookie sign-in): sign in
 * → create a prompt → save v2 → diff → deploy → roll back → registry and audit → playground run on
 * the mock provider → eval run started from the prompt page. Any console error fails the test; each
 * step leaves a screenshot in test-results/web/.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.ts';
import { ensureWebBuild } from './build-web.ts';

const SHOTS = resolve(import.meta.dirname, '../test-results/web');

describe('web app in Chromium', () => {
  let api: TestServer;
  let web: { url: string };
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  let step = 0;

  const shot = async (name: string) => {
    step++;
    await page.screenshot({
      path: join(SHOTS, `${String(step).padStart(2, '0')}-${name}.png`),
      fullPage: true,
    });
    expect(consoleErrors, `console errors before "${name}"`).toEqual([]);
  };

  beforeAll(async () => {
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    await ensureWebBuild();
    // The server serves packages/web/dist itself: one origin, so the session cookie just works.
    api = await startTestServer({ dialect: 'sqlite' });
    web = api;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(10_000);
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`));
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('signs in with the API key and lands on the empty registry', async () => {
    await page.goto(`${web.url}/`);
    await page.waitForURL(/\/sign-in/);
    await page.getByLabel('API key').fill(api.apiKey);
    await shot('sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('No prompts yet').waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    // The key went to the server once; the browser holds only an HTTP-only session cookie.
    const cookie = (await page.context().cookies()).find((c) => c.name === 'promptline_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    const stored = await page.evaluate(() => JSON.stringify([{ ...sessionStorage }, { ...localStorage }]));
    expect(stored).not.toContain(api.apiKey);
    await shot('registry-empty');
  });

  it('refuses a wrong key with the server problem', async () => {
    const other = await browser.newPage();
    const errors: string[] = [];
    other.on('pageerror', (e) => errors.push(e.message));
    await other.goto(`${web.url}/sign-in`);
    await other.getByLabel('API key').fill('pl_wrong');
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.getByRole('alert').waitFor();
    expect(await other.getByRole('alert').textContent()).toContain('401');
    expect(errors).toEqual([]);
    await other.close();
  });

  it('creates a prompt with a first version', async () => {
    await page.getByRole('link', { name: 'New prompt' }).click();
    await page.getByLabel('Name').fill('support/triage');
    await page.getByLabel('Description').fill('Routes incoming tickets');
    await page.getByLabel('Tags').fill('support, routing');
    await page.getByLabel('First version (text template, optional)').fill('Classify the ticket: {{ticket}}');
    await shot('new-prompt');
    await page.getByRole('button', { name: 'Create prompt' }).click();
    await page.waitForURL(/\/prompts\/support\/triage/);
    await page.getByRole('heading', { name: 'support/triage' }).waitFor();
    await page.locator('.cm-content').waitFor();
    expect(await page.locator('.cm-content').textContent()).toBe('Classify the ticket: {{ticket}}');
    await shot('prompt-editor-v1');
  });

  it('edits the template and saves v2 with the semver it announced', async () => {
    const editor = page.locator('.cm-content');
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(' Answer with one word.');
    await page.getByText('Unsaved changes').waitFor();
    await page.getByRole('button', { name: 'Save…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.getByTestId('next-semver').textContent()).toBe('1.1.0');
    await dialog.getByLabel('Commit message').fill('Ask for a one-word answer');
    await shot('save-dialog');
    await dialog.getByRole('button', { name: 'Save version' }).click();
    await page.getByText('Saved v2 · 1.1.0').waitFor();
    expect(await page.locator('.prompt-head').textContent()).toContain('latest v2');
    await shot('saved-v2');
  });

  it('shows the change in the diff, side by side and unified', async () => {
    await page.getByRole('tab', { name: 'History' }).click();
    await page.getByText('Ask for a one-word answer').waitFor();
    await shot('history');
    await page.getByRole('tab', { name: 'Diff' }).click();
    const diff = page.getByTestId('diff');
    await diff.waitFor();
    expect(await diff.locator('ins').allTextContents()).toEqual([' Answer with one word.']);
    expect(await page.getByLabel('Before').textContent()).toBe('Classify the ticket: {{ticket}}');
    await shot('diff-split');
    await page.getByText('Unified').click();
    await page.getByLabel('Unified diff').waitFor();
    expect(page.url()).toContain('view=unified');
    await shot('diff-unified');
  });

  it('deploys v1 to production, then v2, and rolls back to v1', async () => {
    await page.getByRole('tab', { name: 'Deployments' }).click();
    await page.getByText('production: nothing deployed').waitFor();
    await page.getByLabel('Version to deploy').selectOption('1');
    await page.getByLabel('Reason', { exact: true }).fill('First release');
    await page.getByRole('button', { name: 'Deploy to production' }).click();
    await page.getByTestId('live-release').filter({ hasText: 'v1' }).waitFor();
    await page.getByRole('cell', { name: 'First release' }).waitFor();
    await shot('deployed-v1');

    await page.getByLabel('Version to deploy').selectOption('2');
    await page.getByLabel('Reason', { exact: true }).fill('One-word answers');
    await page.getByRole('button', { name: 'Deploy to production' }).click();
    await page.getByTestId('live-release').filter({ hasText: 'v2' }).waitFor();

    await page.getByLabel('Rollback reason').fill('Too terse');
    await page.getByRole('button', { name: 'Roll back' }).click();
    await page.getByTestId('live-release').filter({ hasText: 'v1' }).waitFor();
    const rows = page.getByRole('table', { name: 'Deployment history of production' }).locator('tbody tr');
    await rows.nth(2).waitFor();
    expect(await rows.count()).toBe(3);
    expect(await rows.first().textContent()).toContain('rollback');
    expect(await rows.first().textContent()).toContain('Too terse');
    await shot('rolled-back');
  });

  it('answers what was live at a past instant', async () => {
    const at = new Date(Date.now() + 60_000);
    const local = new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
    await page.getByLabel('Point in time').fill(local);
    await page.getByRole('button', { name: 'Ask' }).click();
    const answer = page.getByTestId('live-at-answer');
    await answer.waitFor();
    expect(await answer.textContent()).toMatch(/^v1 /);
  });

  it('lists the prompt in the registry with what production serves, and filters it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Registry' }).click();
    const row = page
      .getByRole('list', { name: 'Prompts' })
      .getByRole('listitem')
      .filter({ hasText: 'support/triage' });
    await row.waitFor();
    expect(await row.textContent()).toContain('v1');
    await page.getByLabel('Search prompts').fill('nothing-like-this');
    await page.getByText('No prompt matches these filters').waitFor();
    expect(page.url()).toContain('q=nothing-like-this');
    await page.getByLabel('Search prompts').fill('triage');
    await row.waitFor();
    await shot('registry');
  });

  it('shows the audit log with a verified chain, in the dark theme', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByTestId('chain-status').filter({ hasText: 'Chain verified' }).waitFor();
    expect(
      await page.getByRole('table', { name: 'Audit events' }).locator('tbody tr').count(),
    ).toBeGreaterThanOrEqual(5);
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await shot('audit-dark');
  });

  it('opens a saved version in the playground with a field per variable', async () => {
    await page.goto(`${web.url}/prompts/support/triage`);
    await page.getByRole('link', { name: 'Open in playground' }).click();
    await page.waitForURL(/\/playground\?prompt=support%2Ftriage&version=2/);
    await page.locator('.cm-content').filter({ hasText: 'Answer with one word.' }).waitFor();
    await page.getByLabel('ticket').waitFor();
    await page.getByRole('button', { name: '+ Model' }).click();
    expect(await page.locator('.model-config').count()).toBe(2);
    await shot('playground');
  });

  it('runs the playground on the mock provider: streamed output, tokens and cost per column', async () => {
    await page.getByLabel('ticket').fill('My invoice is wrong');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    for (const column of [0, 1]) {
      const metrics = page.getByTestId(`metrics-0-${column}`);
      await metrics.waitFor();
      const text = (await metrics.textContent()) ?? '';
      expect(text).toMatch(/tokens\s*\d+ in \/ \d+ out/);
      expect(text).toMatch(/cost\s*(\$[\d.e-]+|unknown price)/);
      const output = (await page.getByTestId(`output-0-${column}`).locator('pre').textContent()) ?? '';
      expect(output.length).toBeGreaterThan(1);
      expect(output).not.toBe('…');
    }
    expect(await page.getByTestId('metrics-0-0').textContent()).toMatch(/cost\s*\$/);
    await shot('playground-run');
  });

  it('starts an eval run from the prompt page and shows the matrix', async () => {
    const created = await fetch(`${api.url}/api/v1/datasets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'support/triage-cases',
        items: [
          { variables: { ticket: 'My invoice is wrong' }, expected: { type: 'contains', value: 'invoice' } },
          { variables: { ticket: 'The app crashes' }, expected: { type: 'contains', value: 'billing' } },
        ],
      }),
    });
    expect(created.status).toBe(201);
    await page.goto(`${web.url}/prompts/support%2Ftriage?tab=evals`);
    const form = page.getByRole('form', { name: 'Start an eval run' });
    await form.waitFor();
    await form.getByLabel('Dataset').fill('support/triage-cases');
    await form.getByLabel('v1', { exact: true }).check();
    await form.getByLabel('v2', { exact: true }).check();
    await shot('eval-start');
    await form.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/\/evals\/\d+$/);
    await page.locator('.badge.status-completed').waitFor({ timeout: 20_000 });
    const matrix = page.getByTestId('eval-matrix');
    await matrix.locator('tbody tr').nth(1).waitFor();
    expect(await matrix.locator('thead th').allTextContents()).toEqual([
      'Case',
      expect.stringMatching(/^v1 · mock/),
      expect.stringMatching(/^v2 · mock/),
    ]);
    expect(await matrix.locator('tbody tr').count()).toBe(2);
    // Case 1 expects "invoice" (in the mock's echo), case 2 "billing" (not): pass and fail on both versions.
    expect(await matrix.locator('tbody tr').first().locator('td.cell.pass').count()).toBe(2);
    expect(await matrix.locator('tbody tr').nth(1).locator('td.cell.fail').count()).toBe(2);
    await matrix.getByRole('button', { name: /^Case 2, v1/ }).click();
    const detail = page.getByRole('complementary', { name: 'Result detail' });
    expect(await detail.textContent()).toContain('contains');
    expect(await page.getByTestId('eval-summary').textContent()).toContain('4/4');
    await shot('eval-matrix');
  });

  it('shows an API problem instead of a blank page for an unknown prompt', async () => {
    await page.goto(`${web.url}/prompts/does/not-exist`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('PROMPT_NOT_FOUND');
    // The 404 itself is logged by Chromium as a failed resource load: expected here, and only here.
    const unexpected = consoleErrors.filter((e) => !e.includes('404'));
    consoleErrors.length = 0;
    expect(unexpected).toEqual([]);
    await shot('not-found');
  });
});
