/**
 * Black-box test of `promptline projects enter`: an instance admin enters a project they are not a
 * member of and works there with the printed key; nobody else enters. Real bin, real server
 * (SQLite; the route tests cover PostgreSQL).
 */
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from './run-cli.ts';

let server: TestServer;
let gwenKey = '';

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

async function call<T>(method: string, path: string, key: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await response.json().catch(() => undefined)) as T;
}

beforeAll(async () => {
  server = await startTestServer({ dialect: 'sqlite' });
  // "far": created by the instance admin, handed to Gwen, who removes the instance admin.
  const created = await call<{ apiKey: { key: string } }>('POST', '/api/v1/projects', server.apiKey, {
    name: 'far',
  });
  const gwen = await call<{ key: string }>('POST', '/api/v1/api-keys', created.apiKey.key, {
    name: 'gwen',
    role: 'admin',
    user: 'gwen@example.com',
  });
  gwenKey = gwen.key;
  const members = await call<{ items: { user: { id: number; email: string } }[] }>(
    'GET',
    '/api/v1/members',
    gwenKey,
  );
  const me = members.items.find((m) => m.user.email === 'instance-admin@promptline.invalid');
  await call('DELETE', `/api/v1/members/${me?.user.id}`, gwenKey);
});

afterAll(async () => {
  await server?.close();
});

describe('promptline projects enter', { timeout: 120_000 }, () => {
  it('an instance admin enters a project it is not a member of and works there with the printed key', async () => {
    expect(await ok(['projects', 'list'])).toMatch(/far\s+- \(not a member\)/);
    const entered = await ok(['projects', 'enter', 'far', '--expires-in', '3']);
    expect(entered).toMatch(/^Entered project #\d+ "far" as admin \(audited there\)\.\n/);
    const key = entered.trim().split('\n').at(-1) ?? '';
    expect(key).toMatch(/^pl_/);
    expect(JSON.parse(await ok(['prompts', 'list', '--json'], { PROMPTLINE_API_KEY: key })).items).toEqual(
      [],
    );
    await ok(['invitations', 'create', 'newbie@example.com', '--project', 'far'], {
      PROMPTLINE_API_KEY: key,
    });
    expect(await ok(['projects', 'list'])).toMatch(/far\s+admin/);
    // Gwen's audit log of far shows the entry.
    const audit = await call<{ items: { action: string; actor: string }[] }>(
      'GET',
      '/api/v1/audit?action=project.instance_admin_access',
      gwenKey,
    );
    expect(audit.items).toEqual([
      expect.objectContaining({
        target: 'far',
        data: { via: 'key', previousRole: null, instanceAdmin: 'instance-admin@promptline.invalid' },
      }),
    ]);
    const json = JSON.parse(await ok(['projects', 'enter', 'far', '--json']));
    expect(json).toMatchObject({
      project: { name: 'far', role: 'admin' },
      apiKey: { key: expect.stringMatching(/^pl_/) },
    });
  });

  it('refuses others (exit 1), unknown projects and bad --expires-in (exit 2)', async () => {
    const gwen = await run(['projects', 'enter', 'far'], { PROMPTLINE_API_KEY: gwenKey });
    expect(gwen.code).toBe(1);
    expect(gwen.stderr).toMatch(/^error INSTANCE_ADMIN_REQUIRED: /);
    const hidden = await run(['projects', 'enter', 'default'], { PROMPTLINE_API_KEY: gwenKey });
    expect(hidden.code).toBe(2);
    expect(hidden.stderr).toContain('No project "default" among the ones you can see');
    const bad = await run(['projects', 'enter', 'far', '--expires-in', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--expires-in must be a positive whole number');
    const tooLong = await run(['projects', 'enter', 'far', '--expires-in', '1000']);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toMatch(/^error VALIDATION_FAILED: /);
  });
});
