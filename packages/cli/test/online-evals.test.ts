/** `promptline online-evals …`, black box against a real server. */
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ dialect: 'sqlite' });
  await fetch(`${server.url}/api/v1/prompts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'cli/online', version: { type: 'text', template: 'Answer {{q}}' } }),
  });
});
afterAll(async () => server?.close());

it('create, list, show, update and delete an online evaluation; bad flags are usage errors naming the flag', async () => {
  const created = await runCli(
    [
      'online-evals',
      'create',
      'cli/online',
      '--name',
      'quality',
      '--env',
      'production',
      '--rate',
      '0.25',
      '--assert',
      '{"type":"llm-rubric","value":"Polite"}',
      '--assert',
      '{"type":"is-json"}',
      '--judge',
      'mock/judge',
      '--budget',
      '2',
    ],
    { server },
  );
  expect(created.code, created.stderr).toBe(0);
  const id = /#(\d+)/.exec(created.stdout)?.[1];
  expect(created.stdout).toContain('"quality": 25% of cli/online in production');

  const list = await runCli(['online-evals', 'list', 'cli/online'], { server });
  expect(list.code, list.stderr).toBe(0);
  expect(list.stdout).toMatch(/quality\s+production\s+all\s+0\.25\s+on\s+0\s+0\s+0\s+0\s+\$0\.0000\/\$2\.00/);

  const updated = await runCli(['online-evals', 'update', String(id), '--rate', '0.5', '--disable'], {
    server,
  });
  expect(updated.code, updated.stderr).toBe(0);
  expect(updated.stdout).toContain('disabled');
  expect(updated.stdout).toContain('sampling: 0.5   judge: mock/judge');

  const shown = await runCli(['online-evals', 'show', String(id), '--json'], { server });
  expect(JSON.parse(shown.stdout)).toMatchObject({
    id: Number(id),
    samplingRate: 0.5,
    enabled: false,
    days: [],
  });

  const badRate = await runCli(
    [
      'online-evals',
      'create',
      'cli/online',
      '--name',
      'x',
      '--env',
      'production',
      '--rate',
      '2',
      '--assert',
      '{"type":"is-json"}',
    ],
    { server },
  );
  expect(badRate.code).toBe(2);
  expect(badRate.stderr).toContain('--rate takes a share from 0 to 1');
  const noJudge = await runCli(
    [
      'online-evals',
      'create',
      'cli/online',
      '--name',
      'x',
      '--env',
      'production',
      '--rate',
      '1',
      '--assert',
      '{"type":"llm-rubric","value":"ok"}',
    ],
    { server },
  );
  expect(noJudge.code).toBe(2);
  expect(noJudge.stderr).toContain('--judge');
  const badAssert = await runCli(
    [
      'online-evals',
      'create',
      'cli/online',
      '--name',
      'x',
      '--env',
      'production',
      '--rate',
      '1',
      '--assert',
      '{"type":"python","value":"x"}',
    ],
    { server },
  );
  expect(badAssert.code).toBe(2);
  expect(badAssert.stderr).toContain('--assert 1');
  const missing = await runCli(['online-evals', 'show', '999'], { server });
  expect(missing.code).not.toBe(0);
  expect(missing.stderr).toContain(
    'No online evaluation 999 in this project. List a prompt’s online evaluations with `promptline online-evals list <prompt>`.',
  );

  const deleted = await runCli(['online-evals', 'delete', String(id)], { server });
  expect(deleted.code, deleted.stderr).toBe(0);
  expect(deleted.stdout).toContain(`Deleted online eval #${id}`);
}, 120_000);
