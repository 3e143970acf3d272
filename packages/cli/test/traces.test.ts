/**
 * Black-box test of `promptline traces list|show`: the real bin against a real server (SQLite)
 * into which spans were posted through the native trace API.
 */
import { randomBytes } from 'node:crypto';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type CliResult, runCli } from './run-cli.ts';

let server: TestServer;

function run(args: string[]): Promise<CliResult> {
  return runCli(args, { server });
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const traceA = hex(16);
const traceB = hex(16);
const root = hex(8);
const child = hex(8);
const t0 = Date.now() - 2 * 3_600_000;

beforeAll(async () => {
  server = await startTestServer({ dialect: 'sqlite' });
  const spans = [
    { traceId: traceA, spanId: root, name: 'POST /answer', startTime: t0, endTime: t0 + 1_500 },
    {
      traceId: traceA,
      spanId: child,
      parentSpanId: root,
      name: 'chat',
      startTime: t0 + 100,
      endTime: t0 + 1_300,
      status: 'error',
      statusMessage: 'upstream 500',
      prompt: { name: 'support/triage', version: 3, environment: 'production' },
      model: 'gpt-4o',
      usage: { input: 120, output: 30 },
      costUsd: 0.25,
    },
    // Older than --since 1h, newer than 3h.
    { traceId: traceB, spanId: hex(8), name: 'cron', startTime: t0 - 3_000_000, endTime: t0 - 2_999_000 },
  ];
  const headers = { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' };
  const response = await fetch(`${server.url}/api/v1/traces`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ spans }),
  });
  expect(response.status).toBe(202);
  const score = await fetch(`${server.url}/api/v1/scores`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ traceId: traceA, name: 'helpful', value: false }),
  });
  expect(score.status).toBe(201);
}, 60_000);

afterAll(async () => {
  await server?.close();
});

it('traces list prints one row per trace, newest first, and filters by prompt, status and --since', async () => {
  const all = await run(['traces', 'list', '--since', '24h']);
  expect(all.stderr).toBe('');
  expect(all.code).toBe(0);
  const lines = all.stdout.trimEnd().split('\n');
  expect(lines[0]?.split(/\s+/).slice(0, 4)).toEqual(['TRACE', 'START', 'NAME', 'DURATION']);
  expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual([traceA, traceB]);
  expect(lines[1]).toContain('support/triage@3 (production)');
  expect(lines[1]).toMatch(/1\.5s|1500ms/);
  expect(lines[1]).toContain('120/30');

  const errors = await run([
    'traces',
    'list',
    '--prompt',
    'support/triage',
    '--env',
    'production',
    '--status',
    'error',
  ]);
  expect(
    errors.stdout
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/)[0]),
  ).toEqual([traceA]);
  const recent = await run(['traces', 'list', '--since', '150m', '--limit', '1']);
  expect(recent.stdout).toContain(traceA);
  expect(recent.stdout).not.toContain(traceB);

  const bad = await run(['traces', 'list', '--status', 'maybe']);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain('--status must be ok or error');
});

it('traces show prints the span tree with durations, offsets, prompt, tokens, cost and scores', async () => {
  const result = await run(['traces', 'show', traceA]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const lines = result.stdout.trimEnd().split('\n');
  expect(lines[0]).toContain(`POST /answer · ${traceA}`);
  expect(lines[0]).toContain('2 span(s) · 1 error(s)');
  expect(lines[2]).toBe('POST /answer  1500ms (+0.0ms)');
  expect(lines[3]).toBe(
    '  chat  1200ms (+100ms) ERROR upstream 500  support/triage@3 · gpt-4o · 120→30 tok · $0.2500 · helpful=false',
  );
  const json = JSON.parse((await run(['traces', 'show', traceA, '--json'])).stdout);
  expect(json.spans.map((s: { depth: number }) => s.depth)).toEqual([0, 1]);

  const missing = await run(['traces', 'show', hex(16)]);
  expect(missing.code).not.toBe(0);
  expect(missing.stderr).toContain('No trace');
});

it('traces to-dataset turns the traces a filter picks into items of a dataset it creates', async () => {
  const missing = await run(['traces', 'to-dataset', 'from-prod', '--filter', 'status=error']);
  expect(missing.code).not.toBe(0);
  expect(missing.stderr).toContain('from-prod');

  const added = await run([
    'traces',
    'to-dataset',
    'from-prod',
    '--filter',
    'status=error,prompt=support/triage',
    '--since',
    '24h',
    '--create',
  ]);
  expect(added.stderr).toBe('');
  expect(added.code).toBe(0);
  expect(added.stdout).toBe('Added 1 item(s) to new dataset from-prod (revision 1).\n');

  const byId = await run(['traces', 'to-dataset', 'from-prod', traceB, '--no-expected', '--json']);
  expect(byId.code).toBe(0);
  const result = JSON.parse(byId.stdout);
  expect(result).toMatchObject({
    created: false,
    revision: 2,
    items: [{ sourceTraceId: traceB, expected: null }],
  });

  const items = await fetch(`${server.url}/api/v1/datasets/from-prod/items`, {
    headers: { authorization: `Bearer ${server.apiKey}` },
  });
  const body = (await items.json()) as { items: { sourceTraceId: string; metadata: { spanName: string } }[] };
  expect(body.items.map((i) => [i.sourceTraceId, i.metadata.spanName])).toEqual([
    [traceA, 'chat'],
    [traceB, 'cron'],
  ]);

  const bad = await run(['traces', 'to-dataset', 'from-prod', '--filter', 'colour=red']);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain('--filter takes key=value pairs');
  const none = await run(['traces', 'to-dataset', 'from-prod']);
  expect(none.stderr).toContain('--filter');
});
