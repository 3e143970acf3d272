/**
 * Online evaluations on the prompt's Monitoring tab, in a real Chromium against the real server:
 * create a rule with the form (assertions picker), production spans graded by the job runner with
 * the counters on the page, switch it off, edit it. Screenshots go to test-results/online-evals/.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall } from './api.ts';
import { openBrowser, prepareBrowserTest, shotsDir } from './browser.ts';

/** expect.poll with room for a loaded machine (its default gives up after 1 s). */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 20_000, interval: 100 });
const SHOTS = shotsDir('online-evals');
const NAME = 'online/web';
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

describe('online evaluations in Chromium', () => {
  let api: TestServer;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const call = (method: string, path: string, body?: unknown) => apiCall(api, method, path, body);
  const rules = async () =>
    (await call('GET', `/prompts/${encodeURIComponent(NAME)}/online-evals`)).items as Array<{
      id: number;
      name: string;
      samplingRate: number;
      enabled: boolean;
      assertions: unknown[];
    }>;

  beforeAll(async () => {
    await prepareBrowserTest(SHOTS);
    api = await startTestServer({ dialect: 'sqlite' });
    await call('POST', '/prompts', { name: NAME, version: { type: 'text', template: 'Answer {{q}}' } });
    ({ browser, page } = await openBrowser({
      viewport: { width: 1400, height: 1000 },
      timeout: 20_000,
      errors: consoleErrors,
      signIn: { url: api.url, key: api.apiKey },
    }));
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('creates a rule with the form, shows production spans graded, switches it off and edits it', async () => {
    await page.goto(`${api.url}/prompts/${encodeURIComponent(NAME)}`);
    await page.getByRole('tab', { name: 'Monitoring' }).click();
    const card = page.getByRole('region', { name: 'Online evaluations' });
    await card.getByRole('button', { name: 'New online evaluation' }).click();
    const form = page.getByRole('form', { name: 'Online evaluation' });
    await form.getByLabel('Rule name').fill('paris');
    await form.getByLabel('Sampling rate (%)').fill('100');
    const rows = form.getByTestId('assertion-row');
    await rows.nth(0).getByLabel('Type').selectOption('icontains');
    await rows.nth(0).getByLabel('Value').fill('paris');
    await rows.nth(0).getByLabel('Score name').fill('web_paris');
    await form.getByRole('button', { name: 'Add assertion' }).click();
    await rows.nth(1).getByLabel('Type').selectOption('is-json');
    // Deterministic assertions only: no judge is asked for.
    expect(await form.getByLabel('Judge model').isDisabled()).toBe(true);
    await page.screenshot({ path: join(SHOTS, '01-new-rule.png'), fullPage: true });
    await form.getByRole('button', { name: 'Create' }).click();
    await form.waitFor({ state: 'detached' });

    const [created] = await rules();
    expect(created).toMatchObject({
      name: 'paris',
      samplingRate: 1,
      enabled: true,
      assertions: [{ type: 'icontains', value: 'paris', metric: 'web_paris' }, { type: 'is-json' }],
    });

    const now = Date.now();
    await call('POST', '/traces', {
      spans: ['Paris is the capital.', 'Lyon, perhaps.'].map((output, i) => ({
        traceId: hex(16),
        spanId: hex(8),
        name: 'chat',
        startTime: now - 60_000 + i,
        endTime: now - 59_000 + i,
        status: 'ok',
        prompt: { name: NAME, version: 1, environment: 'production' },
        output,
      })),
    });
    const row = card.getByTestId('online-eval-paris');
    // Sampled 2, evaluated 2 (the list refreshes every 5 s).
    await poll(async () => (await row.locator('td').nth(4).textContent())?.trim()).toBe('2');
    expect((await row.locator('td').nth(3).textContent())?.trim()).toBe('2');
    expect(await row.locator('td').nth(2).textContent()).toBe('100 %');

    // A click rather than uncheck(): the switch follows the server, which answers after the click.
    await row.getByLabel('paris enabled').click();
    await poll(async () => (await rules())[0]?.enabled).toBe(false);
    await poll(async () => await row.getByLabel('paris enabled').isChecked()).toBe(false);

    await row.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Online evaluation' });
    expect(await edit.getByLabel('Rule name').inputValue()).toBe('paris');
    await edit.getByLabel('Sampling rate (%)').fill('25');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await edit.waitFor({ state: 'detached' });
    expect((await rules())[0]?.samplingRate).toBe(0.25);
    await poll(async () => (await row.locator('td').nth(2).textContent())?.trim()).toBe('25 %');

    // The scores it wrote are on the Monitoring tab's version table.
    await page.reload();
    const versions = page.getByRole('table', { name: 'Versions compared' });
    await poll(async () => (await versions.locator('thead').textContent()) ?? '').toContain('web_paris');
    await page.screenshot({ path: join(SHOTS, '02-rules.png'), fullPage: true });
    expect(consoleErrors.join('\n')).toBe('');
  });

  it('a rule the server refuses shows its problem in the form', async () => {
    const card = page.getByRole('region', { name: 'Online evaluations' });
    await card.getByRole('button', { name: 'New online evaluation' }).click();
    const form = page.getByRole('form', { name: 'Online evaluation' });
    await form.getByLabel('Rule name').fill('paris');
    await form.getByTestId('assertion-row').nth(0).getByLabel('Value').fill('x');
    await form.getByRole('button', { name: 'Create' }).click();
    await poll(async () => (await form.textContent()) ?? '').toContain(
      'already has an online evaluation named',
    );
    await form.getByRole('button', { name: 'Cancel' }).click();
    expect((await rules()).length).toBe(1);
  });
});
