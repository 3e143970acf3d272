/**
 * The web app in a real Chromium, served by the real server at `/` (session cookie sign-in): sign in
 * → create a prompt → save v2 → diff → deploy → roll back → registry and audit → playground run on
 * the mock provider → eval run started from the prompt page. Any console error fails the test; each
 * step leaves a screenshot in test-results/web/.
 */
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { numberedShots, openBrowser, prepareBrowserTest, shotsDir } from './browser.ts';

const SHOTS = shotsDir('web');

describe('web app in Chromium', () => {
  let api: TestServer;
  let web: { url: string };
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  let firstRunId = 0;

  const shot = numberedShots(SHOTS, () => page, consoleErrors);

  beforeAll(async () => {
    await prepareBrowserTest(SHOTS);
    // The server serves packages/web/dist itself: one origin, so the session cookie just works.
    api = await startTestServer({ dialect: 'sqlite' });
    web = api;
    ({ browser, page } = await openBrowser({
      viewport: { width: 1280, height: 800 },
      timeout: 10_000,
      errors: consoleErrors,
    }));
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
    // The notice shows at once; the header follows when the prompt is refetched.
    await page.locator('.prompt-head').filter({ hasText: 'latest v2' }).waitFor();
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
    await form.getByLabel('Dataset').selectOption('support/triage-cases');
    await form.getByLabel('v1', { exact: true }).check();
    await form.getByLabel('v2', { exact: true }).check();
    await shot('eval-start');
    await form.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/\/evals\/\d+$/);
    firstRunId = Number(new URL(page.url()).pathname.split('/').at(-1));
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

  it('completes known variables in the editor after {{', async () => {
    await page.goto(`${web.url}/prompts/support%2Ftriage`);
    const editor = page.getByRole('textbox', { name: 'Template' });
    await editor.waitFor();
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(' Ticket again: {{ti');
    const option = page.locator('.cm-tooltip-autocomplete li').filter({ hasText: 'ticket' });
    await option.waitFor();
    await shot('editor-completion');
    await page.keyboard.press('Enter');
    await page.keyboard.type('}}');
    expect(await editor.textContent()).toMatch(/Ticket again: \{\{ticket\}\}$/);
    await page.getByRole('button', { name: 'Discard' }).click();
    expect(await editor.textContent()).toBe('Classify the ticket: {{ticket}} Answer with one word.');
  });

  it('turns the prompt into chat messages: role, add, placeholder, reorder, remove; saves v3 as a major', async () => {
    await page.getByRole('group', { name: 'Prompt type' }).getByText('Chat', { exact: true }).click();
    const messages = page.locator('.chat-message');
    await messages.first().waitFor();
    expect(await messages.count()).toBe(1);
    await page.getByLabel('Role').selectOption('system');
    await page.getByRole('button', { name: '+ Message' }).click();
    const question = page.getByRole('textbox', { name: 'Message 2 (user)' });
    await question.click();
    await page.keyboard.type('Reply with the team name only.');
    await page.getByRole('button', { name: '+ Placeholder' }).click();
    expect(await messages.nth(2).getByRole('textbox').inputValue()).toBe('history');
    await page.getByRole('button', { name: 'Move message 3 up' }).click();
    // The placeholder now sits between the system message and the question, which kept its text.
    expect(await messages.nth(1).getByRole('textbox').inputValue()).toBe('history');
    expect(await page.getByRole('textbox', { name: 'Message 3 (user)' }).textContent()).toBe(
      'Reply with the team name only.',
    );
    await shot('chat-editor');
    await page.getByRole('button', { name: 'Remove message 2' }).click();
    expect(await messages.count()).toBe(2);
    expect(await page.getByRole('textbox', { name: 'Message 1 (system)' }).textContent()).toContain(
      '{{ticket}}',
    );

    await page.keyboard.press('Control+s');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    // Text → chat changes the prompt's shape: a major bump.
    expect(await dialog.getByTestId('next-semver').textContent()).toBe('2.0.0');
    await dialog.getByLabel('Commit message').fill('Chat: system prompt and a fixed question');
    await page.keyboard.press('Enter');
    await page.getByText('Saved v3 · 2.0.0').waitFor();

    await page.getByRole('tab', { name: 'Diff' }).click();
    const diff = page.getByTestId('diff');
    await diff.getByText('v2 (1.1.0) → v3 (2.0.0) · type changed').waitFor();
    // Text against chat is compared as rendered text, word by word: the new question is inserted.
    expect(await diff.getByLabel('After').textContent()).toContain('user: Reply with the team name only.');
    expect(await diff.getByLabel('Before').textContent()).not.toContain('Reply');
    expect((await diff.locator('ins').allTextContents()).join('')).toContain('Reply');
    await shot('diff-chat');
  });

  it('deploys weighted variants to staging, refusing weights that do not add up', async () => {
    await page.getByRole('tab', { name: 'Deployments' }).click();
    await page.getByRole('tab', { name: /^staging/ }).click();
    await page.getByText('staging: nothing deployed').waitFor();
    await page.getByText('Weighted variants').click();
    await page.getByLabel('Variant 1 version').selectOption('2');
    await page.getByLabel('Variant 1 weight in percent').fill('75');
    await page.getByLabel('Variant 2 version').selectOption('3');
    await page.getByLabel('Variant 2 weight in percent').fill('30');
    const deploy = page.getByRole('button', { name: 'Deploy to staging' });
    expect(await deploy.isDisabled()).toBe(true);
    await page.getByText('Total 105.00% (must be 100%)').waitFor();
    await page.getByLabel('Variant 2 weight in percent').fill('25');
    await page.getByLabel('Reason', { exact: true }).fill('Canary for the chat version');
    await deploy.click();
    await page.getByTestId('live-release').filter({ hasText: 'v2 75% · v3 25%' }).waitFor();
    await page.getByRole('cell', { name: 'Canary for the chat version' }).waitFor();
    expect(await page.getByTestId('live-staging').textContent()).toBe('v2 75% · v3 25%');
    await shot('staging-variants');
  });

  it('starts a run against a baseline and shows its regressions, filterable, with the reason', async () => {
    expect(firstRunId).toBeGreaterThan(0);
    await page.getByRole('tab', { name: 'Evals' }).click();
    const form = page.getByRole('form', { name: 'Start an eval run' });
    await form.waitFor();
    await form.getByLabel('Dataset').selectOption('support/triage-cases');
    await form.getByLabel('v3', { exact: true }).check();
    await form.getByLabel('Baseline (regressions are counted against it)').selectOption(String(firstRunId));
    await form.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/\/evals\/\d+$/);
    await page.locator('.badge.status-completed').waitFor({ timeout: 20_000 });

    // v3 no longer echoes the ticket, so case 1 ("invoice") now fails where the baseline passed it.
    const comparison = page.getByTestId('eval-comparison');
    // The pass-rate delta needs the baseline run too, which may arrive after the comparison.
    await comparison.filter({ hasText: 'Pass rate Δ' }).waitFor();
    expect(await page.getByLabel('Baseline run').inputValue()).toBe(String(firstRunId));
    const text = (await comparison.textContent()) ?? '';
    expect(text).toContain('Cases compared2');
    expect(text).toContain('Regressions1');
    expect(text).toContain('Fixes0');
    expect(text).toContain('Pass rate Δ−50 pts');

    const matrix = page.getByTestId('eval-matrix');
    const show = page.getByRole('group', { name: 'Show' });
    await show.getByText('Regressions', { exact: true }).click();
    expect(page.url()).toContain('show=regressions');
    await page
      .getByTestId('matrix-count')
      .filter({ hasText: `1 of 2 cases · failing now, passing in baseline #${firstRunId}` })
      .waitFor();
    expect(await matrix.locator('tbody tr').count()).toBe(1);
    await matrix
      .getByRole('button', {
        name: `Case 1, v3 · mock:mock-1: fail, regression against baseline #${firstRunId}`,
      })
      .click();
    expect(await page.getByTestId('cell-change').textContent()).toBe(
      `Regression: baseline #${firstRunId} passed (1.00)`,
    );
    const detail = page.getByRole('complementary', { name: 'Result detail' });
    expect(await detail.textContent()).toContain('Expected output to contain "invoice"');
    await page.getByRole('button', { name: 'Switch to light theme' }).click();
    await shot('eval-regressions-light');

    await show.getByText('Failures', { exact: true }).click();
    await page.getByTestId('matrix-count').filter({ hasText: '2 of 2 cases' }).waitFor();
    // Without a baseline run the comparison goes, and a single column has nothing to regress against.
    await page.getByLabel('Baseline run').selectOption('none');
    await comparison.waitFor({ state: 'detached' });
    expect(page.url()).toContain('baseline=none');
  });

  it('runs a batch as a matrix with live figures while streaming, and saves a column as a new version', async () => {
    await page.goto(`${web.url}/playground?prompt=support%2Ftriage&version=3`);
    await page.getByText('Reply with the team name only.').waitFor();
    await page.getByText('Batch (matrix)').click();
    await page
      .getByLabel('One JSON object per line (or a JSON array)')
      .fill(
        [
          '{"ticket": "My invoice is wrong"}',
          '{"ticket": "The app crashes"}',
          '{"ticket": "Reset my password"}',
        ].join('\n'),
      );
    await page.getByRole('button', { name: '+ Model' }).click();
    await page.getByLabel('Model 2 name').fill('mock-2');
    // Streaming lasts a few hundred ms: record whether live figures ever showed rather than racing them.
    await page.evaluate(() => {
      const w = window as unknown as { sawLiveMetrics: boolean };
      w.sawLiveMetrics = false;
      new MutationObserver(() => {
        if (document.querySelector('[data-testid^="live-metrics-"]')) w.sawLiveMetrics = true;
      }).observe(document.body, { childList: true, subtree: true });
    });
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    for (const row of [0, 1, 2])
      for (const column of [0, 1]) await page.getByTestId(`metrics-${row}-${column}`).waitFor();
    expect(await page.evaluate(() => (window as unknown as { sawLiveMetrics: boolean }).sawLiveMetrics)).toBe(
      true,
    );
    expect(await page.getByText('Input #3').count()).toBe(1);
    expect(await page.getByTestId('output-2-1').locator('pre').textContent()).toContain('mock-2');
    await shot('playground-batch');

    await page.getByRole('button', { name: 'Save as new version' }).nth(1).click();
    await page.getByRole('status').filter({ hasText: 'Saved v4 (2.1.0).' }).waitFor();
    const v4 = await fetch(`${api.url}/api/v1/prompts/support%2Ftriage/versions/4`, {
      headers: { authorization: `Bearer ${api.apiKey}` },
    }).then((r) => r.json() as Promise<{ config: { model?: string }; type: string; parent?: unknown }>);
    expect(v4).toMatchObject({ type: 'chat', config: { model: 'mock-2' } });

    // The diff lists the config the column brought, and chat against chat is compared per message.
    await page.goto(`${web.url}/prompts/support%2Ftriage?tab=diff&from=3&to=4`);
    const config = page.getByRole('table', { name: 'Config changes' });
    await config.waitFor();
    const modelRow = config.getByRole('row').filter({ hasText: 'model' });
    expect(await modelRow.textContent()).toContain('"mock-2"');
    expect(await page.getByTestId('diff').locator('.message-diff-item').count()).toBe(2);
    await shot('diff-config');
  });

  it('narrows the registry by folder and by the / search shortcut', async () => {
    for (const name of ['support/billing/refunds', 'marketing/welcome']) {
      const res = await fetch(`${api.url}/api/v1/prompts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${api.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name, owner: 'growth-team', tags: ['seeded'] }),
      });
      expect(res.status).toBe(201);
    }
    await page.goto(`${web.url}/`);
    const list = page.getByRole('list', { name: 'Prompts' });
    await list.getByRole('listitem').nth(2).waitFor();
    const folders = page.getByRole('navigation', { name: 'Folders' });
    await folders.getByRole('button', { name: /^support\// }).click();
    expect(page.url()).toContain('folder=support');
    await list.getByRole('listitem').filter({ hasText: 'support/billing/refunds' }).waitFor();
    expect(await list.getByRole('listitem').count()).toBe(2);
    expect(await list.textContent()).not.toContain('marketing/welcome');
    const triage = list.getByRole('listitem').filter({ hasText: 'support/triage' });
    expect(await triage.textContent()).toContain('staging: v2 75% · v3 25%');
    expect(await triage.textContent()).toContain('production: v1');
    await folders.getByRole('button', { name: 'Expand support/' }).click();
    await folders.getByRole('button', { name: /^billing\// }).waitFor();
    await shot('registry-folders');

    await folders.getByRole('button', { name: /^All prompts/ }).click();
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(
      'Search prompts',
    );
    await page.keyboard.type('welcome');
    await list.getByRole('listitem').filter({ hasText: 'marketing/welcome' }).waitFor();
    expect(await list.getByRole('listitem').count()).toBe(1);
    expect(await list.textContent()).toContain('growth-team');
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
