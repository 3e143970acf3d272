/** `promptline experiments …` against a real server: start, results, stop --ship winner, refusals. */
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
  await call('POST', '/api/v1/prompts', { name: 'cli/ex', version: { type: 'text', template: 'one' } });
  await call('POST', '/api/v1/prompts/cli%2Fex/versions', { type: 'text', template: 'two' });
  await call('PUT', '/api/v1/prompts/cli%2Fex/deployments/production', { version: 1 });
});
afterAll(async () => server?.close());

it('starts an experiment, prints its results and ships the winner', async () => {
  const bad = await runCli(['experiments', 'stop', '1', '--ship', 'best'], { server });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--ship: "best" is neither a version number nor winner');

  const started = await runCli(
    [
      'experiments',
      'start',
      'cli/ex',
      '--env',
      'production',
      '--variants',
      '1:5000,2:5000',
      '--metric',
      'errorRate',
    ],
    { server },
  );
  expect(started.code).toBe(0);
  const id = /Started experiment #(\d+) on errorRate/.exec(started.stdout)?.[1];
  expect(id).toBeDefined();

  // Version 2 fails half its calls, version 1 none: 200 units each.
  const now = Date.now();
  const spans = [1, 2].flatMap((version) =>
    Array.from({ length: 200 }, (_, i) => ({
      traceId: `${version}${String(i).padStart(31, '0')}`,
      spanId: `${version}${String(i).padStart(15, '0')}`,
      name: 'llm',
      startTime: now,
      endTime: now + 10,
      status: version === 2 && i % 2 === 0 ? 'error' : 'ok',
      prompt: { name: 'cli/ex', version, environment: 'production' },
      unit: `user-${version}-${i}`,
    })),
  );
  expect(await call('POST', '/api/v1/traces', { spans })).toMatchObject({ accepted: 400 });

  const results = await runCli(['experiments', 'results', String(id)], { server });
  expect(results.code).toBe(0);
  expect(results.stdout).toMatch(/^v1 \(control\)\s+50%\s+200\s+0\.000/m);
  expect(results.stdout).toMatch(/^v2\s+50%\s+200\s+0\.5000/m);
  expect(results.stdout).toContain('sample ratio: ok');
  expect(results.stdout).toContain('winner now: v1');

  const stopped = await runCli(['experiments', 'stop', String(id), '--ship', 'winner'], { server });
  expect(stopped.stdout).toBe(`Experiment #${id} stopped; v1 is live alone\n`);
  const list = await runCli(['experiments', 'list'], { server });
  expect(list.stdout).toMatch(
    new RegExp(`^${id}\\s+cli/ex\\s+production\\s+v1:5000,v2:5000\\s+errorRate\\s+stopped\\s+v1`, 'm'),
  );
  expect((await call('GET', '/api/v1/prompts/cli%2Fex/deployments/production')).version).toBe(1);
}, 120_000);
