/**
 * What every browser test shares to drive Chromium: the launch (the Debian Chromium through
 * playwright-core: Playwright's own browser download is unavailable here), a page whose console
 * errors fail the test, the screenshot folder.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { signInWithKey } from './api.ts';
import { ensureWebBuild } from './build-web.ts';

export const CHROMIUM_PATH = process.env.PROMPTLINE_CHROMIUM ?? '/usr/bin/chromium';

/** A headless Chromium; throws with the install command when the browser is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` (or set PROMPTLINE_CHROMIUM).`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Where a browser test's screenshots go: test-results/<name>. */
export const shotsDir = (name: string) => resolve(import.meta.dirname, '../test-results', name);

/**
 * The start of every browser test's beforeAll: its screenshot folder emptied (or made) and the web
 * build brought up to date with the sources, before the test starts the server that serves it.
 */
export async function prepareBrowserTest(shots: string): Promise<void> {
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  await ensureWebBuild();
}

export interface WatchedPageOptions {
  viewport: { width: number; height: number };
  /** Playwright's wait for every action; generous where the test loads the machine. */
  timeout: number;
  /** Receives the page's console errors and uncaught exceptions: the tests fail on any they do not expect. */
  errors: string[];
  /** Which console errors count; the default, all of them. */
  counts?: (page: Page) => boolean;
  /** More of the browser context's options (downloads, …). */
  context?: BrowserContextOptions;
}

/** A page in a fresh browser context (no cookies), its console errors collected in `errors`. */
export async function newWatchedPage(browser: Browser, options: WatchedPageOptions): Promise<Page> {
  const context = await browser.newContext({ ...options.context, viewport: options.viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(options.timeout);
  page.on('console', (msg) => {
    if (msg.type() === 'error' && (options.counts?.(page) ?? true)) {
      options.errors.push(`${msg.text()} ${msg.location().url}`);
    }
  });
  page.on('pageerror', (err) => options.errors.push(`pageerror: ${err.message}`));
  return page;
}

/**
 * Chromium with one watched page, signed in with `signIn.key` when given. The test holds the
 * browser and closes it in its afterAll (which runs even when this threw after the launch, so the
 * browser is returned only once the page is ready and closed here otherwise).
 */
export async function openBrowser(
  options: WatchedPageOptions & { signIn?: { url: string; key: string } },
): Promise<{ browser: Browser; page: Page }> {
  const browser = await launchChromium();
  try {
    const page = await newWatchedPage(browser, options);
    if (options.signIn) await signInWithKey(page, options.signIn.url, options.signIn.key);
    return { browser, page };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/**
 * `shot(name)` saves a full-page screenshot as `01-<name>.png`, `02-…`, in the order taken; given
 * the page's `errors`, it then fails the test on any console error so far.
 */
export function numberedShots(
  dir: string,
  page: () => Page,
  errors?: readonly string[],
): (name: string) => Promise<void> {
  let step = 0;
  return async (name) => {
    step++;
    await page().screenshot({
      path: join(dir, `${String(step).padStart(2, '0')}-${name}.png`),
      fullPage: true,
    });
    if (errors) expect(errors.join('\n'), `console errors before "${name}"`).toBe('');
  };
}
