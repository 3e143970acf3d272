/** `promptline replay`: a candidate on the last production calls, next to the live version (mock provider). */
import { randomBytes } from 'node:crypto';
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
  expect(response.status, `${method} ${path}`).toBeLessThan(300);
  return response.json() as Promise<Record<string, unknown>>;
}

beforeAll(async () => {
  server = await startTestServer({ dialect: 'sqlite' });
  const config = { provider: 'mock', model: 'mock-1' };
  await call('POST', '/api/v1/prompts', {
    name: 'cli/replay',
    version: { type: 'text', template: 'Answer {{q}}', config },
  });
  await call('POST', '/api/v1/prompts/cli%2Freplay/versions', {
    type: 'text',
    template: 'Reply to {{q}}',
    config,
  });
  await call('PUT', '/api/v1/prompts/cli%2Freplay/deployments/production', { version: 1 });
  const start = Date.now() - 5_000;
  await call('POST', '/api/v1/traces', {
    spans: ['a', 'b', 'c'].map((q, i) => ({
      traceId: randomBytes(16).toString('hex'),
      spanId: randomBytes(8).toString('hex'),
      name: 'llm.call',
      startTime: start + i,
      endTime: start + i + 100,
      status: 'ok',
      prompt: { name: 'cli/replay', version: 1, environment: 'production' },
      variables: { q },
      output: `recorded ${q}`,
    })),
  });
});
afterAll(async () => server?.close());

it('replays the last calls with the candidate, waits, and prints both versions; bad flags exit 2', async () => {
  const badModel = await runCli(
    ['replay', 'cli/replay', '--env', 'production', '--version', '2', '--model', 'gpt'],
    { server },
  );
  expect(badModel.code).toBe(2);
  expect(badModel.stderr).toContain('--model: "gpt" is not <provider>/<model>');

  const done = await runCli(
    ['replay', 'cli/replay', '--env', 'production', '--version', '2', '--last', '2', '--wait'],
    {
      server,
    },
  );
  expect(done.stderr).toBe('');
  expect(done.code).toBe(0);
  expect(done.stdout).toMatch(
    /^Replaying 2 call\(s\) of v1 in production with v2: eval run #\d+ \(dataset replays\/cli\/replay\/production-v2-\d{14} r1\)\.\nEval run #\d+ completed\n/,
  );
  expect(done.stdout).toMatch(/ {2}v1 live {6}mock:mock-1: pass 100\.0%/);
  expect(done.stdout).toMatch(/ {2}v2 candidate mock:mock-1: pass 100\.0%/);

  const asJson = await runCli(['replay', 'cli/replay', '--env', 'production', '--version', '2', '--json'], {
    server,
  });
  expect(asJson.code).toBe(0);
  const parsed = JSON.parse(asJson.stdout);
  expect(parsed).toMatchObject({ live: 1, candidate: 2, calls: 3, run: { versions: [1, 2] } });
}, 120_000);
