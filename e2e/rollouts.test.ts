/**
 * Guarded rollouts in a real Chromium against the real server (checks every second): started from
 * the deploy form, followed on the rollout page until the guardrail proves a regression and rolls
 * back (interval chart, evidence); pause / resume / advance / abort by an editor; a viewer sees no
 * buttons. Screenshots go to test-results/rollouts/.
 */
import { randomBytes } from 'node:crypto';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, signInWithKey } from './api.ts';
import { numberedShots, openBrowser, prepareBrowserTest, shotsDir } from './browser.ts';

const SHOTS = shotsDir('rollouts');
const NAME = 'ro/web';

/** `count` calls of `version` in production, the first `errors` failed, all within the last seconds. */
function spans(version: number, count: number, errors: number) {
  const start = Date.now() - 2_000;
  return Array.from({ length: count }, (_, i) => ({
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    name: 'llm.call',
    startTime: start,
    endTime: start + 100,
    status: i < errors ? 'error' : 'ok',
    prompt: { name: NAME, version, environment: 'production' },
    unit: `u-${version}-${i}`,
  }));
}

describe('rollout page, in Chromium', () => {
  let api: TestServer;
  let browser: Browser;
  let page: Page;
  let viewerKey = '';
  const consoleErrors: string[] = [];
  const shot = numberedShots(SHOTS, () => page);
  const call = (method: string, path: string, body?: unknown) => apiCall(api, method, path, body);
  const signIn = (key: string) => signInWithKey(page, api.url, key);

  beforeAll(async () => {
    await prepareBrowserTest(SHOTS);
    api = await startTestServer({ dialect: 'sqlite', rollouts: { checkEverySeconds: 1 } });
    await call('POST', '/prompts', { name: NAME, version: { type: 'text', template: 'Answer {{q}}' } });
    for (const template of ['Answer {{q}} briefly', 'Answer {{q}} in detail']) {
      await call('POST', `/prompts/${encodeURIComponent(NAME)}/versions`, { type: 'text', template });
    }
    await call('PUT', `/prompts/${encodeURIComponent(NAME)}/deployments/production`, { version: 1 });
    viewerKey = (await call('POST', '/api-keys', { name: 'vic', role: 'viewer' })).key;
    ({ browser, page } = await openBrowser({
      viewport: { width: 1280, height: 900 },
      timeout: 15_000,
      errors: consoleErrors,
    }));
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('starts a rollout from the deploy form and watches its guardrail roll it back', async () => {
    await signIn(api.apiKey);
    await page.goto(`${api.url}/prompts/${encodeURIComponent(NAME)}?tab=deployments&env=production`);
    await page.getByText('Guarded rollout').click();
    await page.getByLabel('Candidate version').selectOption('2');
    await page.getByLabel('Steps in percent').fill('50, 100');
    await page.getByLabel('Minutes per step').fill('60');
    await page.getByLabel('Error rate tolerance in percent').fill('5');
    await shot('rollout-form');
    await page.getByRole('button', { name: 'Start rollout in production' }).click();
    await page.waitForURL(/\/rollouts\/\d+$/);
    const id = Number(page.url().split('/').at(-1));
    await page.getByTestId('rollout-status').filter({ hasText: 'running' }).waitFor();
    await page.getByTestId('rollout-step').filter({ hasText: 'step 1 of 2 (50%)' }).waitFor();
    const live = await call('GET', `/prompts/${encodeURIComponent(NAME)}/deployments/production`);
    expect(live.variants).toEqual([
      { version: 2, weight: 5000 },
      { version: 1, weight: 5000 },
    ]);

    await call('POST', '/traces', { spans: [...spans(1, 200, 4), ...spans(2, 100, 40)] });
    await page.getByTestId('rollout-status').filter({ hasText: 'rolled back' }).waitFor();
    await page.getByTestId('verdict-errorRate').filter({ hasText: 'regression' }).waitFor();
    await page
      .getByTestId('evidence-errorRate')
      .filter({ hasText: /error rate 40\.0% vs 2\.0%/ })
      .waitFor();
    // The chart draws the recorded interval; its label names the last one and the threshold.
    const chart = page.getByRole('img', {
      name: /^errorRate: interval of candidate − control over \d+ check/,
    });
    await chart.waitFor();
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThanOrEqual(1);
    expect(await chart.locator('circle.regression').count()).toBeGreaterThanOrEqual(1);
    await page
      .getByTestId('rollout-reason')
      .filter({ hasText: `rollout ${id} rolled back to v1` })
      .waitFor();
    // Ended: no buttons.
    expect(await page.getByRole('button', { name: 'Pause' }).count()).toBe(0);
    await shot('rolled-back');

    // The prompt's deployments tab lists it.
    await page.goto(`${api.url}/prompts/${encodeURIComponent(NAME)}?tab=deployments&env=production`);
    const table = page.getByRole('region', { name: 'Rollouts in production' });
    await table.getByRole('link', { name: `#${id}` }).waitFor();
    await table.getByText('rolled back').waitFor();
  });

  it('pauses, resumes, advances and aborts from the page; a viewer only follows', async () => {
    const started = await call('POST', `/prompts/${encodeURIComponent(NAME)}/rollouts`, {
      env: 'production',
      version: 3,
      steps: [
        { weight: 1000, durationSeconds: 3600 },
        { weight: 3000, durationSeconds: 3600 },
        { weight: 10_000, durationSeconds: 0 },
      ],
      guardrails: [{ metric: 'latencyP95', maxRegression: 0.2 }],
    });
    await signIn(viewerKey);
    await page.goto(`${api.url}/rollouts/${started.id}`);
    await page.getByTestId('rollout-readonly').filter({ hasText: 'viewer' }).waitFor();
    expect(await page.getByRole('button', { name: 'Pause' }).count()).toBe(0);

    await signIn(api.apiKey);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rollouts' }).click();
    await page
      .getByRole('table', { name: 'Rollouts' })
      .getByRole('link', { name: `#${started.id}` })
      .click();
    await page.getByTestId('step-progress').waitFor();
    await page.getByLabel('Reason for the action').fill('looking at p95');
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByTestId('rollout-status').filter({ hasText: 'paused' }).waitFor();
    await page.getByTestId('rollout-reason').filter({ hasText: 'paused by' }).waitFor();
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByTestId('rollout-status').filter({ hasText: 'running' }).waitFor();
    await page.getByRole('button', { name: 'Advance to next step' }).click();
    await page.getByTestId('rollout-step').filter({ hasText: 'step 2 of 3 (30%)' }).waitFor();
    await shot('advanced');
    await page.getByRole('button', { name: 'Abort (back to control)' }).click();
    await page.getByTestId('rollout-status').filter({ hasText: 'aborted' }).waitFor();
    const live = await call('GET', `/prompts/${encodeURIComponent(NAME)}/deployments/production`);
    expect(live.version).toBe(1);
    const kinds = (await call('GET', `/rollouts/${started.id}`)).events.map((e: { kind: string }) => e.kind);
    expect(kinds).toEqual(['start', 'pause', 'resume', 'advance', 'abort']);
    await page.getByRole('list', { name: 'Rollout events' }).getByText('looking at p95').waitFor();
    expect(consoleErrors).toEqual([]);
  });

  it('where approvals are needed, the form opens a request carrying the rollout; its approval starts it', async () => {
    await call('PUT', `/prompts/${encodeURIComponent(NAME)}/deployments/staging`, { version: 1 });
    await call('PATCH', '/environments/staging', { policy: { requiredApprovals: 1 } });
    const reviewer = (
      await call('POST', '/api-keys', { name: 'rita', role: 'reviewer', user: 'rita@people.test' })
    ).key;
    await signIn(api.apiKey);
    await page.goto(`${api.url}/prompts/${encodeURIComponent(NAME)}?tab=deployments&env=staging`);
    await page.getByText('Guarded rollout').click();
    await page.getByLabel('Candidate version').selectOption('3');
    await page.getByLabel('Steps in percent').fill('10, 100');
    await page.getByLabel('Reason', { exact: true }).fill('detail helps');
    await page.getByRole('button', { name: 'Request rollout' }).click();
    await page.waitForURL(/\/requests\/\d+$/);
    const requestId = Number(page.url().split('/').at(-1));
    await page.getByTestId('request-rollout').filter({ hasText: 'A guarded rollout: 10% → 100%' }).waitFor();
    await shot('request-with-rollout');
    const approved = await fetch(`${api.url}/api/v1/deployment-requests/${requestId}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${reviewer}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(approved.status).toBe(200);
    await page.reload();
    await page.getByTestId('request-status').filter({ hasText: 'deployed' }).waitFor();
    await page
      .getByTestId('request-rollout')
      .getByRole('link', { name: /^rollout #\d+$/ })
      .click();
    await page.getByTestId('rollout-step').filter({ hasText: 'step 1 of 2 (10%)' }).waitFor();
    await page.getByTestId('rollout-status').filter({ hasText: 'running' }).waitFor();
    expect(consoleErrors).toEqual([]);
  });

  it('replays a candidate on the last production calls from the rollout form, side by side', async () => {
    const name = 'ro/replay';
    const config = { provider: 'mock', model: 'mock-1' };
    await call('POST', '/prompts', { name, version: { type: 'text', template: 'Answer {{q}}', config } });
    await call('POST', `/prompts/${encodeURIComponent(name)}/versions`, {
      type: 'text',
      template: 'Reply to {{q}}',
      config,
    });
    await call('PUT', `/prompts/${encodeURIComponent(name)}/deployments/production`, { version: 1 });
    const start = Date.now() - 5_000;
    await call('POST', '/traces', {
      spans: ['refund', 'invoice'].map((q, i) => ({
        traceId: randomBytes(16).toString('hex'),
        spanId: randomBytes(8).toString('hex'),
        name: 'llm.call',
        startTime: start + i,
        endTime: start + i + 100,
        status: 'ok',
        prompt: { name, version: 1, environment: 'production' },
        variables: { q },
      })),
    });
    await signIn(api.apiKey);
    await page.goto(`${api.url}/prompts/${encodeURIComponent(name)}?tab=deployments&env=production`);
    await page.getByText('Guarded rollout').click();
    await page.getByLabel('Candidate version').selectOption('2');
    await page.getByRole('button', { name: 'Replay v2 on the last 100 production calls' }).click();
    await page.waitForURL(/\/evals\/\d+$/);
    await page.locator('.badge.status-completed').waitFor({ timeout: 20_000 });
    const matrix = page.getByTestId('eval-matrix');
    expect(await matrix.locator('thead th').allTextContents()).toEqual([
      'Case',
      expect.stringMatching(/^v1 · mock/),
      expect.stringMatching(/^v2 · mock/),
    ]);
    expect(await matrix.locator('tbody tr').count()).toBe(2);
    await shot('replay-run');
    expect(consoleErrors).toEqual([]);
  });
});
