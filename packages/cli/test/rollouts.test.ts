/** `promptline rollouts …` against a real server: start, show, pause, resume, advance, abort, and refusals. */
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
  server = await startTestServer({ dialect: 'sqlite', rollouts: { checkEverySeconds: 1 } });
  await call('POST', '/api/v1/prompts', { name: 'cli/ro', version: { type: 'text', template: 'one' } });
  await call('POST', '/api/v1/prompts/cli%2Fro/versions', { type: 'text', template: 'two' });
  await call('PUT', '/api/v1/prompts/cli%2Fro/deployments/production', { version: 1 });
});
afterAll(async () => server?.close());

it('starts a guarded rollout, shows it, pauses, resumes, advances and aborts it', async () => {
  const badSteps = await runCli(
    ['rollouts', 'start', 'cli/ro', '--env', 'production', '--version', '2', '--steps', '5%'],
    { server },
  );
  expect(badSteps.code).toBe(2);
  expect(badSteps.stderr).toContain('--steps: "5%" is not <weight>:<seconds>');

  const started = await runCli(
    [
      'rollouts',
      'start',
      'cli/ro',
      '--env',
      'production',
      '--version',
      '2',
      '--steps',
      '500:3600,2500:3600,10000:0',
      '--guardrail',
      'errorRate:0.05',
      '--guardrail',
      'score:helpful:0.1',
      '--json',
    ],
    { server },
  );
  expect(started.code).toBe(0);
  const rollout = JSON.parse(started.stdout);
  expect(rollout).toMatchObject({ status: 'running', candidate: 2, control: 1 });
  expect(rollout.guardrails.map((g: { metric: string }) => g.metric)).toEqual(['errorRate', 'score:helpful']);

  const again = await runCli(['rollouts', 'start', 'cli/ro', '--env', 'production', '--version', '2'], {
    server,
  });
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('ROLLOUT_ACTIVE');

  const id = String(rollout.id);
  const shown = await runCli(['rollouts', 'show', id], { server });
  expect(shown.stdout).toMatch(/^rollout #\d+: cli\/ro in production, v2 against v1\nstatus: {2}running/);
  expect(shown.stdout).toContain('step:    1 of 3 (5%');
  expect(shown.stdout).toContain('errorRate (max 0.05):');

  expect((await runCli(['rollouts', 'pause', id, '--reason', 'lunch'], { server })).stdout).toContain(
    'status:  paused (paused by',
  );
  expect((await runCli(['rollouts', 'resume', id], { server })).stdout).toContain('status:  running');
  expect((await runCli(['rollouts', 'advance', id], { server })).stdout).toContain('step:    2 of 3 (25%');
  const aborted = await runCli(['rollouts', 'abort', id, '--reason', 'enough'], { server });
  expect(aborted.stdout).toContain('status:  aborted');
  const list = await runCli(['rollouts', 'list'], { server });
  expect(list.stdout).toMatch(
    new RegExp(`^${id}\\s+cli/ro\\s+production\\s+v2 vs v1\\s+aborted\\s+2/3 \\(25%\\)`, 'm'),
  );
  const deployment = await call('GET', '/api/v1/prompts/cli%2Fro/deployments/production');
  expect(deployment.version).toBe(1);
}, 120_000);
