/** `promptline deploy … --rule/--pin/--clear-targeting`, black box against a real server. */
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

let server: TestServer;

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return response.json() as Promise<Record<string, unknown>>;
}

beforeAll(async () => {
  server = await startTestServer({ dialect: 'sqlite' });
  await call('POST', '/api/v1/prompts', { name: 'cli/tg', version: { type: 'text', template: 'one' } });
  await call('POST', '/api/v1/prompts/cli%2Ftg/versions', { type: 'text', template: 'two' });
});
afterAll(async () => server?.close());

it('deploy --rule and --pin set the targeting, --clear-targeting removes it; bad flags name the fix', async () => {
  const rule = JSON.stringify({ when: { attribute: 'plan', op: 'eq', value: 'pro' }, version: 2 });
  const deployed = await runCli(
    ['deploy', 'cli/tg', '1', '--env', 'production', '--rule', rule, '--pin', 'user-42=2'],
    { server },
  );
  expect(deployed.code, deployed.stderr).toBe(0);
  expect(deployed.stdout).toContain('after 1 rule(s) and 1 pin(s)');
  const pro = await call('GET', '/api/v1/prompts/cli%2Ftg/resolve?env=production&attr.plan=pro');
  expect(pro.version).toBe(2);

  const badRule = await runCli(['deploy', 'cli/tg', '1', '--env', 'production', '--rule', '{"when":{}}'], {
    server,
  });
  expect(badRule.code).toBe(2);
  expect(badRule.stderr).toContain('--rule 0');
  const badPin = await runCli(['deploy', 'cli/tg', '1', '--env', 'production', '--pin', 'user-42'], {
    server,
  });
  expect(badPin.code).toBe(2);
  expect(badPin.stderr).toContain('--pin takes unit=version pairs');

  const cleared = await runCli(['deploy', 'cli/tg', '1', '--env', 'production', '--clear-targeting'], {
    server,
  });
  expect(cleared.code, cleared.stderr).toBe(0);
  expect(cleared.stdout).not.toContain('rule(s)');
  expect((await call('GET', '/api/v1/prompts/cli%2Ftg/resolve?env=production&attr.plan=pro')).version).toBe(
    1,
  );

  const scheduled = await runCli(
    ['deploy', 'cli/tg', '2', '--env', 'production', '--at', '2099-01-01T00:00:00Z'],
    {
      server,
    },
  );
  expect(scheduled.code, scheduled.stderr).toBe(0);
  expect(scheduled.stdout).toMatch(
    /Scheduled release #\d+ of cli\/tg to production at 2099-01-01T00:00:00.000Z/,
  );
  const pending = (await call('GET', '/api/v1/scheduled-releases?status=pending')) as { items?: unknown[] };
  expect(pending.items).toHaveLength(1);
  const badAt = await runCli(['deploy', 'cli/tg', '2', '--env', 'production', '--at', 'tomorrow'], {
    server,
  });
  expect(badAt.code).toBe(2);
  expect(badAt.stderr).toContain('--at takes an ISO-8601 time');
}, 120_000);

it('segments set/list/show/delete manage targeting segments; set without content names the flags', async () => {
  const set = await runCli(
    [
      'segments',
      'set',
      'staff',
      '--when',
      '{"attribute":"email","op":"endsWith","value":"@acme.com"}',
      '--units',
      'u1,u2',
    ],
    { server },
  );
  expect(set.code, set.stderr).toBe(0);
  expect(set.stdout).toContain('Segment staff: 2 unit(s) and a condition');
  const list = await runCli(['segments', 'list'], { server });
  expect(list.stdout).toMatch(/^staff\s+2\s+/m);
  const shown = await runCli(['segments', 'show', 'staff', '--json'], { server });
  expect(JSON.parse(shown.stdout)).toMatchObject({ name: 'staff', units: ['u1', 'u2'] });
  const empty = await runCli(['segments', 'set', 'staff'], { server });
  expect(empty.code).toBe(2);
  expect(empty.stderr).toContain('give --when <json> and/or --units');
  const deleted = await runCli(['segments', 'delete', 'staff'], { server });
  expect(deleted.code, deleted.stderr).toBe(0);
  expect((await runCli(['segments', 'show', 'staff'], { server })).stderr).toContain('SEGMENT_NOT_FOUND');
}, 120_000);
