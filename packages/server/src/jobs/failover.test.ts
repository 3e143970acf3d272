/**
 * THE promise of the job runner, tested with real processes: two server instances share one
 * PostgreSQL schema; the one running an eval run is SIGKILLed mid-run; the other takes the run's
 * job over once the lease expires, and the run's effect (its results, its final summary, its
 * audit entry) exists exactly once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../auth/service.ts';
import { bootstrap } from '../bootstrap.ts';
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from '../test-helpers/index.ts';

const INSTANCE = fileURLToPath(new URL('./test-helpers/instance.ts', import.meta.url));
const ITEMS = 30;

/** An OpenAI-compatible model on 127.0.0.1 that answers "ok" after `delayMs`, counting calls. */
async function startSlowModel(delayMs: number) {
  let calls = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls++;
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: `c${calls}`,
            object: 'chat.completion',
            created: 0,
            model: 'slow-1',
            choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
          }),
        );
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    calls: () => calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Instance {
  child: ChildProcess;
  url: string;
  exited: Promise<void>;
}

async function startInstance(schema: string, owner: string): Promise<Instance> {
  const child = spawn(process.execPath, ['--conditions=source', '--no-warnings', INSTANCE], {
    env: {
      ...process.env,
      PROMPTLINE_TEST_DATABASE_URL: TEST_POSTGRES_URL,
      PROMPTLINE_TEST_SCHEMA: schema,
      PROMPTLINE_TEST_LEASE_MS: '3000',
      PROMPTLINE_TEST_OWNER: owner,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`instance ${owner} did not start: ${output}`)), 30_000);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const line = output.split('\n').find((l) => l.startsWith('{"url"'));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      }
    });
    void exited.then(() => reject(new Error(`instance ${owner} exited: ${output}`)));
  });
  return { child, url, exited };
}

describe('postgres', () => {
  let database: TestDatabase;
  let schema: string;
  let model: Awaited<ReturnType<typeof startSlowModel>>;
  const apiKey = generateApiKey();
  const instances: Instance[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    schema =
      (await sql<{ schema: string }>`select current_schema() as schema`.execute(database.db)).rows[0]
        ?.schema ?? '';
    await bootstrap(database, { apiKey });
    model = await startSlowModel(120);
  });
  afterAll(async () => {
    for (const instance of instances) {
      instance.child.kill('SIGKILL');
      await instance.exited;
    }
    await model?.close();
    await database?.close();
  });

  const call = async (base: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: the test reads response fields freely
    return { status: response.status, body: (await response.json()) as any };
  };
  const count = async (query: ReturnType<typeof sql<{ n: string | number }>>) =>
    Number((await query.execute(database.db)).rows[0]?.n);

  it('an eval run whose instance is SIGKILLed mid-run is finished by the other instance, exactly once', async () => {
    // Both instances are up before the run starts; whichever claims its job is the one killed.
    const [a, b] = await Promise.all([
      startInstance(schema, 'instance-a'),
      startInstance(schema, 'instance-b'),
    ]);
    instances.push(a, b);
    expect(
      (
        await call(a.url, 'POST', '/api/v1/prompts', {
          name: 'failover',
          version: { type: 'text', template: 'Say ok to {{n}}' },
        })
      ).status,
    ).toBe(201);
    await call(a.url, 'POST', '/api/v1/datasets', {
      name: 'failover',
      items: Array.from({ length: ITEMS }, (_, i) => ({ variables: { n: String(i) }, expected: 'ok' })),
    });
    const started = await call(a.url, 'POST', '/api/v1/eval-runs', {
      prompt: 'failover',
      dataset: 'failover',
      models: [{ provider: 'local', model: 'slow-1', baseUrl: model.baseUrl }],
      concurrency: 1,
    });
    expect(started.status).toBe(202);
    const runId: number = started.body.id;
    const results = () => count(sql`select count(*) as n from eval_results where run_id = ${runId}`);

    // The holder is mid-run (some results stored, most not) when it is killed.
    const deadline = Date.now() + 20_000;
    while ((await results()) < 3) {
      if (Date.now() > deadline) throw new Error('instance A never stored a result');
      await new Promise((r) => setTimeout(r, 25));
    }
    const held = await sql<{ lease_owner: string | null; status: string }>`
      select lease_owner, status from jobs where key = ${`eval.run:${runId}`}`.execute(database.db);
    expect(held.rows[0]?.status).toBe('running');
    const [victim, survivor] = held.rows[0]?.lease_owner === 'instance-a' ? [a, b] : [b, a];
    victim.child.kill('SIGKILL');
    await victim.exited;
    const atKill = await results();
    expect(atKill).toBeLessThan(ITEMS);

    let run: { status: string; progress: { done: number; total: number; passed: number } } | undefined;
    const end = Date.now() + 60_000;
    for (;;) {
      run = (await call(survivor.url, 'GET', `/api/v1/eval-runs/${runId}`)).body;
      if (run && ['completed', 'failed', 'cancelled'].includes(run.status)) break;
      if (Date.now() > end) throw new Error(`the run never finished: ${JSON.stringify(run)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(run).toMatchObject({
      status: 'completed',
      progress: { done: ITEMS, total: ITEMS, passed: ITEMS },
    });
    // Exactly once: one result per case, one completion in the audit chain, which still verifies.
    expect(await results()).toBe(ITEMS);
    expect(
      await count(sql`select count(distinct case_key) as n from eval_results where run_id = ${runId}`),
    ).toBe(ITEMS);
    expect(
      await count(
        sql`select count(*) as n from audit_events where action = 'eval_run.complete' and target = ${String(runId)}`,
      ),
    ).toBe(1);
    expect((await call(survivor.url, 'GET', '/api/v1/audit/verify')).body).toMatchObject({ ok: true });
    const jobs = await call(survivor.url, 'GET', '/api/v1/jobs?kind=eval.run');
    expect(jobs.body.items).toEqual([
      expect.objectContaining({ status: 'succeeded', leaseOwner: null, payload: { projectId: 1, runId } }),
    ]);
    // The victim's attempt and the survivor's (on a loaded machine a late renewal can cost one more).
    expect(jobs.body.items[0].attempts).toBeGreaterThanOrEqual(2);
    // The survivor ran the whole matrix again after the victim's partial attempt.
    expect(model.calls()).toBeGreaterThanOrEqual(ITEMS + atKill);
  }, 90_000);
});
