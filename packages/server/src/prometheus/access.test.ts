/**
 * Who may read /metrics. The decision on its own (every kind of address), then real requests
 * through the app: from 127.0.0.1 over a socket (open), and — the machine having no non-loopback
 * address a test may use — injected with a documentation-range peer address (203.0.113.0/24), which
 * Fastify sees as the socket's remote address exactly as it would a remote client's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-helpers/server.ts';
import { isLoopbackAddress, metricsAccess } from './access.ts';

const TOKEN = 'metrics-token-for-tests-0001';
const REMOTE = '203.0.113.9';

describe('the access decision', () => {
  it('treats 127.0.0.0/8, ::1 and IPv4-mapped loopback as local, nothing else', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) {
      expect(isLoopbackAddress(address), address).toBe(true);
    }
    for (const address of [
      '10.0.0.1',
      '192.168.1.2',
      '::ffff:10.0.0.1',
      'fe80::1',
      '::',
      '1127.0.0.1',
      undefined,
    ]) {
      expect(isLoopbackAddress(address), String(address)).toBe(false);
    }
  });

  it('opens to loopback, unless a proxy forwarded the request', () => {
    expect(metricsAccess('127.0.0.1', {}, undefined)).toEqual({ kind: 'loopback' });
    expect(metricsAccess('127.0.0.1', { 'x-forwarded-for': '198.51.100.1' }, undefined)).toEqual({
      kind: 'none',
    });
    expect(metricsAccess('::1', { forwarded: 'for=198.51.100.1' }, TOKEN)).toEqual({ kind: 'none' });
  });

  it('elsewhere lets in the metrics token, and hands any other bearer over as a key to check', () => {
    expect(metricsAccess(REMOTE, {}, TOKEN)).toEqual({ kind: 'none' });
    expect(metricsAccess(REMOTE, { authorization: `Bearer ${TOKEN}` }, TOKEN)).toEqual({ kind: 'token' });
    expect(metricsAccess(REMOTE, { authorization: `bearer ${TOKEN}` }, TOKEN)).toEqual({ kind: 'token' });
    expect(metricsAccess(REMOTE, { authorization: 'Bearer pl_somekey' }, TOKEN)).toEqual({
      kind: 'key',
      key: 'pl_somekey',
    });
    // Without a configured token, a bearer can only be a key.
    expect(metricsAccess(REMOTE, { authorization: `Bearer ${TOKEN}` }, undefined)).toEqual({
      kind: 'key',
      key: TOKEN,
    });
    expect(metricsAccess(REMOTE, { authorization: 'Basic abc' }, TOKEN)).toEqual({ kind: 'none' });
  });
});

describe('GET /metrics access over the app', () => {
  let server: TestServer;
  let viewerKey: string;

  beforeAll(async () => {
    server = await startTestServer({ metricsToken: TOKEN });
    const created = await fetch(`${server.url}/api/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'dashboards', role: 'viewer' }),
    });
    viewerKey = ((await created.json()) as { key: string }).key;
  });
  afterAll(async () => {
    await server?.close();
  });

  const remote = (headers: Record<string, string> = {}) =>
    server.app.inject({ method: 'GET', url: '/metrics', remoteAddress: REMOTE, headers });

  it('is open from 127.0.0.1 over a real socket, without any key', async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('# TYPE promptline_http_requests_total counter');
  });

  it('from another address needs a key of any role or the metrics token: 401 problem+json otherwise', async () => {
    const none = await remote();
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(none.json()).toMatchObject({
      code: 'UNAUTHORIZED',
      detail: expect.stringContaining('PROMPTLINE_METRICS_TOKEN'),
    });

    const wrong = await remote({ authorization: 'Bearer not-a-key-and-not-the-token' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe('UNAUTHORIZED');

    const token = await remote({ authorization: `Bearer ${TOKEN}` });
    expect(token.statusCode).toBe(200);
    expect(token.body).toContain('promptline_process_cpu_user_seconds_total');

    const viewer = await remote({ authorization: `Bearer ${viewerKey}` });
    expect(viewer.statusCode).toBe(200);
  });

  it('treats a forwarded request from loopback (a proxy on this machine) as remote', async () => {
    const forwarded = await server.app.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-for': '198.51.100.20' },
    });
    expect(forwarded.statusCode).toBe(401);
    const local = await server.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' });
    expect(local.statusCode).toBe(200);
  });

  it('is not there when metrics are off', async () => {
    const off = await startTestServer({ metrics: false, listen: false });
    try {
      const response = await off.app.inject({ method: 'GET', url: '/metrics' });
      expect(response.statusCode).toBe(404);
      expect(response.json().code).toBe('ROUTE_NOT_FOUND');
    } finally {
      await off.close();
    }
  });
});
