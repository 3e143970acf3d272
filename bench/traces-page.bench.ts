/**
 * The observability pages in Chromium against `main.ts` (SQLite by default, PostgreSQL with
 * BENCH_DATABASE_URL): BENCH_SPANS spans (default 50 000, one trace each, over the last 24 hours,
 * 5 versions of one prompt), then, median of 5 each:
 * - traces page: navigation to the first rows drawn ('traces-start' → 'traces-render');
 * - a filter change (status = error) and a free-text search, Apply to the new rows drawn;
 * - the prompt's Monitoring tab (24 h, 5-minute points): tab mounted to the last chart drawn
 *   (metrics fetch + uPlot draw of its 7 charts).
 * Prints one JSON object. Run: npm exec -- node --conditions=source bench/traces-page.bench.ts
 */
import { randomBytes } from 'node:crypto';
import { launchChromium } from '../e2e/browser.ts';
import { ensureWebBuild } from '../e2e/build-web.ts';
import { startServer } from './lib/server.ts';

const SPANS = Number(process.env.BENCH_SPANS ?? 50_000);
const RUNS = 5;
const PROMPT = 'bench/reply';
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round((s[Math.floor(s.length / 2)] ?? Number.NaN) * 10) / 10;
};

async function seed(url: string, apiKey: string): Promise<number> {
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const started = performance.now();
  const now = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < SPANS) {
      const from = next;
      next += 1_000;
      const spans = [];
      for (let i = from; i < Math.min(from + 1_000, SPANS); i++) {
        const start = now - Math.floor((i / SPANS) * 86_000_000) - 1_000;
        spans.push({
          traceId: randomBytes(16).toString('hex'),
          spanId: randomBytes(8).toString('hex'),
          name: 'chat',
          startTime: start,
          endTime: start + 200 + (i % 700),
          status: i % 20 === 0 ? 'error' : 'ok',
          prompt: { name: PROMPT, version: 1 + (i % 5), environment: 'production' },
          model: 'gpt-4o-mini',
          usage: { input: 100 + (i % 50), output: 20 },
          userId: `user-${i % 1_000}`,
          input: [{ role: 'user', content: `Question ${i} about order ${i * 7} and its delivery` }],
          output: `Answer ${i}: your order ships in ${i % 9} days`,
        });
      }
      const res = await fetch(`${url}/api/v1/traces`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ spans }),
      });
      if (res.status !== 202) throw new Error(`ingest: ${res.status} ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return Math.round(performance.now() - started);
}

const server = await startServer(
  process.env.BENCH_DATABASE_URL ? { databaseUrl: process.env.BENCH_DATABASE_URL } : {},
);
const browser = await launchChromium();
try {
  await ensureWebBuild();
  const headers = { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' };
  await fetch(`${server.url}/api/v1/prompts`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: PROMPT, version: { type: 'text', template: 'Reply to {{q}}' } }),
  });
  const seedMs = await seed(server.url, server.apiKey);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const signIn = await page.request.post(`${server.url}/api/v1/session`, { data: { apiKey: server.apiKey } });
  if (signIn.status() !== 204) throw new Error(`sign-in failed: ${signIn.status()}`);
  await page.addInitScript(() => window.localStorage.setItem('promptline.signedIn', '1'));
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const lastMeasure = (name: string) =>
    page.evaluate((n) => performance.getEntriesByName(n).at(-1)?.duration ?? Number.NaN, name);
  const clearMeasures = () => page.evaluate(() => performance.clearMeasures());
  const rows = page.getByTestId('trace-row');

  const first: number[] = [];
  const filter: number[] = [];
  const search: number[] = [];
  const monitoring: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await page.goto(`${server.url}/traces?live=0`);
    await rows.first().waitFor({ timeout: 60_000 });
    first.push(await lastMeasure('traces-render'));

    await clearMeasures();
    await page.getByRole('combobox', { name: 'Status' }).selectOption('error');
    await page.waitForFunction(() => performance.getEntriesByName('traces-render').length > 0, null, {
      timeout: 60_000,
    });
    filter.push(await lastMeasure('traces-render'));

    await clearMeasures();
    await page.getByLabel('Search input and output').fill(`order ${7 * (1_000 + i * 20)} `);
    await page.getByLabel('Search input and output').press('Enter');
    await page.waitForFunction(() => performance.getEntriesByName('traces-render').length > 0, null, {
      timeout: 60_000,
    });
    search.push(await lastMeasure('traces-render'));

    await page.goto(`${server.url}/prompts/${encodeURIComponent(PROMPT)}?tab=monitoring`);
    await page.waitForFunction(() => performance.getEntriesByName('chart-drawn').length >= 7, null, {
      timeout: 60_000,
    });
    monitoring.push(await lastMeasure('chart-drawn'));
  }
  console.log(
    JSON.stringify({
      database: process.env.BENCH_DATABASE_URL ? 'postgres' : 'sqlite',
      spans: SPANS,
      seedMs,
      runs: RUNS,
      tracesFirstRenderMedianMs: median(first),
      tracesFilterChangeMedianMs: median(filter),
      tracesSearchMedianMs: median(search),
      monitoringFetchAndDrawMedianMs: median(monitoring),
      raw: { first, filter, search, monitoring },
      pageErrors: errors,
      goals: {
        tracesFirstRenderMs: 300,
        tracesFilterChangeMs: 300,
        tracesSearchMs: 1_000,
        monitoringMs: 500,
      },
    }),
  );
} finally {
  await browser.close();
  await server.stop();
}
