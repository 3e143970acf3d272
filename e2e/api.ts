/** What the browser tests share to prepare data over the REST API and sign in. */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** Calls `/api/v1<path>` with the server's admin key; fails the test unless it answers 2xx; the JSON answer. */
export async function apiCall(
  server: { url: string; apiKey: string },
  method: string,
  path: string,
  body?: unknown,
) {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return res.json();
}

/** Signs in on the sign-in page with an API key and waits for the app's main navigation. */
export async function signInWithKey(page: Page, url: string, key: string): Promise<void> {
  await page.goto(`${url}/sign-in`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}
