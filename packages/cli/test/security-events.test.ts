/**
 * Black-box tests of `promptline security-events`: the real bin against a real server (SQLite; the
 * server's route tests cover PostgreSQL). Real password sign-ins make the events.
 */
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from './run-cli.ts';

let server: TestServer;
const PASSWORD = 'correct horse battery staple';

function run(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runCli(args, { server, env });
}

async function ok(args: string[], env: Record<string, string | undefined> = {}): Promise<string> {
  const result = await run(args, env);
  if (result.code !== 0) {
    throw new Error(`promptline ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

async function call(method: string, path: string, body: unknown, key?: string): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  server = await startTestServer({ dialect: 'sqlite' });
  const added = await call(
    'PUT',
    '/api/v1/members',
    { email: 'ivy@example.com', role: 'viewer' },
    server.apiKey,
  );
  const id = ((await added.json()) as { user: { id: number } }).user.id;
  await call('PUT', `/api/v1/members/${id}/password`, { password: PASSWORD }, server.apiKey);
  expect(
    (await call('POST', '/api/v1/session/password', { email: 'ivy@example.com', password: 'nope nope nope' }))
      .status,
  ).toBe(401);
  expect(
    (await call('POST', '/api/v1/session/password', { email: 'ivy@example.com', password: PASSWORD })).status,
  ).toBe(204);
  expect(
    (await call('POST', '/api/v1/session/password', { email: 'who@example.com', password: PASSWORD })).status,
  ).toBe(401);
});

afterAll(async () => {
  await server?.close();
});

describe('promptline security-events', { timeout: 120_000 }, () => {
  it('lists the events with filters, pages with the cursor, and verifies the chain', async () => {
    const table = await ok(['security-events', 'list']);
    expect(table).toMatch(
      /session\.sign_in_failed\s+who@example\.com\s+password INVALID_CREDENTIALS from 127\.0\.0\.1/,
    );
    expect(table).toMatch(/session\.sign_in\s+ivy@example\.com\s+password as viewer in default/);

    const ivy = JSON.parse(await ok(['security-events', 'list', '--email', 'ivy@example.com', '--json']));
    expect(ivy.items.map((e: { type: string }) => e.type)).toEqual([
      'session.sign_in',
      'session.sign_in_failed',
    ]);
    const failed = JSON.parse(
      await ok(['security-events', 'list', '--type', 'session.sign_in_failed', '--since', '1h', '--json']),
    );
    expect(failed.items.map((e: { email: string }) => e.email)).toEqual([
      'who@example.com',
      'ivy@example.com',
    ]);
    expect(JSON.parse(await ok(['security-events', 'list', '--until', '1h', '--json'])).items).toEqual([]);

    const first = await ok(['security-events', 'list', '--limit', '2']);
    const cursor = /--cursor (\d+)/.exec(first)?.[1];
    expect(cursor).toBeDefined();
    const next = await ok(['security-events', 'list', '--limit', '2', '--cursor', cursor ?? '']);
    expect(next).toContain('ivy@example.com');
    expect(JSON.parse(await ok(['security-events', 'list', '--all', '--json'])).items).toHaveLength(3);

    expect(await ok(['security-events', 'verify'])).toMatch(
      /^ok: security log intact \(3 events checked\); head [0-9a-f]{64}\n$/,
    );
  });

  it('refuses a bad --type (exit 2) and anyone but an instance admin (exit 1)', async () => {
    const bad = await run(['security-events', 'list', '--type', 'login']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--type must be one of session.sign_in');
    const since = await run(['security-events', 'list', '--since', 'yesterday']);
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('--since expects a duration');

    const created = await call('POST', '/api/v1/projects', { name: 'other' }, server.apiKey);
    const otherKey = ((await created.json()) as { apiKey: { key: string } }).apiKey.key;
    const projectAdmin = await call(
      'POST',
      '/api/v1/api-keys',
      { name: 'pa', role: 'admin', user: 'pa@example.com', account: 'service' },
      otherKey,
    );
    const key = ((await projectAdmin.json()) as { key: string }).key;
    const refused = await run(['security-events', 'list'], { PROMPTLINE_API_KEY: key });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error INSTANCE_ADMIN_REQUIRED: /);
  });
});
