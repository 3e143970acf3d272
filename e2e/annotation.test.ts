/**
 * Human review in a real Chromium against the real server: a queue created on the Annotate page,
 * traces ticked in the Traces list and added to it, two items reviewed with the keyboard only
 * (values, comment, submit-and-next), and the reviewers' scores on the trace page. Any console
 * error fails it; screenshots go to test-results/annotation/.
 */
import { randomBytes } from 'node:crypto';
import type { SpanInputDraft } from '@promptline/core';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall } from './api.ts';
import { numberedShots, openBrowser, prepareBrowserTest, shotsDir } from './browser.ts';

/** expect.poll with room for a loaded machine (its default gives up after 1 s). */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 10_000, interval: 50 });
const SHOTS = shotsDir('annotation');
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

describe('annotation queues in Chromium', () => {
  let api: TestServer;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const shot = numberedShots(SHOTS, () => page, consoleErrors);
  const call = (method: string, path: string, body?: unknown) => apiCall(api, method, path, body);
  const traceIds: string[] = [];

  beforeAll(async () => {
    await prepareBrowserTest(SHOTS);
    api = await startTestServer({ dialect: 'sqlite' });
    const spans: SpanInputDraft[] = [];
    for (let i = 0; i < 4; i++) {
      const traceId = hex(16);
      traceIds.push(traceId);
      const start = Date.now() - (10 - i) * 60_000;
      spans.push({
        traceId,
        spanId: hex(8),
        name: `refund answer ${i}`,
        startTime: start,
        endTime: start + 900,
        status: 'ok',
        prompt: { name: 'support/refunds', version: 2, environment: 'production' },
        model: 'gpt-4o-mini',
        input: [
          { role: 'system', content: 'You answer refund questions.' },
          { role: 'user', content: `Can I get my money back? (case ${i})` },
        ],
        output: `Refunds take 5 days (case ${i}).`,
      });
    }
    await call('POST', '/traces', { spans });
    await call('POST', '/score-definitions', { name: 'correctness', dataType: 'numeric', min: 1, max: 5 });
    await call('POST', '/score-definitions', { name: 'policy-ok', dataType: 'boolean' });
    await call('POST', '/score-definitions', {
      name: 'tone',
      dataType: 'categorical',
      categories: ['friendly', 'neutral', 'rude'],
    });
    ({ browser, page } = await openBrowser({
      viewport: { width: 1400, height: 900 },
      timeout: 10_000,
      errors: consoleErrors,
      signIn: { url: api.url, key: api.apiKey },
    }));
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('creates a queue on the Annotate page', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Annotate' }).click();
    const form = page.getByRole('form', { name: 'New queue' });
    await form.getByLabel('Name').fill('refund review');
    await form.getByLabel('Description').fill('Are refund answers right?');
    for (const name of ['correctness', 'policy-ok', 'tone']) {
      await form.getByRole('checkbox', { name: new RegExp(`^${name}`) }).check();
    }
    await form.getByRole('button', { name: 'Create queue' }).click();
    await poll(() => page.getByTestId('queue-row').count()).toBe(1);
    await poll(() => page.getByTestId('queue-row').textContent()).toContain('0/0 done');
    await shot('queues');
  });

  it('adds the traces ticked in the Traces list to the queue', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Traces' }).click();
    await poll(() => page.getByTestId('trace-row').count()).toBe(4);
    // The two oldest traces: the list is newest first.
    for (const id of traceIds.slice(0, 2)) {
      await page.locator(`[data-trace-id="${id}"]`).getByRole('checkbox').check();
    }
    await page.getByRole('button', { name: 'Add 2 to queue…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add to annotation queue' });
    await poll(() => dialog.getByText('2 selected traces.').count()).toBe(1);
    await dialog.getByRole('button', { name: 'Add to queue' }).click();
    await poll(() => dialog.getByRole('status').textContent()).toContain('Added 2 traces');
    await shot('added');
    await dialog.getByRole('link', { name: 'Open the queue' }).click();
    await poll(() => page.getByTestId('queue-item').count()).toBe(2);
    await poll(() => page.getByTestId('queue-progress').textContent()).toContain('0/2 done');
  });

  it('reviews two items with the keyboard only and shows the scores on the trace page', async () => {
    await page.getByTestId('start-review').click();
    // The trace is shown readably (its conversation), the shortcuts are on the page.
    await poll(() => page.getByText('Can I get my money back? (case 0)').count()).toBeGreaterThan(0);
    await poll(() => page.getByTestId('shortcuts').textContent()).toContain('submit and take the next item');
    await shot('review-first');

    // Item 1: correctness 4 (key 4), policy-ok yes (y), tone rude (3), a comment, Enter.
    await page.keyboard.press('4');
    await page.keyboard.press('y');
    await page.keyboard.press('3');
    await poll(() => page.getByTestId('score-correctness').getByTestId('score-value').textContent()).toBe(
      '4',
    );
    await poll(() => page.getByTestId('score-policy-ok').getByTestId('score-value').textContent()).toBe(
      'true',
    );
    await poll(() => page.getByTestId('score-tone').getByTestId('score-value').textContent()).toBe('rude');
    await page.keyboard.press('c');
    await page.keyboard.type('Too curt with the customer.');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Enter');

    // Item 2 arrives: ? shows the shortcuts larger; correctness 2, policy-ok no, tone left unset; Enter.
    await poll(() => page.getByText('Can I get my money back? (case 1)').count()).toBeGreaterThan(0);
    await poll(() => page.getByTestId('queue-progress').textContent()).toContain('1/2 done');
    await page.keyboard.press('?');
    await poll(() => page.getByTestId('shortcuts').getAttribute('class')).toContain('open');
    await page.keyboard.press('2');
    await page.keyboard.press('n');
    await shot('review-second');
    await page.keyboard.press('Enter');
    await poll(() => page.getByText('Nothing left to review').count()).toBe(1);
    await poll(() => page.getByTestId('queue-progress').textContent()).toContain('2/2 done');

    // The scores are on the trace page, from a human reviewer, with the comment.
    await page.goto(`${api.url}/traces/${traceIds[0]}`);
    const scores = page.getByRole('table', { name: 'Scores' });
    await poll(() => scores.getByRole('row').count()).toBe(4);
    const text = await scores.textContent();
    for (const part of [
      'correctness4human',
      'policy-oktruehuman',
      'tonerudehuman',
      'Too curt with the customer.',
    ]) {
      expect(text?.replaceAll(/\s+/g, '')).toContain(part.replaceAll(/\s+/g, ''));
    }
    await shot('trace-scores');
    const second = await call('GET', `/traces/${traceIds[1]}`);
    expect(
      second.spans[0].scores.map((s: { name: string; value: unknown; source: string }) => [
        s.name,
        s.value,
        s.source,
      ]),
    ).toEqual([
      ['correctness', 2, 'human'],
      ['policy-ok', false, 'human'],
    ]);
  });
});
