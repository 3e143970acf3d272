/**
 * Black-box tests of `promptline queues`: the real bin against a real server on 127.0.0.1 (SQLite;
 * the annotation routes' own tests cover PostgreSQL).
 */
import { randomBytes } from 'node:crypto';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from './run-cli.ts';

let server: TestServer;

const run = (args: string[]): Promise<CliResult> => runCli(args, { server });

async function ok(args: string[]): Promise<string> {
  const result = await run(args);
  if (result.code !== 0) {
    throw new Error(`promptline ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(response.status, path).toBeLessThan(300);
  return response.json();
}

const span = (prompt: string, status: 'ok' | 'error') => {
  const start = Date.now() - 60_000;
  return {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    name: 'llm.call',
    startTime: new Date(start).toISOString(),
    endTime: start + 500,
    status,
    prompt: { name: prompt, version: 1, environment: 'production' },
  };
};

beforeAll(async () => {
  server = await startTestServer({ dialect: 'sqlite' });
});

afterAll(async () => {
  await server?.close();
});

describe('promptline queues', { timeout: 120_000 }, () => {
  it('creates a queue, adds traces by filter and by id, lists and shows it', async () => {
    await api('POST', '/api/v1/score-definitions', { name: 'correct', dataType: 'boolean' });
    await api('POST', '/api/v1/score-definitions', {
      name: 'tone',
      dataType: 'categorical',
      categories: ['friendly', 'rude'],
    });
    const spans = [
      span('cli/queue', 'error'),
      span('cli/queue', 'error'),
      span('cli/queue', 'ok'),
      span('other', 'error'),
    ];
    await api('POST', '/api/v1/traces', { spans });

    const created = await ok([
      'queues',
      'create',
      'weekly',
      '--scores',
      'correct,tone',
      '--description',
      'Refunds',
    ]);
    expect(created).toMatch(
      /^Created annotation queue weekly \(#(\d+)\)\. Add traces with promptline queues add \d+\.\n$/,
    );

    const byFilter = await ok([
      'queues',
      'add',
      'weekly',
      '--filter',
      'prompt=cli/queue,status=error',
      '--since',
      '1h',
    ]);
    expect(byFilter).toContain(
      'Added 2 trace(s). Progress: 0/2 done (0 completed, 0 skipped, 0 claimed, 2 pending)',
    );
    const ok3 = spans[2]?.traceId ?? '';
    const byId = await ok(['queues', 'add', 'weekly', ok3, spans[0]?.traceId ?? '']);
    expect(byId).toContain('Added 1 trace(s) (1 already queued).');

    const listed = await ok(['queues', 'list']);
    expect(listed).toMatch(/weekly\s+correct,tone\s+0\/3 done/);
    const shown = await ok(['queues', 'show', 'weekly']);
    expect(shown).toContain('weekly (#');
    expect(shown).toContain('  correct: boolean');
    expect(shown).toContain('  tone: categorical friendly | rude');
    expect(shown).toContain(ok3);
    const json = JSON.parse(await ok(['queues', 'show', 'weekly', '--json']));
    expect(json.items).toHaveLength(3);
    expect(json.progress).toEqual({ total: 3, pending: 3, claimed: 0, completed: 0, skipped: 0 });
  });

  it('says what to do about wrong input, in its own commands', async () => {
    const noScores = await run(['queues', 'create', 'q2']);
    expect(noScores.code).toBe(2);
    expect(noScores.stderr).toContain('--scores correctness,tone');
    const unknownDefinition = await run(['queues', 'create', 'q2', '--scores', 'nope']);
    expect(unknownDefinition.code).not.toBe(0);
    expect(unknownDefinition.stderr).toContain('No score definition "nope"');
    expect(unknownDefinition.stderr).toContain('promptline queues create');
    const noQueue = await run(['queues', 'add', 'missing-queue', '--since', '1h']);
    expect(noQueue.code).toBe(2);
    expect(noQueue.stderr).toContain('promptline queues list');
    const badFilter = await run(['queues', 'add', 'weekly', '--filter', 'colour=red']);
    expect(badFilter.code).toBe(2);
    expect(badFilter.stderr).toContain('--filter takes key=value pairs with keys prompt, version');
    const sampled = await ok([
      'queues',
      'create',
      'sampled',
      '--scores',
      'correct',
      '--sample-prompt',
      'cli/queue',
      '--sample-env',
      'production',
      '--sample-rate',
      '0.05',
    ]);
    expect(sampled).toContain('Created annotation queue sampled');
    expect(await ok(['queues', 'show', 'sampled'])).toContain(
      'Sampling: 5% of new traces of cli/queue in production',
    );
    const badRate = await run([
      'queues',
      'create',
      'q3',
      '--scores',
      'correct',
      '--sample-prompt',
      'x',
      '--sample-rate',
      '2',
    ]);
    expect(badRate.code).toBe(2);
    expect(badRate.stderr).toContain('--sample-rate is a share above 0 and at most 1');
    const nothing = await run(['queues', 'add', 'weekly']);
    expect(nothing.stderr).toContain('name trace ids, or pick traces with --filter');
  });
});
