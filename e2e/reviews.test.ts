/**
 * Reviews in a real Chromium against the real server: the deploy form explains staging's policy and
 * opens a deployment request; the author cannot approve it; a reviewer finds it in the review inbox,
 * sees the diff against what is live and the eval runs, approves, and the request deploys.
 * Screenshots go to test-results/reviews/.
 */
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, signInWithKey } from './api.ts';
import { numberedShots, openBrowser, prepareBrowserTest, shotsDir } from './browser.ts';

const SHOTS = shotsDir('reviews');

describe('review inbox and deployment requests, in Chromium', () => {
  let api: TestServer;
  let browser: Browser;
  let page: Page;
  let reviewerKey = '';
  const consoleErrors: string[] = [];
  const shot = numberedShots(SHOTS, () => page);
  const call = (method: string, path: string, body?: unknown) => apiCall(api, method, path, body);
  const signIn = (key: string) => signInWithKey(page, api.url, key);

  beforeAll(async () => {
    await prepareBrowserTest(SHOTS);
    api = await startTestServer({ dialect: 'sqlite' });
    await call('POST', '/prompts', {
      name: 'rev/triage',
      version: { type: 'text', template: 'Sort {{ticket}}' },
    });
    await call('POST', `/prompts/${encodeURIComponent('rev/triage')}/versions`, {
      type: 'text',
      template: 'Sort {{ticket}} by urgency',
    });
    await call('PUT', `/prompts/${encodeURIComponent('rev/triage')}/deployments/staging`, { version: 1 });
    await call('PATCH', '/environments/staging', { policy: { requiredApprovals: 1 } });
    reviewerKey = (
      await call('POST', '/api-keys', { name: 'rita', role: 'reviewer', user: 'rita@people.test' })
    ).key;
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

  it("edits a prompt's owner, reviewers and stakeholders, and the registry filters by owner", async () => {
    await call('POST', '/prompts', { name: 'rev/other', owner: 'growth' });
    await signIn(api.apiKey);
    await page.goto(`${api.url}/prompts/rev%2Ftriage`);
    await page.getByRole('button', { name: 'Edit ownership' }).click();
    const dialog = page.getByRole('dialog', { name: 'Ownership' });
    await dialog.getByLabel('Owner').fill('support-team');
    await dialog.getByLabel('Reviewers').fill('rita@people.test');
    await dialog.getByLabel('Stakeholders').fill('#support-leads, lin@people.test');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page
      .getByTestId('ownership')
      .filter({
        hasText:
          'Owner support-team · reviewers rita@people.test · stakeholders #support-leads, lin@people.test',
      })
      .waitFor();
    await shot('ownership');
    const stored = await call('GET', `/prompts/${encodeURIComponent('rev/triage')}`);
    expect(stored).toMatchObject({ owner: 'support-team', reviewers: ['rita@people.test'] });

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Registry' }).click();
    await page.getByLabel('Owner').selectOption('support-team');
    await page.waitForURL(/owner=support-team/);
    await page.getByRole('link', { name: 'rev/triage' }).first().waitFor();
    expect(await page.getByRole('link', { name: 'rev/other' }).count()).toBe(0);
    await shot('registry-by-owner');
  });

  it('opens a request from the deploy form, refuses self-approval, and deploys on a reviewer approval', async () => {
    await signIn(api.apiKey);
    await page.goto(`${api.url}/prompts/rev%2Ftriage?tab=deployments`);
    await page.getByRole('tab', { name: /^staging/ }).click();
    await page
      .getByTestId('policy-summary')
      .filter({ hasText: 'Policy of staging: 1 approval(s) by someone else.' })
      .waitFor();
    await page.getByLabel('Version to deploy').selectOption('2');
    const request = page.getByRole('button', { name: 'Request deployment' });
    expect(await request.isDisabled()).toBe(true); // a request needs a reason
    await page.getByLabel('Reason', { exact: true }).fill('Urgency first');
    await shot('deploy-form-policy');
    await request.click();
    await page.waitForURL(/\/requests\/\d+$/);
    await page.getByTestId('request-status').filter({ hasText: 'pending' }).waitFor();
    await page.getByTestId('request-live').filter({ hasText: 'live now: v1' }).waitFor();
    const diff = page.getByTestId('diff');
    expect((await diff.locator('ins').allTextContents()).join('')).toContain('urgency');
    await shot('request-page');

    // The author may not approve their own request.
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('SELF_APPROVAL').waitFor();
    expect(consoleErrors.every((e) => e.includes('status of 403'))).toBe(true);
    consoleErrors.length = 0;

    await signIn(reviewerKey);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reviews' }).click();
    const inbox = page.getByRole('table', { name: 'Deployment requests' });
    await inbox.getByRole('cell', { name: 'rev/triage' }).waitFor();
    await shot('review-inbox');
    await inbox.getByRole('link', { name: /^#\d+$/ }).click();
    await page.getByLabel('Comment').fill('Reads well');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByTestId('request-status').filter({ hasText: 'deployed' }).waitFor();
    await page.getByTestId('request-approvals').filter({ hasText: '1 of 1 needed' }).waitFor();
    await page.getByText('rita@people.test approved').or(page.getByText('rita approved')).first().waitFor();
    await shot('request-deployed');
    const live = await call('GET', `/prompts/${encodeURIComponent('rev/triage')}/deployments/staging`);
    expect(live.version).toBe(2);
    expect(consoleErrors).toEqual([]);
  });
});
