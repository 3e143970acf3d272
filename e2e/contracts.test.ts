/**
 * Output contracts in a real Chromium against the real server: the playground shows each
 * completion's verdict against the prompt's contract, the trace page shows a span's violation, and
 * the Monitoring tab charts the violation rate per version. Screenshots go to test-results/contracts/.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall } from './api.ts';
import { openBrowser, prepareBrowserTest, shotsDir } from './browser.ts';

const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 10_000, interval: 50 });
const SHOTS = shotsDir('contracts');
const NAME = 'contracts/fruit';
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

describe('output contracts in Chromium', () => {
  let api: TestServer;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const call = (method: string, path: string, body?: unknown) => apiCall(api, method, path, body);
  const traceIds: string[] = [];

  beforeAll(async () => {
    await prepareBrowserTest(SHOTS);
    api = await startTestServer({ dialect: 'sqlite' });
    await call('POST', '/prompts', {
      name: NAME,
      version: {
        type: 'text',
        template: 'Name a fruit like {{fruit}}',
        config: { provider: 'mock', model: 'mock-1', output: { format: 'text', contains: ['orange'] } },
      },
    });
    const outputs = ['an orange', 'an orange again', 'a plum', 'an orange, surely'];
    const spans = outputs.map((output, i) => {
      const traceId = hex(16);
      traceIds.push(traceId);
      const start = Date.now() - 120_000 + i * 1_000;
      return {
        traceId,
        spanId: hex(8),
        name: 'fruit.call',
        startTime: start,
        endTime: start + 300,
        status: 'ok',
        prompt: { name: NAME, version: 1, environment: 'production' },
        output,
      };
    });
    await call('POST', '/traces', { spans });
    ({ browser, page } = await openBrowser({
      viewport: { width: 1400, height: 1000 },
      timeout: 10_000,
      errors: consoleErrors,
      signIn: { url: api.url, key: api.apiKey },
    }));
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('the playground checks each completion against the prompt’s output contract and shows the verdict', async () => {
    await page.goto(`${api.url}/playground?prompt=${encodeURIComponent(NAME)}&version=1`);
    await page.getByLabel('fruit').fill('an orange');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const verdict = page.getByTestId('contract-0-0');
    await poll(() => verdict.textContent()).toBe('contract met ');
    await page.getByLabel('fruit').fill('a plum');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await poll(() => verdict.textContent()).toBe('contract violated the output does not contain "orange"');
    expect(await verdict.locator('.badge.fail').count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, '01-playground.png'), fullPage: true });
    expect(consoleErrors.join('\n')).toBe('');
  });

  it('the trace page shows the violation on the span', async () => {
    await page.goto(`${api.url}/traces/${traceIds[2]}`);
    const detail = page.getByRole('region', { name: 'Span detail' });
    const contract = detail.getByTestId('span-contract');
    await poll(() => contract.textContent()).toBe('violated the output does not contain "orange"');
    expect(await page.getByTestId('span-row').locator('.badge.fail').textContent()).toBe(' contract');
    await page.screenshot({ path: join(SHOTS, '02-trace.png'), fullPage: true });
    await page.goto(`${api.url}/traces/${traceIds[0]}`);
    await poll(() => page.getByTestId('span-contract').textContent()).toBe('met');
    expect(consoleErrors.join('\n')).toBe('');
  });

  it('the Monitoring tab charts the contract violation rate and lists it per version', async () => {
    await page.goto(`${api.url}/prompts/${encodeURIComponent(NAME)}`);
    await page.getByRole('tab', { name: 'Monitoring' }).click();
    const chart = page.locator('[data-testid="chart"][data-title="Contract violation rate"]');
    await poll(() => chart.count()).toBe(1);
    await poll(() => chart.locator('canvas').count()).toBe(1);
    const table = page.getByRole('table', { name: 'Versions compared' });
    await poll(() => table.locator('thead').textContent()).toContain('Contract violations');
    expect(await table.locator('tbody tr').first().textContent()).toContain('25.0 % of 4');
    await page.screenshot({ path: join(SHOTS, '03-monitoring.png'), fullPage: true });
    expect(consoleErrors.join('\n')).toBe('');
  });
});
