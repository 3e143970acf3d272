/** `promptline promote`: the gates printed before any change, blocked promotions exit 1. */
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
  await call('POST', '/api/v1/prompts', { name: 'cli/promo', version: { type: 'text', template: 'one' } });
  await call('POST', '/api/v1/prompts/cli%2Fpromo/versions', { type: 'text', template: 'two' });
  await call('PUT', '/api/v1/prompts/cli%2Fpromo/deployments/production', { version: 1 });
  await call('PUT', '/api/v1/prompts/cli%2Fpromo/deployments/staging', { version: 2 });
});
afterAll(async () => server?.close());

it('shows the gates, refuses on a failed one, then promotes', async () => {
  const args = ['promote', 'cli/promo', '--from', 'staging', '--to', 'production'];
  const badSoak = await runCli([...args, '--min-soak', 'soon'], { server });
  expect(badSoak.code).toBe(2);
  expect(badSoak.stderr).toContain('--min-soak: "soon" is not a duration');

  const blocked = await runCli([...args, '--min-soak', '1h'], { server });
  expect(blocked.code).toBe(1);
  expect(blocked.stdout).toMatch(/^Gates for cli\/promo v2: staging → production\n {2}pass {2}source/);
  expect(blocked.stdout).toMatch(/FAIL {2}soak {7}live in staging for \d+ s \(minimum 1\.0 h\)/);
  expect(blocked.stderr).toContain('PROMOTION_BLOCKED');
  expect((await call('GET', '/api/v1/prompts/cli%2Fpromo/deployments/production')).version).toBe(1);

  const promoted = await runCli([...args, '--reason', 'ready'], { server });
  expect(promoted.code).toBe(0);
  expect(promoted.stdout).toMatch(/pass {2}target {5}production accepts v2/);
  expect(promoted.stdout).toMatch(/Promoted v2 to production \(history entry \d+\)\.\n$/);
  expect((await call('GET', '/api/v1/prompts/cli%2Fpromo/deployments/production')).version).toBe(2);
}, 120_000);

it('--request opens a deployment request where the target needs approvals', async () => {
  await call('POST', '/api/v1/prompts', {
    name: 'cli/promo-req',
    version: { type: 'text', template: 'one' },
  });
  await call('POST', '/api/v1/prompts/cli%2Fpromo-req/versions', { type: 'text', template: 'two' });
  await call('PUT', '/api/v1/prompts/cli%2Fpromo-req/deployments/production', { version: 1 });
  await call('PUT', '/api/v1/prompts/cli%2Fpromo-req/deployments/staging', { version: 2 });
  await call('PATCH', '/api/v1/environments/production', { policy: { requiredApprovals: 1 } });
  try {
    const args = ['promote', 'cli/promo-req', '--from', 'staging', '--to', 'production'];
    const refused = await runCli(args, { server });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/FAIL {2}target {5}APPROVAL_REQUIRED/);
    const asked = await runCli([...args, '--request'], { server });
    expect(asked.stderr).toBe('');
    expect(asked.code).toBe(0);
    const id = /deployment request (\d+) opened \(promptline requests show \1\)\.\n$/.exec(asked.stdout)?.[1];
    expect(id).toBeDefined();
    expect(await call('GET', `/api/v1/deployment-requests/${id}`)).toMatchObject({
      status: 'pending',
      variants: [{ version: 2, weight: 10_000 }],
    });
    expect((await call('GET', '/api/v1/prompts/cli%2Fpromo-req/deployments/production')).version).toBe(1);
  } finally {
    await call('PATCH', '/api/v1/environments/production', { policy: {} });
  }
}, 120_000);
