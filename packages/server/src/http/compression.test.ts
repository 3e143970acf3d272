import { request } from 'node:http';
import { Readable } from 'node:stream';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.ts';
import { createTestDatabase, DIALECTS, startTestServer, type TestServer } from '../test-helpers/index.ts';
import { isCompressible } from './compression.ts';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A real HTTP GET that keeps the body as it came over the wire (fetch would decode it). */
function get(url: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: compressed answers`, () => {
    let server: TestServer;
    let auth: Record<string, string>;
    beforeAll(async () => {
      server = await startTestServer({ dialect });
      auth = { authorization: `Bearer ${server.apiKey}` };
      // Enough prompts that the list answer is well over the 1 KiB threshold.
      for (let i = 0; i < 20; i++) {
        const created = await fetch(`${server.url}/api/v1/prompts`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({
            name: `compression/prompt-${i}`,
            description: 'A prompt that makes the list long enough to compress',
            version: { type: 'text', template: `Answer {{question}} (${i})` },
          }),
        });
        expect(created.status).toBe(201);
      }
    });
    afterAll(async () => {
      await server?.close();
    });

    it('sends openapi.json brotli-encoded to a client that accepts br, with Vary: Accept-Encoding', async () => {
      const plain = await get(`${server.url}/api/v1/openapi.json`, {});
      const br = await get(`${server.url}/api/v1/openapi.json`, { 'accept-encoding': 'gzip, deflate, br' });
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(br.status).toBe(200);
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.headers.vary).toMatch(/accept-encoding/i);
      expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
      expect(br.body.length).toBeLessThan(plain.body.length / 4);
    });

    it('gzips a JSON list for a client that accepts only gzip; the JSON is the same', async () => {
      const url = `${server.url}/api/v1/prompts?limit=100`;
      const plain = await get(url, auth);
      const gz = await get(url, { ...auth, 'accept-encoding': 'gzip' });
      expect(plain.body.length).toBeGreaterThan(1024);
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gz.headers.vary).toMatch(/accept-encoding/i);
      expect(JSON.parse(gunzipSync(gz.body).toString('utf8'))).toEqual(
        JSON.parse(plain.body.toString('utf8')),
      );
    });

    it('leaves answers under 1 KiB as they are', async () => {
      const health = await get(`${server.url}/healthz`, { 'accept-encoding': 'br, gzip' });
      expect(health.headers['content-encoding']).toBeUndefined();
      expect(JSON.parse(health.body.toString('utf8'))).toEqual({ status: 'ok' });
    });

    it('never compresses the live update stream: its first event arrives at once, as text', async () => {
      const first = await new Promise<{ encoding: string | undefined; text: string }>((resolve, reject) => {
        const req = request(
          `${server.url}/api/v1/environments/production/stream`,
          { headers: { ...auth, accept: 'text/event-stream', 'accept-encoding': 'br, gzip, deflate' } },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              text += chunk;
              if (text.includes('event: update')) {
                resolve({ encoding: res.headers['content-encoding'], text });
                req.destroy();
              }
            });
          },
        );
        req.on('error', (error) => (error.message.includes('aborted') ? undefined : reject(error)));
        req.end();
      });
      expect(first.encoding).toBeUndefined();
      expect(first.text).toMatch(/^retry: \d+/m);
    });
  });
}

describe('text/event-stream sent through the framework (not hijacked)', () => {
  it('is not compressed either, whoever writes it', async () => {
    const database = await createTestDatabase('sqlite');
    const app = await buildApp({ db: database, config: { logLevel: 'silent' }, logger: false, web: false });
    app.get('/test-events', { config: { public: true } }, async (_request, reply) =>
      reply
        .type('text/event-stream; charset=utf-8')
        .send(Readable.from([`data: ${'x'.repeat(4096)}\n\n`, `data: ${'y'.repeat(4096)}\n\n`])),
    );
    try {
      const response = await app.inject({ url: '/test-events', headers: { 'accept-encoding': 'br, gzip' } });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-encoding']).toBeUndefined();
      expect(response.body).toContain(`data: ${'x'.repeat(4096)}`);
    } finally {
      await app.close();
      await database.close();
    }
  });

  it('the rule: JSON, problem+json and text compress; event streams and images do not', () => {
    expect(isCompressible('application/json; charset=utf-8')).toBe(true);
    expect(isCompressible('application/problem+json')).toBe(true);
    expect(isCompressible('text/html; charset=utf-8')).toBe(true);
    expect(isCompressible('text/event-stream; charset=utf-8')).toBe(false);
    expect(isCompressible('TEXT/EVENT-STREAM')).toBe(false);
    expect(isCompressible('image/png')).toBe(false);
  });

  it('keeps each verdict when asked again, past the bound of remembered content types', () => {
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 100; i++) {
        expect(isCompressible(`text/event-stream; id=${i}`)).toBe(false);
        expect(isCompressible(`application/json; id=${i}`)).toBe(true);
        expect(isCompressible(`image/png; id=${i}`)).toBe(false);
      }
    }
  });
});
