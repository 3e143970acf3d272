import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gunzipSync, gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.ts';
import { createTestDatabase, type TestDatabase } from '../test-helpers/index.ts';
import { defaultWebDist } from './static.ts';

const INDEX = '<!doctype html><title>Promptline app</title><div id="root"></div>';
const BIG_JS = `export const words = ${JSON.stringify(Array.from({ length: 2000 }, (_, i) => `word-${i % 50}`))};\n`;

async function appServing(database: TestDatabase, dist: string): Promise<FastifyInstance> {
  return buildApp({ db: database, config: { logLevel: 'silent' }, logger: false, web: { dist } });
}

describe('the web app at /', () => {
  let database: TestDatabase;
  let dist: string;
  let app: FastifyInstance;
  const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    dist = mkdtempSync(join(tmpdir(), 'promptline-web-'));
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), INDEX);
    writeFileSync(join(dist, 'assets', 'index-AbC123.js'), 'console.log("app")');
    writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    // What the build's precompress step writes next to a large asset.
    writeFileSync(join(dist, 'assets', 'big-XyZ789.js'), BIG_JS);
    writeFileSync(join(dist, 'assets', 'big-XyZ789.js.br'), brotliCompressSync(BIG_JS));
    writeFileSync(join(dist, 'assets', 'big-XyZ789.js.gz'), gzipSync(BIG_JS));
    writeFileSync(join(tmpdir(), 'promptline-secret.txt'), 'THE-CONTENT-OUTSIDE-DIST');
    app = await appServing(database, dist);
  });

  afterAll(async () => {
    await app?.close();
    await database?.close();
    rmSync(dist, { recursive: true, force: true });
    rmSync(join(tmpdir(), 'promptline-secret.txt'), { force: true });
  });

  it('serves index.html at / without a key, revalidated on every load', async () => {
    const response = await app.inject({ url: '/', headers: html });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.body).toBe(INDEX);
  });

  it('serves hashed assets as immutable for a year, other files revalidated', async () => {
    const asset = await app.inject({ url: '/assets/index-AbC123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.body).toBe('console.log("app")');
    const icon = await app.inject({ url: '/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('public, max-age=0');
  });

  it('sends the precompressed file the browser accepts best, with Vary: Accept-Encoding', async () => {
    const url = '/assets/big-XyZ789.js';
    const br = await app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate, br, zstd' } });
    expect(br.statusCode).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(br.headers.vary).toMatch(/accept-encoding/i);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.rawPayload.equals(brotliCompressSync(BIG_JS))).toBe(true);

    const gz = await app.inject({ url, headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString('utf8')).toBe(BIG_JS);

    const plain = await app.inject({ url });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toMatch(/accept-encoding/i);
    expect(plain.body).toBe(BIG_JS);
  });

  it('answers index.html for any page a browser opens (SPA fallback), query strings included', async () => {
    for (const url of [
      '/prompts/support%2Ftriage?tab=diff&from=1&to=2',
      '/evals/3',
      '/sign-in?next=/audit',
    ]) {
      const response = await app.inject({ url, headers: html });
      expect(response.statusCode, url).toBe(200);
      expect(response.body, url).toBe(INDEX);
    }
  });

  it('keeps 404s for missing assets, non-HTML requests and the API, docs and health paths', async () => {
    expect((await app.inject({ url: '/assets/gone-123.js' })).statusCode).toBe(404);
    expect(
      (await app.inject({ url: '/prompts/x', headers: { accept: 'application/json' } })).statusCode,
    ).toBe(404);
    for (const url of ['/api/v1/nothing-here', '/api', '/docs/nothing-here', '/healthz/x']) {
      const response = await app.inject({ url, headers: html });
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['content-type'], url).toMatch(/^application\/problem\+json/);
    }
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/docs/' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/v1/prompts' })).statusCode).toBe(401);
  });

  it('never serves a file outside dist', async () => {
    for (const url of [
      '/..%2fpromptline-secret.txt',
      '/assets/..%2f..%2fpromptline-secret.txt',
      '/%2e%2e/%2e%2e/etc/passwd',
    ]) {
      const response = await app.inject({ url, headers: { accept: '*/*' } });
      expect(response.body, url).not.toContain('THE-CONTENT-OUTSIDE-DIST');
      expect(response.body, url).not.toContain('root:');
    }
  });

  it('explains how to build the app when dist is missing, and the API still works', async () => {
    const bare = await appServing(database, join(dist, 'not-built'));
    try {
      const page = await bare.inject({ url: '/', headers: html });
      expect(page.statusCode).toBe(503);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.body).toContain('npm run build -w @promptline/web');
      expect((await bare.inject({ url: '/prompts/a', headers: html })).body).toContain('npm run build');
      expect((await bare.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await bare.close();
    }
  });

  it('logs requests for the app and its files at debug only', async () => {
    const lines: { level: number; msg: string }[] = [];
    const stream = { write: (line: string) => void lines.push(JSON.parse(line)) };
    for (const level of ['info', 'debug'] as const) {
      lines.length = 0;
      const logged = await buildApp({
        db: database,
        config: { logLevel: level },
        logger: { level, stream },
        web: { dist },
      });
      try {
        await logged.inject({ url: '/', headers: html });
        await logged.inject({ url: '/assets/index-AbC123.js' });
        const requestLines = lines.filter((l) => /^GET \//.test(l.msg));
        expect(requestLines.map((l) => [l.level, l.msg.replace(/ [\d.]+ ms$/, '')])).toEqual(
          level === 'info'
            ? []
            : [
                [20, 'GET / 200'],
                [20, 'GET /assets/index-AbC123.js 200'],
              ],
        );
      } finally {
        await logged.close();
      }
    }
  });

  it('finds the web package dist by default', () => {
    expect(defaultWebDist()).toBe(join(import.meta.dirname, '../../../web/dist'));
  });
});
