/**
 * The prompt's Monitoring tab in a real Chromium against the real server: charts drawn by uPlot
 * (loaded lazily), one line per version, deployments marked on the time axis, a chart per score,
 * and the version-vs-version table. Screenshots go to test-results/monitoring/.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { SpanInputDraft } from '@promptline/core';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall } from './api.ts';
import { openBrowser, prepareBrowserTest, shotsDir } from './browser.ts';

/** expect.poll with room for a loaded machine (its default gives up after 1 s). */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 10_000, interval: 50 });
const SHOTS = shotsDir('monitoring');
const NAME = 'mon/reply';
const OTHER = 'mon/other';
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

describe('monitoring tab in Chromium', () => {
  let api: TestServer;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const call = (method: string, path: string, body?: unknown) => apiCall(api, method, path, body);
  const spans = (version: number, count: number, agoMs: number, latency: number): SpanInputDraft[] =>
    Array.from({ length: count }, (_, i) => {
      const start = Date.now() - agoMs + i * 1_000;
      return {
        traceId: hex(16),
        spanId: hex(8),
        name: 'chat',
        startTime: start,
        endTime: start + latency,
        status: i === 0 ? 'error' : 'ok',
        prompt: { name: NAME, version, environment: 'production' },
        model: 'gpt-4o-mini',
        usage: { input: 50, output: 10 },
      };
    });

  beforeAll(async () => {
    await prepareBrowserTest(SHOTS);
    api = await startTestServer({ dialect: 'sqlite' });
    const p = `/prompts/${encodeURIComponent(NAME)}`;
    await call('POST', '/prompts', { name: NAME, version: { type: 'text', template: 'Reply to {{q}}' } });
    await call('POST', `${p}/versions`, { type: 'text', template: 'Reply kindly to {{q}}' });
    await call('PUT', `${p}/deployments/production`, { version: 1 });
    const v1 = spans(1, 8, 30 * 60_000, 400);
    await call('POST', '/traces', { spans: v1 });
    await call('PUT', `${p}/deployments/production`, { version: 2 });
    const v2 = spans(2, 8, 10 * 60_000, 900);
    await call('POST', '/traces', { spans: v2 });
    await call('POST', '/scores', { traceId: v2[1]?.traceId, name: 'helpful', value: 0.8 });
    // A second, quieter prompt (never registered: metrics follow the names spans carry).
    await call('POST', '/traces', {
      spans: spans(1, 3, 20 * 60_000, 100).map((s) => ({ ...s, prompt: { ...s.prompt, name: OTHER } })),
    });
    // Rollups are written with the spans; wait (bounded) until the metrics answer both versions.
    for (let i = 0; i < 100; i++) {
      if ((await call('GET', `${p}/metrics?env=production`)).versions.length === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
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

  it('charts each metric split by version, with the deployments marked, and compares the versions', async () => {
    await page.goto(`${api.url}/prompts/${encodeURIComponent(NAME)}`);
    await page.getByRole('tab', { name: 'Monitoring' }).click();
    const charts = page.getByTestId('chart');
    // Requests, error rate, p50/p95/p99, tokens, cost, and the score.
    await poll(() => charts.count()).toBe(8);
    await poll(() => page.locator('.chart canvas').count()).toBe(8);
    const requests = page.locator('[data-testid="chart"][data-title="Requests"]');
    expect(await requests.getAttribute('data-markers')).toBe('2');
    const legend = (await requests.locator('.u-legend').textContent()) ?? '';
    expect(legend).toContain('v1');
    expect(legend).toContain('v2');
    expect(await page.locator('[data-testid="chart"][data-title="Score: helpful"]').count()).toBe(1);
    expect(await page.getByTestId('deploy-markers').textContent()).toContain('deploy v2');
    const rows = page.getByRole('table', { name: 'Versions compared' }).locator('tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toMatch(/^v28/);
    expect(await rows.nth(1).textContent()).toContain('12.5 %');
    await page.screenshot({ path: join(SHOTS, '01-monitoring.png'), fullPage: true });
    expect(consoleErrors.join('\n')).toBe('');
  });

  it('the project dashboard: one summary request, the busiest prompt first, totals, charts, links to the Monitoring tab', async () => {
    const metricsRequests: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/metrics')) metricsRequests.push(new URL(r.url()).pathname);
    });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Monitoring' }).click();
    const row = page.getByRole('table', { name: 'Prompts' }).locator('tbody tr');
    await poll(() => row.count()).toBe(2);
    expect(await row.nth(0).textContent()).toMatch(new RegExp(`^${NAME}16`));
    // 2 errors in 16 calls.
    expect(await row.nth(0).textContent()).toContain('12.5 %');
    expect(await row.nth(1).textContent()).toMatch(new RegExp(`^${OTHER}3`));
    const totals = (await page.getByTestId('dashboard-totals').textContent()) ?? '';
    expect(totals).toContain('All calls (2 prompts)');
    expect(totals).toContain('19');
    await poll(() => page.locator('.chart canvas').count()).toBe(3);
    const legend =
      (await page.locator('[data-testid="chart"][data-title="Requests"] .u-legend').textContent()) ?? '';
    expect(legend).toContain(NAME);
    expect(legend).toContain(OTHER);
    // The whole dashboard is one request to the summary, none per prompt.
    expect(metricsRequests).toEqual(['/api/v1/metrics/summary']);
    await page.screenshot({ path: join(SHOTS, '02-dashboard.png'), fullPage: true });
    await row.first().getByRole('link', { name: NAME }).click();
    await poll(() => page.getByRole('tab', { name: 'Monitoring', selected: true }).count()).toBe(1);
    expect(consoleErrors.join('\n')).toBe('');
  });
});
