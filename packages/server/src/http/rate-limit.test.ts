/**
 * Rate limits through the real app (a synchronous hook per limited route, per-budget counts), on a clock the
 * test moves: 429 RATE_LIMITED problem+json with a Retry-After that counts down, separate budgets,
 * per key, per address on public routes, and the defaults never limiting one client doing 1 000
 * resolves or 1 000 ingestion requests a second. Limits involve no database (the key comes from the
 * auth cache): SQLite only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-helpers/server.ts';
import { budgetOf, DEFAULT_RATE_LIMITS, parseBudgetLimit } from './rate-limit.ts';

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

async function seed(server: TestServer) {
  const headers = { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' };
  const create = await server.app.inject({
    method: 'POST',
    url: '/api/v1/prompts',
    headers,
    payload: JSON.stringify({
      name: 'greet',
      version: { type: 'text', template: 'Hi', config: { model: 'm' } },
    }),
  });
  expect(create.statusCode).toBe(201);
  const deploy = await server.app.inject({
    method: 'PUT',
    url: '/api/v1/prompts/greet/deployments/production',
    headers,
    payload: JSON.stringify({ version: 1 }),
  });
  expect(deploy.statusCode).toBe(200);
}

describe('budgets', () => {
  it('reads <count>/<window> and off, and refuses anything else', () => {
    expect(parseBudgetLimit('20000/10s')).toEqual({ max: 20_000, windowMs: 10_000 });
    expect(parseBudgetLimit('600/1m')).toEqual({ max: 600, windowMs: 60_000 });
    expect(parseBudgetLimit('50/s')).toEqual({ max: 50, windowMs: 1_000 });
    expect(parseBudgetLimit('OFF')).toBeNull();
    for (const bad of ['0/s', '10', '10/0s', '10/2d', 'ten/s'])
      expect(() => parseBudgetLimit(bad), bad).toThrow(/not a budget/);
  });

  it('puts each route in its budget, and probes, metrics, docs and web files in none', () => {
    const of = (method: string, url: string, config: Record<string, unknown> = {}) =>
      budgetOf({ method, url, config });
    expect(of('GET', '/api/v1/prompts/:name/resolve')).toBe('serve');
    expect(of('POST', '/api/v1/prompts/:name/render')).toBe('serve');
    expect(of('GET', '/api/v1/environments/:env/snapshot')).toBe('serve');
    expect(of('GET', '/api/v1/environments/:env/stream')).toBe('serve');
    expect(of('POST', '/api/v1/traces')).toBe('ingest');
    expect(of('POST', '/api/v1/scores')).toBe('ingest');
    expect(of('POST', '/otel/v1/traces')).toBe('ingest');
    expect(of('POST', '/gateway/v1/chat/completions')).toBe('ingest');
    expect(of('GET', '/api/v1/traces')).toBe('read');
    expect(of('POST', '/api/v1/prompts')).toBe('write');
    expect(of('POST', '/api/v1/session', { public: true })).toBe('write');
    expect(of('GET', '/readyz', { public: true, rateLimit: false })).toBeUndefined();
    expect(of('GET', '/*', { public: true })).toBeUndefined();
    expect(of('GET', '/docs/static/*')).toBeUndefined();
  });
});

describe('429 RATE_LIMITED through the app', () => {
  const time = clock();
  let server: TestServer;
  let otherKey: string;
  const get = (url: string, key = server.apiKey) =>
    server.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
  const resolve = (key?: string) => get('/api/v1/prompts/greet/resolve?env=production', key);

  beforeAll(async () => {
    server = await startTestServer({
      listen: false,
      rateLimits: {
        limits: {
          serve: { max: 5, windowMs: 10_000 },
          ingest: { max: 3, windowMs: 10_000 },
          write: { max: 50, windowMs: 10_000 },
          read: null,
        },
        now: time.now,
      },
    });
    await seed(server);
    const created = await server.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'app-2', role: 'editor' }),
    });
    otherKey = created.json().key;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers 429 problem+json past the budget, with Retry-After counting down to the end of the window', async () => {
    for (let i = 0; i < 5; i++) {
      const within = await resolve();
      expect(within.statusCode).toBe(200);
      // Nothing added to answers within the budget.
      expect(
        Object.keys(within.headers).filter((h) => h.startsWith('x-ratelimit') || h === 'retry-after'),
      ).toEqual([]);
    }
    const refused = await resolve();
    expect(refused.statusCode).toBe(429);
    expect(refused.headers).toMatchObject({
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': '10',
    });
    expect(refused.headers['x-request-id']).toBeDefined();
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.headers['retry-after']).toBe('10');
    expect(refused.json()).toMatchObject({
      code: 'RATE_LIMITED',
      status: 429,
      budget: 'serve',
      limit: 5,
      windowSeconds: 10,
      retryAfterSeconds: 10,
    });
    time.advance(6_500);
    const later = await resolve();
    expect(later.statusCode).toBe(429);
    expect(later.headers['retry-after']).toBe('4');
    // Another key has its own count.
    expect((await resolve(otherKey)).statusCode).toBe(200);
    // Snapshot shares the serve budget; reads (unlimited here) and writes do not.
    expect((await get('/api/v1/environments/production/snapshot')).statusCode).toBe(429);
    expect((await get('/api/v1/prompts')).statusCode).toBe(200);
    time.advance(3_500);
    expect((await resolve()).statusCode).toBe(200);
  });

  it('counts ingestion separately from serving', async () => {
    const ingest = () =>
      server.app.inject({
        method: 'POST',
        url: '/api/v1/traces',
        headers: { authorization: `Bearer ${otherKey}`, 'content-type': 'application/json' },
        payload: '{}',
      });
    // The limit is checked before the body: an invalid batch counts like any other request.
    for (let i = 0; i < 3; i++) expect((await ingest()).statusCode).not.toBe(429);
    const refused = await ingest();
    expect(refused.statusCode).toBe(429);
    expect(refused.json().budget).toBe('ingest');
    // That key's serve budget is untouched by it.
    expect((await resolve(otherKey)).statusCode).toBe(200);
  });

  it('limits public routes that do work per client address, and never the probes', async () => {
    const signIn = (remoteAddress: string) =>
      server.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        remoteAddress,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ apiKey: 'wrong-key-wrong-key-wrong' }),
      });
    for (let i = 0; i < 50; i++) expect((await signIn('203.0.113.5')).statusCode).toBe(401);
    expect((await signIn('203.0.113.5')).statusCode).toBe(429);
    expect((await signIn('203.0.113.6')).statusCode).toBe(401);
    for (let i = 0; i < 20; i++) {
      expect((await server.app.inject({ url: '/healthz' })).statusCode).toBe(200);
      expect((await server.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    }
  });
});

describe('the default budgets', () => {
  it('never limit one client doing 1 000 resolves and 1 000 ingestion requests a second', async () => {
    const time = clock();
    const server = await startTestServer({
      listen: false,
      rateLimits: { limits: DEFAULT_RATE_LIMITS, now: time.now },
    });
    try {
      await seed(server);
      const headers = { authorization: `Bearer ${server.apiKey}` };
      const statuses = new Map<number, number>();
      // 12 virtual seconds: more than one whole window of every budget.
      for (let second = 0; second < 12; second++) {
        for (let i = 0; i < 1_000; i++) {
          time.advance(1);
          const resolved = await server.app.inject({
            url: '/api/v1/prompts/greet/resolve?env=production',
            headers,
          });
          // One span per request, the worst an SDK sends (the body is refused after the limit check).
          const ingested = await server.app.inject({
            method: 'POST',
            url: '/api/v1/traces',
            headers: { ...headers, 'content-type': 'application/json' },
            payload: '{}',
          });
          for (const status of [resolved.statusCode, ingested.statusCode])
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }
      expect(statuses.get(429)).toBeUndefined();
      expect(statuses.get(200)).toBe(12_000);
    } finally {
      await server.close();
    }
  }, 300_000);
});
