/**
 * The pages that make a terminal unnecessary, in a real Chromium against the real server (which
 * serves the built app): datasets (create, add/edit/delete items, import with a preview, older
 * revisions, export), API keys (create with a role, shown once and copied, revoke), providers
 * (configure an OpenAI-compatible server with a key and a header, test the connection against a
 * local fake provider, no secret on screen), environments (create, reorder, protect, rename,
 * archive), price overrides, per-prompt thresholds, the eval form's dataset list and the
 * not-found pages. Any console error fails it; screenshots go to test-results/web-pages/.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, prepareBrowserTest, shotsDir } from './browser.ts';

const SHOTS = shotsDir('web-pages');
const PROVIDER_KEY = 'sk-local-Vb82nQ4xTz7Lm3Kp';
const HEADER_SECRET = 'team-secret-Qw71Zx';

describe('web app pages for datasets and settings, in Chromium', () => {
  let api: TestServer;
  let browser: Browser;
  let page: Page;
  let fake: Server;
  let fakeUrl = '';
  const fakeRequests: { headers: IncomingHttpHeaders; body: Record<string, unknown> }[] = [];
  const consoleErrors: string[] = [];
  let step = 0;
  /** `status of N|path` of refusals a test caused on purpose (Chromium logs them as errors). */
  const refused: string[] = [];

  const shot = async (name: string) => {
    step++;
    const ignored = (e: string) =>
      refused.some((r) => {
        const [mark = '', path = ''] = r.split('|');
        return e.includes(mark) && e.includes(path);
      });
    await page.screenshot({
      path: join(SHOTS, `${String(step).padStart(2, '0')}-${name}.png`),
      fullPage: true,
    });
    consoleErrors.splice(0, consoleErrors.length, ...consoleErrors.filter((e) => !ignored(e)));
    expect(consoleErrors.join('\n'), `console errors before "${name}"`).toBe('');
  };
  /** Chromium logs a refused request as a failed resource load: expected after a refusal we caused. */
  const expectRefused = async (status: number, path: string) => {
    const mark = `status of ${status}`;
    const logged = () => consoleErrors.some((e) => e.includes(mark) && e.includes(path));
    await expect.poll(logged, { message: `a ${status} from ${path} was logged` }).toBe(true);
    // Chromium may report one refused fetch twice, a moment apart: ignore that pair from now on.
    refused.push(`${mark}|${path}`);
  };

  const call = async (method: string, path: string, body?: unknown, key = api.apiKey) => {
    const res = await fetch(`${api.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };

  beforeAll(async () => {
    await prepareBrowserTest(SHOTS);
    // A local OpenAI-compatible provider: answers every chat completion with "ok".
    fake = createServer(async (req, res) => {
      let text = '';
      for await (const chunk of req) text += chunk;
      fakeRequests.push({ headers: req.headers, body: JSON.parse(text || '{}') });
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          id: 'x',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'length' }],
          usage: { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 },
        }),
      );
    });
    await new Promise<void>((done) => fake.listen(0, '127.0.0.1', done));
    fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}/v1`;
    api = await startTestServer({ dialect: 'sqlite' });
    ({ browser, page } = await openBrowser({
      viewport: { width: 1280, height: 800 },
      timeout: 10_000,
      errors: consoleErrors,
      context: { acceptDownloads: true },
    }));
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: api.url });
    await page.goto(`${api.url}/sign-in`);
    await page.getByLabel('API key').fill(api.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('No prompts yet').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await new Promise<void>((done) => (fake ? fake.close(() => done()) : done()));
  });

  it('creates a dataset from the main navigation and adds, edits and deletes items by revision', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Datasets' }).click();
    await page.getByText('No datasets yet').waitFor();
    await shot('datasets-empty');
    const create = page.getByRole('form', { name: 'Create a dataset' });
    await create.getByLabel('Name').fill('qa/capitals');
    await create.getByLabel('Description').fill('Countries and their capitals');
    await create.getByRole('button', { name: 'Create dataset' }).click();
    await page.waitForURL(/\/datasets\/qa\/capitals$/);
    await page.getByText('No items yet').waitFor();

    await page.getByRole('button', { name: 'Add item' }).click();
    const add = page.getByRole('dialog', { name: 'Add an item' });
    await add.getByLabel(/^Variables/).fill('{"country": "France"}');
    await add.getByLabel(/^Expected/).fill('"Paris"');
    await shot('dataset-add-item');
    // A malformed field is caught before anything is sent.
    await add.getByLabel(/^Metadata/).fill('{"source": ');
    await add.getByRole('button', { name: 'Add item' }).click();
    await add.getByText('Metadata is not valid JSON').waitFor();
    await add.getByLabel(/^Metadata/).fill('{"source": "atlas"}');
    await add.getByRole('button', { name: 'Add item' }).click();
    await add.waitFor({ state: 'detached' });
    const items = page.getByRole('table', { name: 'Items' });
    await items.getByText('{"country":"France"}').waitFor();

    await items.getByRole('button', { name: 'Edit item 1' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit item #1' });
    await edit.getByLabel(/^Expected/).fill('"Paris, France"');
    await edit.getByRole('button', { name: 'Save item' }).click();
    await edit.waitFor({ state: 'detached' });
    await items.getByText('Paris, France').waitFor();
    expect((await call('GET', '/datasets/qa%2Fcapitals')).body).toMatchObject({ revision: 2, itemCount: 1 });
  });

  it('imports a CSV after a preview, names a bad line, and exports what it holds', async () => {
    await page.getByRole('button', { name: 'Import CSV / JSONL…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import into qa/capitals' });
    await dialog
      .getByLabel('Or paste the contents')
      .fill('country,expected,metadata.source\nSpain,Madrid,atlas\nItaly,Rome,atlas\n');
    await dialog.getByRole('button', { name: 'Preview' }).click();
    const preview = dialog.getByTestId('import-preview');
    await preview.waitFor();
    expect(await preview.textContent()).toContain('2 items, variables “country”');
    expect(await preview.getByRole('row').count()).toBe(3);
    // Nothing is written by the preview.
    expect((await call('GET', '/datasets/qa%2Fcapitals')).body.revision).toBe(2);
    await shot('dataset-import-preview');
    await dialog.getByRole('button', { name: 'Import 2 items' }).click();
    await dialog.getByText('Imported 2 items as revision 3.').waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();
    const items = page.getByRole('table', { name: 'Items' });
    await items.getByText('Madrid').waitFor();
    expect(await items.locator('tbody tr').count()).toBe(3);

    await page.getByRole('button', { name: 'Import CSV / JSONL…' }).click();
    await dialog.getByLabel('Format').selectOption('jsonl');
    await dialog
      .getByLabel('Or paste the contents')
      .fill('{"variables": {"country": "Peru"}}\n{"vars": {}}\n');
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await dialog
      .getByRole('alert')
      .getByText(/^Line 2:/)
      .waitFor();
    await expectRefused(422, '/import/preview');
    await shot('dataset-import-bad-line');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('qa_capitals.csv');
    const csv = readFileSync((await file.path()) ?? '', 'utf8');
    expect(csv.split('\n')[0]).toContain('country');
    expect(csv).toContain('Madrid');
    expect(csv).toContain('Paris, France');
  });

  it('deletes an item after confirming, and shows an older revision read-only', async () => {
    const items = page.getByRole('table', { name: 'Items' });
    await items.getByRole('button', { name: 'Delete item 1' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete item #1?' });
    await confirm.getByRole('button', { name: 'Delete item' }).click();
    await confirm.waitFor({ state: 'detached' });
    await items.getByText('France').waitFor({ state: 'detached' });
    expect(await items.locator('tbody tr').count()).toBe(2);

    await page.getByLabel('Revision').selectOption('1');
    await page.waitForURL(/\?revision=1$/);
    await page.getByTestId('old-revision').waitFor();
    await items.getByText('{"country":"France"}').waitFor();
    expect(await items.getByText('Paris', { exact: true }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Add item' }).count()).toBe(0);
    await shot('dataset-old-revision');
    // The URL is shareable: a reload shows the same revision.
    await page.reload();
    await page.getByTestId('old-revision').waitFor();
    await page.getByRole('button', { name: 'Back to the current revision' }).click();
    await items.getByText('Madrid').waitFor();
  });

  it('creates an API key with a role, shows it once with a copy button, and revokes it after confirming', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.waitForURL(/\/settings\/environments$/);
    await page
      .getByRole('navigation', { name: 'Settings sections' })
      .getByRole('link', { name: 'API keys' })
      .click();
    await page.waitForURL(/\/settings\/api-keys$/);
    const form = page.getByRole('form', { name: 'Create an API key' });
    await form.getByLabel('Name').fill('dashboard');
    await form.getByLabel('Role').selectOption('viewer');
    await form.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-key-value').textContent()) ?? '';
    expect(key).toMatch(/^pl_/);
    await page.getByRole('button', { name: 'Copy key' }).click();
    await page.getByRole('button', { name: '✓ Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    const table = page.getByRole('table', { name: 'API keys' });
    const row = table.getByRole('row').filter({ hasText: 'dashboard' });
    expect(await row.textContent()).toContain('viewer');
    expect(await row.textContent()).toContain('never');
    await shot('api-key-created');
    expect((await call('GET', '/prompts', undefined, key)).status).toBe(200);
    // Shown once: after "stored", and after a reload, the secret is nowhere on the page.
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.reload();
    await table.waitFor();
    expect(await page.content()).not.toContain(key);
    expect(await row.textContent()).toMatch(/just now|min ago/);

    await row.getByRole('button', { name: 'Revoke dashboard' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke “dashboard”?' });
    await shot('api-key-revoke-confirm');
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.getByLabel(/Show 1 revoked/).check();
    await row.getByText(/revoked/).waitFor();
    expect((await call('GET', '/prompts', undefined, key)).status).toBe(401);

    // An application key (read-only, production only, support/* prompts), then rotated with no grace.
    await form.getByLabel('Name').fill('storefront');
    await form.getByLabel('Read-only application key').check();
    await form.getByRole('group', { name: 'Only these environments' }).getByLabel('production').check();
    await form.getByLabel('Prompts').fill('support/*');
    await form.getByRole('button', { name: 'Create key' }).click();
    const appKey = (await page.getByTestId('new-key-value').textContent()) ?? '';
    await page.getByRole('button', { name: 'I have stored it' }).click();
    const appRow = table.getByRole('row').filter({ hasText: 'storefront' });
    await appRow.getByText('read-only · only production · prompts support/*').waitFor();
    expect(await appRow.textContent()).toContain('viewer');
    expect((await call('GET', '/environments/production/snapshot', undefined, appKey)).status).toBe(200);
    expect((await call('GET', '/prompts', undefined, appKey)).body.code).toBe('KEY_SCOPE');
    await appRow.getByRole('button', { name: 'Rotate storefront' }).click();
    const rotate = page.getByRole('dialog', { name: 'Rotate “storefront”?' });
    await rotate.getByLabel('Grace period (seconds)').fill('0');
    await shot('api-key-rotate');
    await rotate.getByRole('button', { name: 'Rotate key' }).click();
    await page.getByText('Key “storefront” (viewer) rotated.').waitFor();
    const rotated = (await page.getByTestId('new-key-value').textContent()) ?? '';
    expect(rotated).toMatch(/^pl_/);
    expect(rotated).not.toBe(appKey);
    expect((await call('GET', '/environments/production/snapshot', undefined, rotated)).status).toBe(200);
    expect((await call('GET', '/environments/production/snapshot', undefined, appKey)).body.code).toBe(
      'KEY_EXPIRED',
    );
  });

  it('configures an OpenAI-compatible provider with a key and a header, tests it, and never shows the secret', async () => {
    await page.getByRole('link', { name: 'Providers' }).click();
    await page.waitForURL(/\/settings\/providers$/);
    await page.getByTestId('provider-mock').waitFor();
    await page.getByRole('button', { name: 'Add a provider under its own name…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a provider' });
    await dialog.getByLabel('Name').fill('local');
    await dialog.getByLabel('Speaks').selectOption('openai-compatible');
    await dialog.getByLabel(/^API key/).fill(PROVIDER_KEY);
    await dialog.getByLabel(/^Base URL/).fill(fakeUrl);
    await dialog.getByRole('button', { name: 'Add header' }).click();
    await dialog.getByLabel('Header 1 name').fill('x-team');
    await dialog.getByLabel('Header 1 value').fill(HEADER_SECRET);
    await shot('provider-configure');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const card = page.getByTestId('provider-local');
    await card.waitFor({ state: 'detached' }).catch(() => undefined);
    expect(await card.textContent()).toContain(`…${PROVIDER_KEY.slice(-4)}`);
    expect(await card.textContent()).toContain('x-team (values hidden)');
    await card.getByLabel('Model to test local with').fill('tiny-1');
    await card.getByRole('button', { name: 'Test connection' }).click();
    await card.getByText(/✓ tiny-1 answered in/).waitFor();
    expect(fakeRequests.at(-1)?.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    expect(fakeRequests.at(-1)?.headers['x-team']).toBe(HEADER_SECRET);
    expect(fakeRequests.at(-1)?.body).toMatchObject({ model: 'tiny-1', max_tokens: 1 });
    const mock = page.getByTestId('provider-mock');
    await mock.getByRole('button', { name: 'Test connection' }).click();
    await mock.getByText(/✓ mock-1 answered/).waitFor();
    await shot('providers-tested');
    const html = await page.content();
    expect(html).not.toContain(PROVIDER_KEY.slice(0, -4));
    expect(html).not.toContain(HEADER_SECRET);
    // Editing keeps the stored key when the field stays empty.
    await card.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('dialog', { name: 'Configure local' });
    expect(await edit.getByLabel(/^API key/).inputValue()).toBe('');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    const listed = await call('GET', '/providers');
    expect(listed.body.items.find((p: { provider: string }) => p.provider === 'local')).toMatchObject({
      keyHint: `…${PROVIDER_KEY.slice(-4)}`,
      headerNames: ['x-team'],
    });
    // A hosted provider without credentials offers Configure, not a test.
    const openai = page.getByTestId('provider-openai');
    expect(await openai.getByRole('button', { name: 'Test connection' }).count()).toBe(0);
    expect(await openai.textContent()).toContain('not configured');
  });

  it('creates, reorders, protects, renames and archives environments', async () => {
    await page.getByRole('link', { name: 'Environments' }).click();
    const form = page.getByRole('form', { name: 'Create an environment' });
    await form.getByLabel('Name').fill('canary');
    await form.getByLabel('Description').fill('a slice of production');
    await form.getByRole('button', { name: 'Create environment' }).click();
    const table = page.getByRole('table', { name: 'Environments' });
    await table.getByTestId('env-canary').waitFor();
    const order = async () =>
      (await table.locator('tbody tr td:nth-child(2) strong').allTextContents()).map((s) => s.trim());
    expect(await order()).toEqual(['development', 'staging', 'production', 'canary']);
    await table.getByRole('button', { name: 'Move canary earlier' }).click();
    await expect.poll(order).toEqual(['development', 'staging', 'canary', 'production']);
    const ranks = (await call('GET', '/environments')).body.items.map((e: { name: string; rank: number }) => [
      e.name,
      e.rank,
    ]);
    expect(ranks).toEqual([
      ['development', 10],
      ['staging', 20],
      ['canary', 30],
      ['production', 40],
    ]);
    // The box follows the server's answer (it is checked once the change is saved), so click and
    // wait for both rather than check(), which wants the state changed at once.
    await table.getByLabel('canary is protected').click();
    await expect.poll(async () => (await call('GET', '/environments/canary')).body.protected).toBe(true);
    await expect.poll(() => table.getByLabel('canary is protected').isChecked()).toBe(true);
    await table.getByTestId('env-canary').getByRole('button', { name: 'Rename…' }).click();
    const rename = page.getByRole('dialog', { name: 'Rename canary' });
    await rename.getByLabel('Name').fill('dogfood');
    await rename.getByRole('button', { name: 'Save' }).click();
    await table.getByTestId('env-dogfood').waitFor();
    await table.getByTestId('env-dogfood').getByRole('button', { name: 'Archive' }).click();
    await table.getByTestId('env-dogfood').getByText('archived').waitFor();
    await shot('environments');
    expect((await call('GET', '/environments/dogfood')).body).toMatchObject({
      archived: true,
      protected: true,
    });
    await table.getByTestId('env-dogfood').getByRole('button', { name: 'Unarchive' }).click();
    await table.getByTestId('env-dogfood').getByText('active').waitFor();
  });

  it('adds, edits and removes price overrides beside the shipped prices', async () => {
    await page.getByRole('link', { name: 'Prices' }).click();
    await page.getByText('No overrides: the shipped prices below apply').waitFor();
    await page.getByLabel('Filter shipped prices').fill('gpt-4o');
    const shipped = page.getByRole('table', { name: 'Shipped prices' });
    await shipped.getByRole('button', { name: 'Override openai gpt-4o', exact: true }).click();
    const overrides = page.getByRole('table', { name: 'Overrides' });
    await overrides.getByLabel('Override 1 input price').fill('1.5');
    await page.getByRole('button', { name: 'Add override' }).click();
    await overrides.getByLabel('Override 2 provider').fill('*');
    await overrides.getByLabel('Override 2 model pattern').fill('my-model*');
    await overrides.getByLabel('Override 2 input price').fill('0.5');
    await overrides.getByLabel('Override 2 output price').fill('1');
    await page.getByRole('button', { name: 'Save prices' }).click();
    await shipped.getByText('overridden').waitFor();
    await shot('prices');
    const saved = await call('GET', '/prices');
    expect(saved.body.items).toEqual([
      expect.objectContaining({ provider: 'openai', pattern: 'gpt-4o', input: 1.5 }),
      { provider: '*', pattern: 'my-model*', input: 0.5, output: 1 },
    ]);
    await overrides.getByRole('button', { name: 'Remove override 1' }).click();
    await page.getByRole('button', { name: 'Save prices' }).click();
    await expect.poll(async () => (await call('GET', '/prices')).body.items.length).toBe(1);
  });

  it('sets a prompt’s thresholds in its evals tab, where the eval form lists datasets', async () => {
    expect(
      (
        await call('POST', '/prompts', {
          name: 'qa/capital',
          version: { type: 'text', template: 'Capital of {{country}}?' },
        })
      ).status,
    ).toBe(201);
    await page.goto(`${api.url}/prompts/qa%2Fcapital?tab=evals`);
    const start = page.getByRole('form', { name: 'Start an eval run' });
    await start.waitFor();
    const options = await start.getByLabel('Dataset').locator('option').allTextContents();
    expect(options).toEqual(['Choose a dataset', 'qa/capitals · 2 cases · rev 4']);
    const card = page.getByRole('region', { name: 'Quality thresholds' });
    await card.getByLabel('Least pass rate (%)').fill('80');
    await card.getByLabel('No regressions against the baseline').check();
    await card.getByRole('button', { name: 'Save thresholds' }).click();
    await card.getByText('Saved.').waitFor();
    expect((await call('GET', '/prompts/qa%2Fcapital/thresholds')).body).toEqual({
      minPassRate: 0.8,
      noRegressions: true,
    });
    await shot('prompt-thresholds');
    await page.reload();
    expect(await card.getByLabel('Least pass rate (%)').inputValue()).toBe('80');
  });

  it('speaks to a person on pages that do not exist, in both themes', async () => {
    await page.goto(`${api.url}/no/such/page`);
    const missing = page.getByTestId('not-found');
    await missing.waitFor();
    expect(await missing.textContent()).not.toMatch(/encod/i);
    await page.goto(`${api.url}/prompts/qa%2Fnothing`);
    await page.getByText('No such prompt').waitFor();
    await expectRefused(404, '/api/v1/prompts/qa%2Fnothing');
    expect(await page.getByTestId('not-found').textContent()).not.toMatch(/encod|GET \/api/i);
    await page.goto(`${api.url}/datasets/qa/nothing`);
    await page.getByText('No such dataset').waitFor();
    await expectRefused(404, '/api/v1/datasets/qa%2Fnothing');
    expect(await page.getByTestId('not-found').textContent()).not.toMatch(/encod|GET \/api/i);
    await page.goto(`${api.url}/settings/providers`);
    await page.getByTestId('provider-mock').waitFor();
    const toggle = page.getByRole('button', { name: /Switch to (light|dark) theme/ });
    await toggle.click();
    await shot('providers-other-theme');
    await toggle.click();
  });
});
