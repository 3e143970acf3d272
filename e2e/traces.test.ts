/**
 * The trace explorer in a real Chromium against the real server: the list with its filters and
 * free-text search, the live tail (a span sent while the page is open shows up without a reload),
 * and "Add to dataset" from the filtered list. Any console error fails it; screenshots go to
 * test-results/traces/.
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
const SHOTS = shotsDir('traces');
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

describe('traces in Chromium', () => {
  let api: TestServer;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const shot = numberedShots(SHOTS, () => page, consoleErrors);
  const call = (method: string, path: string, body?: unknown) => apiCall(api, method, path, body);
  const span = (over: Partial<SpanInputDraft>, agoMs: number): SpanInputDraft => ({
    traceId: hex(16),
    spanId: hex(8),
    name: 'chat',
    startTime: Date.now() - agoMs,
    endTime: Date.now() - agoMs + 800,
    status: 'ok',
    ...over,
  });
  const rows = () => page.getByTestId('trace-row');

  beforeAll(async () => {
    await prepareBrowserTest(SHOTS);
    api = await startTestServer({ dialect: 'sqlite' });
    const spans: SpanInputDraft[] = [];
    for (let i = 0; i < 60; i++) {
      spans.push(
        span(
          {
            name: `answer ${i}`,
            prompt: {
              name: 'support/reply',
              version: 1 + (i % 2),
              environment: i % 3 === 0 ? 'staging' : 'production',
            },
            model: 'gpt-4o-mini',
            usage: { input: 100, output: 20 },
            userId: `user-${i % 5}`,
            input: [{ role: 'user', content: i === 7 ? 'My parcel never arrived' : `question ${i}` }],
            output: `answer number ${i}`,
            status: i % 10 === 0 ? 'error' : 'ok',
          },
          (60 - i) * 60_000,
        ),
      );
    }
    await call('POST', '/traces', { spans });
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

  it('lists traces newest first, filters them and searches their inputs', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Traces' }).click();
    await poll(() => rows().count()).toBeGreaterThan(10);
    // Virtualised: far fewer rows in the document than traces listed.
    expect(await rows().count()).toBeLessThan(60);
    await poll(() => rows().first().textContent()).toContain('answer 59');
    await shot('list');

    await page.getByRole('combobox', { name: 'Status' }).selectOption('error');
    await poll(() => rows().count()).toBe(6);
    expect(page.url()).toContain('status=error');
    await page.getByRole('button', { name: 'Clear' }).click();

    await page.getByLabel('Environment').fill('staging');
    await page.getByLabel('Version').fill('2');
    await page.getByRole('button', { name: 'Apply' }).click();
    // i % 3 === 0 and i odd: 3, 9, 15, … 57.
    await poll(() => rows().count()).toBe(10);
    await page.getByRole('button', { name: 'Clear' }).click();

    await page.getByLabel('Search input and output').fill('parcel never');
    await page.getByLabel('Search input and output').press('Enter');
    await poll(() => rows().count()).toBe(1);
    await poll(() => rows().first().textContent()).toContain('answer 7');
    await shot('search');
    await page.getByRole('button', { name: 'Clear' }).click();
    await poll(() => rows().count()).toBeGreaterThan(10);
  });

  it('opened by its URL, asks for the list once, while its own code is still loading', async () => {
    await page.goto(`${api.url}/traces?status=error`);
    await poll(() => rows().count()).toBe(6);
    const seen = await page.evaluate(() => ({
      listRequests: performance
        .getEntriesByType('resource')
        .filter((e) => new URL(e.name).pathname === '/api/v1/traces')
        .map((e) => e.startTime),
      // 'traces-render' starts at the page component's mount ('traces-start').
      mounted: performance.getEntriesByName('traces-render')[0]?.startTime,
    }));
    // The route starts the request before the page's chunk has arrived, and the page's own query
    // finds it in flight instead of asking again.
    expect(seen.listRequests).toHaveLength(1);
    expect(seen.mounted).toBeDefined();
    expect(seen.listRequests[0]).toBeLessThan(seen.mounted ?? 0);
    await page.getByRole('button', { name: 'Clear' }).click();
    await poll(() => rows().count()).toBeGreaterThan(10);
  });

  it('shows new spans live, only those matching the filters', async () => {
    await page.getByLabel('Environment').fill('production');
    await page.getByRole('button', { name: 'Apply' }).click();
    // The filtered first page is in (it would replace what the tail adds before it) and the
    // filter's own stream is open.
    await poll(async () => {
      const texts = await rows().allTextContents();
      return texts.length > 0 && texts.every((t) => t.includes('production'));
    }).toBe(true);
    await poll(() => page.getByTestId('tail-status').textContent()).toContain('Live');
    const prompt = { name: 'support/reply', version: 3 };
    await call('POST', '/traces', {
      spans: [
        span({ name: 'live in staging', prompt: { ...prompt, environment: 'staging' } }, 1_000),
        span({ name: 'live in production', prompt: { ...prompt, environment: 'production' } }, 500),
      ],
    });
    await poll(() => rows().first().textContent()).toContain('live in production');
    expect(await page.getByText('live in staging').count()).toBe(0);
    await shot('live-tail');
  });

  it('adds the filtered traces to a new dataset', async () => {
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByRole('combobox', { name: 'Status' }).selectOption('error');
    await poll(() => rows().count()).toBe(6);
    await page.getByRole('button', { name: 'Add to dataset…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add to dataset' });
    await dialog.getByLabel('New dataset name').fill('prod/errors');
    await dialog.getByRole('button', { name: 'Add' }).click();
    await expect
      .poll(() => dialog.getByTestId('add-to-dataset-done').textContent())
      .toContain('Added 6 items');
    await shot('added-filtered');
    const items = await call('GET', `/datasets/${encodeURIComponent('prod/errors')}/items`);
    expect(items.items).toHaveLength(6);
    expect(items.items.every((it: { sourceTraceId: string | null }) => it.sourceTraceId)).toBe(true);
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('shows a trace as a waterfall with a readable conversation, and adds a span with an edited expected output', async () => {
    const traceId = hex(16);
    const root = hex(8);
    const llm = hex(8);
    await call('POST', '/prompts', {
      name: 'support/reply',
      version: { type: 'text', template: 'Reply to {{q}}' },
    });
    await call('POST', '/traces', {
      spans: [
        span({ traceId, spanId: root, name: 'POST /chat', userId: 'u-1' }, 5_000),
        span(
          {
            traceId,
            spanId: llm,
            parentSpanId: root,
            name: 'openai.chat',
            prompt: { name: 'support/reply', version: 1, environment: 'production' },
            model: 'gpt-4o-mini',
            usage: { input: 42, output: 7 },
            timeToFirstTokenMs: 123,
            variables: { q: 'refund' },
            attributes: { 'http.route': '/chat', retries: 0 },
            input: [
              { role: 'system', content: 'Be kind.' },
              { role: 'user', content: 'Where is my refund?' },
            ],
            output: { answer: 'It is on its way', confidence: 0.9 },
          },
          4_900,
        ),
      ],
    });
    await call('POST', '/scores', { traceId, spanId: llm, name: 'helpful', value: 1, comment: 'great' });
    await page.goto(`${api.url}/traces/${traceId}`);
    await poll(() => page.getByTestId('span-row').count()).toBe(2);
    const detail = page.getByRole('region', { name: 'Span detail' });
    await poll(() => detail.getByRole('heading', { level: 2 }).textContent()).toBe('openai.chat');
    const conversation = detail.getByRole('list', { name: 'Input' });
    await poll(() => conversation.textContent()).toContain('Where is my refund?');
    const text = (await detail.textContent()) ?? '';
    expect(text).toContain('123 ms');
    expect(text).toContain('42 in / 7 out');
    expect(text).toContain('helpful');
    expect(text).toContain('http.route');
    expect(await detail.getByRole('link', { name: 'support/reply v1' }).getAttribute('href')).toBe(
      '/prompts/support%2Freply?v=1',
    );
    await shot('trace');

    await page.getByTestId('span-row').first().click();
    await poll(() => detail.getByRole('heading', { level: 2 }).textContent()).toBe('POST /chat');
    await page.getByTestId('span-row').nth(1).click();
    await detail.getByRole('button', { name: 'Add to dataset…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add to dataset' });
    await dialog.getByRole('combobox', { name: /^Dataset/ }).selectOption('prod/errors');
    const expected = dialog.getByLabel('Expected output');
    expect(JSON.parse(await expected.inputValue())).toEqual({ answer: 'It is on its way', confidence: 0.9 });
    await expected.fill('{"answer": "It is on its way, within 5 days"}');
    await dialog.getByRole('button', { name: 'Add' }).click();
    await expect
      .poll(() => dialog.getByTestId('add-to-dataset-done').textContent())
      .toContain('Added 1 item');
    await shot('added-span');
    const items = await call('GET', `/datasets/${encodeURIComponent('prod/errors')}/items`);
    const added = items.items.find((it: { sourceTraceId: string }) => it.sourceTraceId === traceId);
    expect(added).toMatchObject({
      variables: { q: 'refund' },
      expected: { answer: 'It is on its way, within 5 days' },
    });
  });

  it('shows a session as a conversation, end users by cost, and the notifications bell', async () => {
    const session = `sess-${hex(3)}`;
    const user = `buyer-${hex(3)}`;
    await call('POST', '/traces', {
      spans: [
        span(
          {
            sessionId: session,
            userId: user,
            costUsd: 5,
            input: [{ role: 'user', content: 'First question' }],
            output: 'First answer',
          },
          3_000,
        ),
        span(
          {
            sessionId: session,
            userId: user,
            costUsd: 5,
            input: [{ role: 'user', content: 'Second question' }],
            output: 'Second answer',
          },
          2_000,
        ),
      ],
    });
    await page.goto(`${api.url}/sessions/${session}`);
    const turns = page.getByTestId('session-turn');
    await poll(() => turns.count()).toBe(2);
    await poll(() => turns.nth(1).textContent()).toContain('Second answer');
    expect(await turns.nth(0).textContent()).toContain('First question');
    await shot('session');

    await page.goto(`${api.url}/users`);
    const first = page.getByRole('table', { name: 'End users' }).locator('tbody tr').first();
    await poll(() => first.textContent()).toContain(user);
    expect(await first.textContent()).toContain('$10.0000');

    const bell = page.getByRole('button', { name: /^Notifications, \d+ unread$/ });
    expect(await bell.getAttribute('aria-label')).toBe('Notifications, 0 unread');
    await bell.click();
    await page.getByText('No notifications.').waitFor();
    await shot('users-bell');
  });
});
