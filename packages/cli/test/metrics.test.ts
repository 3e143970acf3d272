/**
 * Black-box test of `promptline metrics`: the real bin against a real server (SQLite) into which
 * spans were posted through the native trace API.
 */
import { randomBytes } from 'node:crypto';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type CliResult, runCli } from './run-cli.ts';

let server: TestServer;

function run(args: string[]): Promise<CliResult> {
  return runCli(args, { server });
}

const span = (version: number, durationMs: number, status: 'ok' | 'error' = 'ok') => {
  const start = Date.now() - 120_000;
  return {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    name: 'chat',
    startTime: start,
    endTime: start + durationMs,
    status,
    prompt: { name: 'support/triage', version, environment: 'production' },
    usage: { input: 100, output: 10 },
    costUsd: 0.5,
  };
};

beforeAll(async () => {
  server = await startTestServer({ dialect: 'sqlite' });
  const response = await fetch(`${server.url}/api/v1/traces`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ spans: [span(1, 200), span(1, 400, 'error'), span(2, 800)] }),
  });
  expect(response.status).toBe(202);
});

afterAll(async () => {
  await server?.close();
});

it('prints one row per version, newest first, with calls, errors, percentiles, tokens and cost', async () => {
  const result = await run(['metrics', 'support/triage', '--env', 'production', '--since', '24h']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const lines = result.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^support\/triage · production · .* \(interval 5m\)$/);
  expect(lines[2]?.split(/\s+/).slice(0, 4)).toEqual(['VERSION', 'CALLS', 'ERRORS', 'ERR']);
  expect(lines[3]?.split(/\s+/).slice(0, 4)).toEqual(['2', '1', '0', '0.0%']);
  const v1 = lines[4]?.split(/\s+/) ?? [];
  expect(v1.slice(0, 4)).toEqual(['1', '2', '1', '50.0%']);
  expect(v1.slice(7, 10)).toEqual(['200', '20', '1.0000']);
  expect(lines).toHaveLength(5);
});

it('--series adds a table per version; --json prints the API answer', async () => {
  const series = await run(['metrics', 'support/triage', '--since', '2h', '--interval', '1h', '--series']);
  expect(series.code).toBe(0);
  expect(series.stdout).toContain('all environments');
  expect(series.stdout.match(/^version \d$/gm)).toEqual(['version 2', 'version 1']);
  const json = await run(['metrics', 'support/triage', '--since', '1h', '--json']);
  const body = JSON.parse(json.stdout);
  expect(body.versions.map((v: { version: number; count: number }) => [v.version, v.count])).toEqual([
    [2, 1],
    [1, 2],
  ]);
  expect(body.interval).toBe('1m');
});

it('refuses a bad --since or --interval with exit 2 before any request, and an unknown prompt shows no calls', async () => {
  const since = await run(['metrics', 'support/triage', '--since', 'yesterday']);
  expect(since.code).toBe(2);
  expect(since.stderr).toContain('--since expects a duration');
  const interval = await run(['metrics', 'support/triage', '--interval', '2h']);
  expect(interval.code).toBe(2);
  const none = await run(['metrics', 'nothing/here']);
  expect(none.code).toBe(0);
  expect(none.stdout).toContain('No calls recorded in this window.');
  const tooMany = await run(['metrics', 'support/triage', '--since', '30d', '--interval', '1m']);
  expect(tooMany.code).toBe(1);
  expect(tooMany.stderr).toContain('METRICS_TOO_MANY_POINTS');
});

it('--summary prints the project’s totals and one row per prompt; a name with it, or neither, is exit 2', async () => {
  const summary = await run(['metrics', '--summary', '--env', 'production', '--since', '24h']);
  expect(summary.stderr).toBe('');
  expect(summary.code).toBe(0);
  const lines = summary.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^project · production · .* \(interval 5m\) · 1 prompts$/);
  expect(lines[2]?.split(/\s+/).slice(0, 4)).toEqual(['PROMPT', 'CALLS', 'ERRORS', 'ERR']);
  expect(lines[3]?.split(/\s+/).slice(0, 4)).toEqual(['(all)', '3', '1', '33.3%']);
  const triage = lines[4]?.split(/\s+/) ?? [];
  expect(triage.slice(0, 4)).toEqual(['support/triage', '3', '1', '33.3%']);
  expect(triage.slice(7, 10)).toEqual(['300', '30', '1.5000']);
  expect(lines).toHaveLength(5);

  const json = await run(['metrics', '--summary', '--limit', '1', '--json']);
  expect(json.code).toBe(0);
  const body = JSON.parse(json.stdout);
  expect(body.totals).toMatchObject({ prompts: 1, count: 3, errors: 1 });
  expect(body.prompts.map((p: { prompt: string; versions: number[] }) => [p.prompt, p.versions])).toEqual([
    ['support/triage', [2, 1]],
  ]);

  const both = await run(['metrics', 'support/triage', '--summary']);
  expect(both.code).toBe(2);
  expect(both.stderr).toContain('give a prompt name or --summary, not both');
  const neither = await run(['metrics']);
  expect(neither.code).toBe(2);
  expect(neither.stderr).toContain('or --summary for the whole project');
  const limitAlone = await run(['metrics', 'support/triage', '--limit', '3']);
  expect(limitAlone.code).toBe(2);
  expect(limitAlone.stderr).toContain('--limit goes with --summary');
});
