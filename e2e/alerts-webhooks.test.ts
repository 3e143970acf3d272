/**
 * Settings → Webhooks and Settings → Alerts in a real Chromium against the real server (SQLite and
 * PostgreSQL): a subscription to a receiver this test runs on 127.0.0.1, its secret shown once, a
 * test delivery and a redelivery seen in the log with the receiver's response code; alert rules
 * created from the form, listed with their state, disabled, their history opened, deleted; a rule
 * edited (metric, condition, window, minimum sample, destinations) and the API's refusal shown; the
 * webhook deleted after a confirmation.
 * Screenshots go to test-results/alerts-webhooks/.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall } from './api.ts';
import { openBrowser, shotsDir } from './browser.ts';
import { ensureWebBuild } from './build-web.ts';

/** expect.poll with room for a loaded machine (its default gives up after 1 s). */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000, interval: 100 });
const SHOTS = shotsDir('alerts-webhooks');

describe.each(['sqlite', 'postgres'] as const)('alerts and webhooks pages in Chromium (%s)', (dialect) => {
  let api: TestServer;
  let browser: Browser;
  let page: Page;
  let receiver: Server;
  let receiverUrl = '';
  const received: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    rmSync(join(SHOTS, `${dialect}-01-webhooks.png`), { force: true });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        received.push({ path: req.url ?? '/', headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    await ensureWebBuild();
    api = await startTestServer({ dialect });
    ({ browser, page } = await openBrowser({
      viewport: { width: 1400, height: 1000 },
      timeout: 15_000,
      errors: consoleErrors,
      signIn: { url: api.url, key: api.apiKey },
    }));
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await new Promise((ok) => receiver?.close(ok));
  });

  it('subscribes a webhook, shows its secret once, and logs a test delivery and a redelivery with the response code', async () => {
    await page.goto(`${api.url}/settings/webhooks`);
    await page.getByText('No webhook subscriptions').waitFor();
    const form = page.getByRole('form', { name: 'Create a webhook' });
    await form.getByLabel('Name').fill('on-call');
    await form.getByLabel('URL').fill(`${receiverUrl}/hooks/promptline?token=t0p`);
    await form.getByLabel('eval.completed').check();
    await form.getByRole('button', { name: 'Create webhook' }).click();
    const secret = (await page.getByTestId('webhook-secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    const row = page.getByRole('table', { name: 'Webhooks' }).locator('tbody tr').first();
    // The query string (a token) is never shown back.
    expect(await row.textContent()).toContain(`${receiverUrl}/hooks/promptline`);
    expect(await row.textContent()).not.toContain('t0p');
    expect(await row.textContent()).toContain('alert.fired, alert.resolved, eval.completed');
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByTestId('webhook-secret').count()).toBe(0);

    await row.getByRole('button', { name: 'Send test' }).click();
    const log = page.getByRole('table', { name: 'Deliveries of on-call' });
    await poll(() => log.getByTestId('delivery-response').first().textContent()).toBe('204');
    expect(await log.locator('tbody tr').first().textContent()).toContain('webhook.test');
    expect(await log.locator('tbody tr').first().textContent()).toContain('succeeded');
    expect(received).toHaveLength(1);
    expect(received[0]?.path).toBe('/hooks/promptline?token=t0p');
    expect(received[0]?.headers['webhook-signature']).toMatch(/^v1,/);
    expect(JSON.parse(received[0]?.body ?? '{}')).toMatchObject({ type: 'webhook.test' });

    await log.getByRole('button', { name: 'Redeliver' }).first().click();
    await poll(() => log.locator('tbody tr').count()).toBe(2);
    await poll(() => log.getByTestId('delivery-response').first().textContent()).toBe('204');
    expect(await log.locator('tbody tr').first().textContent()).toContain('redelivery of #');
    await poll(() => received.length).toBe(2);
    expect(received[1]?.headers['webhook-id']).toBe(received[0]?.headers['webhook-id']);
    await page.screenshot({ path: join(SHOTS, `${dialect}-01-webhooks.png`), fullPage: true });

    await row.getByRole('button', { name: 'Disable' }).click();
    await poll(() => row.textContent()).toContain('disabled');
    const [hook] = (await apiCall(api, 'GET', '/webhooks')).items;
    expect(hook).toMatchObject({ name: 'on-call', enabled: false });
    expect(consoleErrors.join('\n')).toBe('');
  });

  it('creates alert rules from the form and lists them with scope, condition and state; disables, opens history, deletes', async () => {
    await apiCall(api, 'PATCH', `/webhooks/${(await apiCall(api, 'GET', '/webhooks')).items[0].id}`, {
      enabled: true,
    });
    await page.goto(`${api.url}/settings/alerts`);
    await page.getByText('No alert rules').waitFor();
    const form = page.getByRole('form', { name: 'Create an alert rule' });
    await poll(() => page.getByTestId('alert-destinations').textContent()).toContain('webhook on-call');
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('errors up');
    await form.getByRole('combobox', { name: /^Metric/ }).selectOption('errorRate');
    await form.getByRole('spinbutton', { name: 'Threshold' }).fill('0.05');
    await form.getByRole('spinbutton', { name: 'Window (min)' }).fill('30');
    await form.getByRole('spinbutton', { name: 'Min samples' }).fill('10');
    await form.getByRole('button', { name: 'Create rule' }).click();
    const table = page.getByRole('table', { name: 'Alert rules' });
    await poll(() => table.locator('tbody tr').count()).toBe(1);
    const first = table.locator('tbody tr').first();
    expect(await first.textContent()).toContain('whole project');
    expect(await first.textContent()).toContain('> 0.05');
    expect(await first.textContent()).toContain('over 30 min, ≥ 10 samples');
    expect(await first.getByTestId('alert-state').textContent()).toBe('ok');

    // A volume drop: a change rule on one prompt, and a score rule needs its score name.
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('traffic drop');
    await form.getByRole('textbox', { name: 'Prompt', exact: true }).fill('support/triage');
    await form.getByRole('textbox', { name: 'Environment', exact: true }).fill('production');
    await form.getByRole('combobox', { name: /^Metric/ }).selectOption('volume');
    await form.getByRole('combobox', { name: /^Condition/ }).selectOption('change');
    await form.getByRole('combobox', { name: /^Fires on/ }).selectOption('decrease');
    await form.getByRole('spinbutton', { name: 'Change (%)' }).fill('50');
    await form.getByRole('button', { name: 'Create rule' }).click();
    await poll(() => table.locator('tbody tr').count()).toBe(2);
    const rules = await apiCall(api, 'GET', '/alerts');
    const drop = rules.items.find((r: { name: string }) => r.name === 'traffic drop');
    expect(drop).toMatchObject({
      prompt: 'support/triage',
      environment: 'production',
      metric: 'volume',
      condition: { type: 'change', direction: 'decrease', percent: 50 },
      state: 'ok',
    });
    expect(await page.getByTestId(`alert-${drop.id}`).textContent()).toContain('−50 % vs previous window');

    // A bad rule (negative change) answers the API's problem, shown in the form.
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('bad');
    await form.getByRole('spinbutton', { name: 'Change (%)' }).fill('-5');
    await form.getByRole('button', { name: 'Create rule' }).click();
    await poll(() => form.getByRole('alert').count()).toBeGreaterThan(0);
    expect((await apiCall(api, 'GET', '/alerts')).items).toHaveLength(2);

    const errors = page.getByTestId(
      `alert-${rules.items.find((r: { name: string }) => r.name === 'errors up').id}`,
    );
    await errors.getByRole('button', { name: 'Disable' }).click();
    await poll(() => errors.textContent()).toContain('disabled');
    await errors.getByRole('button', { name: 'History' }).click();
    await page.getByText('No transitions yet: the rule has stayed ok.').waitFor();
    await page.screenshot({ path: join(SHOTS, `${dialect}-02-alerts.png`), fullPage: true });

    await errors.getByRole('button', { name: 'Delete errors up' }).click();
    await page.getByRole('button', { name: 'Delete rule' }).click();
    await poll(() => table.locator('tbody tr[data-testid^="alert-"]').count()).toBe(1);
    expect((await apiCall(api, 'GET', '/alerts')).items.map((r: { name: string }) => r.name)).toEqual([
      'traffic drop',
    ]);
    // The bad rule's 422 is the one expected failed request; nothing else failed.
    expect(consoleErrors.filter((e) => !/status of 422 .*\/api\/v1\/alerts$/.test(e)).join('\n')).toBe('');
  });

  it('edits a rule’s metric, condition, window, minimum sample and destinations; shows the API’s refusal in the dialog; the edit is audited', async () => {
    const [drop] = (await apiCall(api, 'GET', '/alerts')).items;
    const [hook] = (await apiCall(api, 'GET', '/webhooks')).items;
    expect(hook.events).toEqual(['alert.fired', 'alert.resolved', 'eval.completed']);
    await page.goto(`${api.url}/settings/alerts`);
    const row = page.getByTestId(`alert-${drop.id}`);
    await row.getByRole('button', { name: 'Edit traffic drop' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit “traffic drop”' });
    // The form starts from the rule as it is.
    expect(await dialog.getByRole('combobox', { name: /^Metric/ }).inputValue()).toBe('volume');
    expect(await dialog.getByRole('combobox', { name: /^Condition/ }).inputValue()).toBe('change');
    expect(await dialog.getByRole('spinbutton', { name: 'Change (%)' }).inputValue()).toBe('50');
    expect(await dialog.getByRole('checkbox', { name: /Webhook on-call/ }).isChecked()).toBe(true);

    // A negative change is the API's to refuse: its problem shows in the dialog, nothing is saved.
    await dialog.getByRole('spinbutton', { name: 'Change (%)' }).fill('-10');
    await dialog.getByRole('button', { name: 'Save rule' }).click();
    await dialog.getByRole('alert').waitFor();
    expect(await dialog.getByRole('alert').textContent()).toContain('VALIDATION_FAILED');
    expect((await apiCall(api, 'GET', `/alerts/${drop.id}`)).condition).toMatchObject({ percent: 50 });

    await dialog.getByRole('combobox', { name: /^Metric/ }).selectOption('scoreMean');
    await dialog.getByRole('textbox', { name: 'Score name' }).fill('helpfulness');
    await dialog.getByRole('combobox', { name: /^Condition/ }).selectOption('threshold');
    await dialog.getByRole('combobox', { name: /^Fires when/ }).selectOption('lt');
    await dialog.getByRole('spinbutton', { name: 'Threshold' }).fill('0.6');
    await dialog.getByRole('spinbutton', { name: 'Window (min)' }).fill('60');
    await dialog.getByRole('spinbutton', { name: 'Min samples' }).fill('5');
    await dialog.getByRole('checkbox', { name: /Webhook on-call/ }).uncheck();
    await page.screenshot({ path: join(SHOTS, `${dialect}-03-alert-edit.png`), fullPage: true });
    await dialog.getByRole('button', { name: 'Save rule' }).click();
    await poll(() => dialog.count()).toBe(0);
    await poll(() => row.textContent()).toContain('< 0.6');
    expect(await row.textContent()).toContain('scoreMean(helpfulness)');
    expect(await row.textContent()).toContain('over 60 min, ≥ 5 samples');

    expect(await apiCall(api, 'GET', `/alerts/${drop.id}`)).toMatchObject({
      name: 'traffic drop',
      prompt: 'support/triage',
      environment: 'production',
      metric: 'scoreMean',
      score: 'helpfulness',
      condition: { type: 'threshold', operator: 'lt', value: 0.6 },
      windowMinutes: 60,
      minSamples: 5,
    });
    expect((await apiCall(api, 'GET', '/webhooks')).items[0].events).toEqual(['eval.completed']);
    const [audited] = (await apiCall(api, 'GET', '/audit?action=alert_rule.update')).items;
    expect(audited).toMatchObject({
      target: String(drop.id),
      data: {
        before: { metric: 'volume', score: null, windowMinutes: 30, minSamples: 10 },
        after: { metric: 'scoreMean', score: 'helpfulness', windowMinutes: 60, minSamples: 5 },
      },
    });
    expect(audited.data.after.condition).toEqual({ type: 'threshold', operator: 'lt', value: 0.6 });

    // Subscribing it again from the dialog adds the alert events back beside the others.
    await row.getByRole('button', { name: 'Edit traffic drop' }).click();
    await dialog.getByRole('checkbox', { name: /Webhook on-call/ }).check();
    await dialog.getByRole('button', { name: 'Save rule' }).click();
    await poll(() => dialog.count()).toBe(0);
    expect((await apiCall(api, 'GET', '/webhooks')).items[0].events).toEqual([
      'eval.completed',
      'alert.fired',
      'alert.resolved',
    ]);

    // Deleting the webhook: Cancel keeps it, the confirmation deletes it, and the alert's edit
    // dialog no longer offers it.
    await page.goto(`${api.url}/settings/webhooks`);
    const hooks = page.getByRole('table', { name: 'Webhooks' });
    await hooks.getByRole('button', { name: 'Delete on-call' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete “on-call”?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await poll(() => confirm.count()).toBe(0);
    expect((await apiCall(api, 'GET', '/webhooks')).items).toHaveLength(1);
    await hooks.getByRole('button', { name: 'Delete on-call' }).click();
    await confirm.getByRole('button', { name: 'Delete webhook' }).click();
    await page.getByText('No webhook subscriptions').waitFor();
    expect((await apiCall(api, 'GET', '/webhooks')).items).toHaveLength(0);
    await page.goto(`${api.url}/settings/alerts`);
    await row.getByRole('button', { name: 'Edit traffic drop' }).click();
    await dialog.getByText('Notification bell (always)').waitFor();
    await poll(() => dialog.getByRole('checkbox').count()).toBe(1);
    expect(
      consoleErrors.filter((e) => !/status of 422 .*\/api\/v1\/alerts(\/\d+)?$/.test(e)).join('\n'),
    ).toBe('');
  });
});
