/** `promptline deploy` opening a request under a policy, and `promptline requests …` deciding it. */
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

let server: TestServer;
let reviewerKey: string;

async function call(method: string, path: string, body?: unknown, key = server.apiKey) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return response.json() as Promise<Record<string, unknown>>;
}

beforeAll(async () => {
  server = await startTestServer({ dialect: 'sqlite' });
  await call('POST', '/api/v1/prompts', { name: 'cli/req', version: { type: 'text', template: 'one' } });
  await call('POST', '/api/v1/prompts/cli%2Freq/versions', { type: 'text', template: 'two' });
  await call('PATCH', '/api/v1/environments/staging', { policy: { requiredApprovals: 1 } });
  reviewerKey = String(
    (await call('POST', '/api/v1/api-keys', { name: 'rita', role: 'editor', user: 'rita@people.test' })).key,
  );
});
afterAll(async () => server?.close());

it('deploy opens a request where approvals are needed; requests approve by someone else deploys it', async () => {
  const noReason = await runCli(['deploy', 'cli/req', '1', '--env', 'staging'], { server });
  expect(noReason.code).toBe(2);
  expect(noReason.stderr).toContain('add --reason <text> and this command opens a deployment request');

  const opened = await runCli(['deploy', 'cli/req', '1', '--env', 'staging', '--reason', 'first'], {
    server,
  });
  expect(opened.code).toBe(0);
  const id = /Opened deployment request #(\d+) \(1 approval\(s\) needed\)/.exec(opened.stdout)?.[1];
  expect(id).toBeDefined();

  const self = await runCli(['requests', 'approve', String(id)], { server });
  expect(self.code).toBe(1);
  expect(self.stderr).toContain('SELF_APPROVAL');

  const reviewer = { url: server.url, apiKey: reviewerKey };
  const approved = await runCli(['requests', 'approve', String(id), '--comment', 'ok'], { server: reviewer });
  expect(approved.code).toBe(0);
  expect(approved.stdout).toMatch(/status: {4}deployed/);
  expect(approved.stdout).toContain('approved by rita');

  const list = await runCli(['requests', 'list', '--status', 'deployed'], { server });
  expect(list.stdout).toMatch(new RegExp(`^${id}\\s+cli/req\\s+staging\\s+v1\\s+deployed\\s+1/1`, 'm'));
}, 120_000); // six CLI processes in a row: seconds on a quiet machine, more on a loaded one
