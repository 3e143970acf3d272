/**
 * Branches in a real Chromium against the real server: the branch picker, the version graph, a
 * branch created from the page, and a merge whose conflict is resolved side by side.
 * Screenshots go to test-results/branches/.
 */
import { join } from 'node:path';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall } from './api.ts';
import { openBrowser, prepareBrowserTest, shotsDir } from './browser.ts';

const SHOTS = shotsDir('branches');
const P = encodeURIComponent('br/web');

describe('branches, graph and merge, in Chromium', () => {
  let api: TestServer;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const call = (method: string, path: string, body?: unknown) => apiCall(api, method, path, body);

  beforeAll(async () => {
    await prepareBrowserTest(SHOTS);
    api = await startTestServer({ dialect: 'sqlite' });
    await call('POST', '/prompts', {
      name: 'br/web',
      version: { type: 'text', template: 'intro\nBe brief.\noutro\n' },
    });
    ({ browser, page } = await openBrowser({
      viewport: { width: 1280, height: 900 },
      timeout: 10_000,
      errors: consoleErrors,
    }));
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('creates a branch from the page, draws the graph, and resolves a merge conflict side by side', async () => {
    await page.goto(`${api.url}/sign-in`);
    await page.getByLabel('API key').fill(api.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();

    await page.goto(`${api.url}/prompts/${P}?tab=branches`);
    await page.getByLabel('New branch name').fill('exp/terse');
    await page.getByRole('button', { name: 'New branch from main' }).click();
    await expect.poll(() => page.getByLabel('Branch', { exact: true }).inputValue()).toBe('exp/terse');

    await call('POST', `/prompts/${P}/versions`, {
      type: 'text',
      template: 'intro\nBe terse.\noutro\n',
      branch: 'exp/terse',
    });
    await call('POST', `/prompts/${P}/versions`, {
      type: 'text',
      template: 'intro\nBe very brief.\noutro\n',
    });
    await page.reload();
    await page
      .getByTestId('branch-compare')
      .filter({ hasText: '1 version(s) ahead of main, 1 behind' })
      .waitFor();
    const graph = page.getByTestId('version-graph');
    await expect.poll(() => graph.locator('[data-version]').count()).toBe(3);
    expect(await graph.locator('[data-edge="1->2"]').count()).toBe(1);
    expect(await graph.locator('[data-edge="1->3"]').count()).toBe(1);

    await page.getByTestId('merge-status').filter({ hasText: '1 conflict(s)' }).waitFor();
    const conflict = page.getByTestId('merge-conflict');
    await expect.poll(() => conflict.textContent()).toContain('Be very brief.');
    expect(await conflict.textContent()).toContain('Be terse.');
    await page.screenshot({ path: join(SHOTS, '01-conflict.png'), fullPage: true });
    const save = page.getByRole('button', { name: 'Save merge' });
    expect(await save.isDisabled()).toBe(true);
    await conflict.getByRole('button', { name: 'Use exp/terse' }).click();
    await save.click();
    await page.getByRole('status').filter({ hasText: 'Merged as v4' }).waitFor();

    const merged = await call('GET', `/prompts/${P}/versions/4`);
    expect(merged).toMatchObject({ template: 'intro\nBe terse.\noutro\n', parents: [3, 2], branch: null });
    await expect.poll(() => graph.locator('[data-edge="2->4"]').count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, '02-merged.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});
