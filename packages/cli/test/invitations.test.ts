/**
 * Black-box tests of `promptline invitations` and `promptline members`: the real bin against a real server on 127.0.0.1
 * (SQLite; the invitation routes' own tests cover PostgreSQL). The link the CLI prints is used
 * over real HTTP, so the test proves it is the working one-time link.
 */
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from './run-cli.ts';

let server: TestServer;

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

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  server = await startTestServer({ dialect: 'sqlite' });
});

afterAll(async () => {
  await server?.close();
});

describe('promptline invitations', { timeout: 120_000 }, () => {
  it('creates an invitation whose printed link works once, lists it and revokes another', async () => {
    const created = await ok(['invitations', 'create', 'ada@example.com', '--role', 'reviewer']);
    expect(created).toMatch(/^Invited ada@example\.com as reviewer \(invitation #\d+, until /);
    const link = created.trim().split('\n').at(-1) ?? '';
    expect(link.startsWith(`${server.url}/invite/`)).toBe(true);
    const token = link.slice(`${server.url}/invite/`.length);

    const accepted = await post('/api/v1/invitations/accept', {
      token,
      password: 'correct horse battery staple',
      name: 'Ada',
    });
    expect(accepted.status).toBe(204);
    expect((await post('/api/v1/invitations/accept', { token, password: 'x'.repeat(12) })).status).toBe(410);

    const bob = JSON.parse(
      await ok([
        'invitations',
        'create',
        'bob@example.com',
        '--role',
        'editor',
        '--expires-in',
        '2',
        '--json',
      ]),
    );
    expect(bob).toMatchObject({ email: 'bob@example.com', role: 'editor', status: 'pending' });
    expect(bob.link).toBe(`${server.url}${bob.path}`);
    expect(Date.parse(bob.expiresAt) - Date.now()).toBeLessThanOrEqual(2 * 3_600_000);

    const list = await ok(['invitations', 'list']);
    expect(list).toMatch(new RegExp(`${bob.id}\\s+bob@example\\.com\\s+editor\\s+pending`));
    expect(list).toMatch(/ada@example\.com\s+reviewer\s+accepted/);
    expect(list).not.toContain(token);

    expect(await ok(['invitations', 'revoke', String(bob.id)])).toBe(
      `Revoked invitation #${bob.id} (bob@example.com); its link no longer works.\n`,
    );
    expect((await post('/api/v1/invitations/inspect', { token: bob.token })).status).toBe(410);
    const listed = JSON.parse(await ok(['invitations', 'list', '--json'])).items;
    expect(listed.find((i: { id: number }) => i.id === bob.id).status).toBe('revoked');

    const again = await run(['invitations', 'revoke', String(bob.id)]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error \w+: /);
  });

  it('refuses bad usage with exit 2 naming the flag, and a project other than the key’s', async () => {
    const role = await run(['invitations', 'create', 'c@example.com', '--role', 'owner']);
    expect(role.code).toBe(2);
    expect(role.stderr).toContain('--role must be admin, editor, reviewer or viewer, got "owner"');
    const hours = await run(['invitations', 'create', 'c@example.com', '--expires-in', 'soon']);
    expect(hours.code).toBe(2);
    expect(hours.stderr).toContain('--expires-in must be a positive whole number');
    const id = await run(['invitations', 'revoke', 'abc']);
    expect(id.code).toBe(2);

    const elsewhere = await run(['invitations', 'create', 'c@example.com', '--project', 'support-bot']);
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain('this key belongs to project "default"');
    expect(elsewhere.stderr).toContain('promptline projects enter support-bot');
    expect(await ok(['invitations', 'list', '--project', 'default'])).not.toContain('c@example.com');
    await ok(['invitations', 'create', 'c@example.com', '--project', 'default']);
    expect(await ok(['invitations', 'list'])).toContain('c@example.com');
  });

  it('members: adds someone, changes their role, lists and removes them; keeps the last admin', async () => {
    expect(
      await ok(['members', 'set', 'Max@Example.com', '--role', 'reviewer', '--name', 'Max Power']),
    ).toMatch(/^max@example\.com \(#\d+, invited\) is reviewer\n$/);
    expect(await ok(['members', 'set', 'max@example.com', '--role', 'editor'])).toMatch(/is editor\n$/);
    expect(await ok(['members', 'list'])).toMatch(/max@example\.com\s+Max Power\s+editor\s+invited/);
    const bad = await run(['members', 'set', 'max@example.com', '--role', 'owner']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--role must be admin, editor, reviewer or viewer');
    const missing = await run(['members', 'set', 'max@example.com']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--role is required');
    expect(await ok(['members', 'remove', 'MAX@example.com'])).toBe(
      'Removed max@example.com from the project\n',
    );
    expect(await ok(['members', 'list'])).not.toContain('max@example.com');
    const gone = await run(['members', 'remove', 'max@example.com']);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('is not a member of this project');
    const last = await run(['members', 'remove', 'instance-admin@promptline.invalid']);
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/^error LAST_ADMIN_MEMBER: /);
  });

  it('answers the server refusal (exit 1) for a key that is not an admin', async () => {
    const key = JSON.parse(await ok(['keys', 'create', 'ed', '--role', 'editor', '--json'])).key;
    const refused = await run(['invitations', 'list'], { PROMPTLINE_API_KEY: key });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error FORBIDDEN: /);
  });
});
