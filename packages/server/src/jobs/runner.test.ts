import { AppError } from '@promptline/core';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { createDatabase, type Database } from '../db/database.ts';
import {
  createManualClock,
  createTestClient,
  forEachDialect,
  startTestServer,
  TEST_POSTGRES_URL,
  type TestServer,
} from '../test-helpers/index.ts';
import type { JobContext } from './runner.ts';
import { createJobService, type JobService } from './service.ts';

async function waitFor<T>(check: () => Promise<T | undefined | false>, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A second connection pool on the same database (PostgreSQL: same schema), as another instance has. */
async function secondHandle(database: Database): Promise<Database> {
  if (database.dialect === 'sqlite') return { ...database, close: async () => undefined };
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(database.db);
  return createDatabase({ databaseUrl: TEST_POSTGRES_URL, dataDir: '.', postgresSchema: rows[0]?.schema });
}

/** Something a test opens later: a handler blocks on it. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

forEachDialect((dialect, get) => {
  let server: TestServer;
  const services: JobService[] = [];
  const clock = createManualClock(new Date('2026-06-01T00:00:00.000Z'));

  beforeAll(async () => {
    server = await startTestServer({ dialect, listen: false });
  });
  afterAll(async () => {
    for (const s of services) await s.stop();
    await server?.close();
  });

  /** A runner that only moves when the test says so (no polling between ticks). */
  function runner(
    database: Database,
    owner: string,
    settings: { leaseMs?: number; backoffMs?: number } = {},
  ) {
    const service = createJobService({
      database,
      clock,
      owner,
      leaseMs: settings.leaseMs ?? 60_000,
      pollMs: 3_600_000,
      backoffMs: settings.backoffMs ?? 1_000,
    });
    services.push(service);
    return service;
  }
  const jobRow = async (id: number) =>
    (
      await sql<{
        status: string;
        attempts: number;
        lease_owner: string | null;
        lease_expires_at: string | null;
        run_after: string;
        last_error: string | null;
      }>`select * from jobs where id = ${id}`.execute(get().db)
    ).rows[0];

  it('holds a claimed job under a lease, renews it while the job runs, and a second runner leaves it alone', async () => {
    const database = get();
    const release = gate();
    const calls: string[] = [];
    const a = runner(database, `a-${dialect}`, { leaseMs: 300 });
    const b = runner(database, `b-${dialect}`, { leaseMs: 300 });
    for (const [name, r] of [
      ['a', a],
      ['b', b],
    ] as const) {
      r.register({
        kind: 'test.lease',
        payload: z.object({ n: z.number() }),
        async run() {
          calls.push(name);
          await release.opened;
        },
      });
    }
    const job = await a.enqueue(database.db, { kind: 'test.lease', payload: { n: 1 } });
    await a.tick();
    const claimed = await jobRow(job.id);
    expect(claimed).toMatchObject({ status: 'running', attempts: 1, lease_owner: `a-${dialect}` });
    await b.tick();
    expect(calls).toEqual(['a']);
    // The heartbeat moves the expiry with the clock.
    clock.advance(10_000);
    await waitFor(
      async () => ((await jobRow(job.id))?.lease_expires_at ?? '') > (claimed?.lease_expires_at ?? ''),
      'a lease renewal',
    );
    await b.tick();
    expect(calls).toEqual(['a']);
    release.open();
    await a.idle();
    expect(await jobRow(job.id)).toMatchObject({ status: 'succeeded', lease_owner: null });
  });

  it('takes over a job whose holder died once its lease expires, and fences the old holder out', async () => {
    const database = get();
    const other = await secondHandle(database);
    try {
      const seen: { attempt: number; owner: string }[] = [];
      const a = runner(database, `dead-${dialect}`, { leaseMs: 5_000 });
      const b = runner(other, `alive-${dialect}`, { leaseMs: 5_000 });
      let stale: JobContext | undefined;
      const forever = gate();
      a.register({
        kind: 'test.takeover',
        payload: z.object({}),
        async run(_p, ctx) {
          seen.push({ attempt: ctx.attempt, owner: 'dead' });
          stale = ctx;
          await forever.opened;
        },
      });
      b.register({
        kind: 'test.takeover',
        payload: z.object({}),
        async run(_p, ctx) {
          seen.push({ attempt: ctx.attempt, owner: 'alive' });
        },
      });
      const job = await a.enqueue(database.db, { kind: 'test.takeover', payload: {} });
      await a.tick();
      // The holder stops renewing (as a SIGKILLed process does): its lease runs out.
      await database.exec(
        `update jobs set lease_expires_at = '2026-01-01T00:00:00.000Z' where id = ${job.id}`,
      );
      await b.tick();
      await b.idle();
      expect(seen).toEqual([
        { attempt: 1, owner: 'dead' },
        { attempt: 2, owner: 'alive' },
      ]);
      expect(await jobRow(job.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
      // The old holder, should it wake up, can no longer write through its fence.
      await expect(stale?.fenced(async () => 'written')).rejects.toThrow(/another instance holds it/);
      forever.open();
      await a.idle();
      expect(await jobRow(job.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
    } finally {
      await other.close();
    }
  });

  it('retries a failing job with exponential backoff and ends it failed with its error, visible in GET /api/v1/jobs', async () => {
    // The server's own runner has no handler for this kind: only the test's runner touches it.
    const database = server.database;
    let calls = 0;
    let recorded = '';
    const r = runner(database, `retry-${dialect}`, { backoffMs: 1_000 });
    r.register({
      kind: 'test.flaky',
      payload: z.object({}),
      maxAttempts: 3,
      async run() {
        calls++;
        throw new Error(`upstream timeout #${calls}`);
      },
      async onFailed(_p, error) {
        recorded = error;
      },
    });
    const job = await r.enqueue(database.db, { kind: 'test.flaky', payload: {}, projectId: 1 });
    const row = async () =>
      (
        await sql<{ status: string; attempts: number; run_after: string; last_error: string | null }>`
        select status, attempts, run_after, last_error from jobs where id = ${job.id}`.execute(database.db)
      ).rows[0];
    const tickAndSettle = async () => {
      await r.tick();
      await r.idle();
    };
    await tickAndSettle();
    const start = clock.now().getTime();
    expect(await row()).toMatchObject({
      status: 'queued',
      attempts: 1,
      last_error: 'upstream timeout #1',
      run_after: new Date(start + 1_000).toISOString(),
    });
    await tickAndSettle();
    expect(calls).toBe(1); // not due yet
    clock.advance(1_000);
    await tickAndSettle();
    expect(await row()).toMatchObject({
      status: 'queued',
      attempts: 2,
      run_after: new Date(start + 1_000 + 2_000).toISOString(),
    });
    clock.advance(2_000);
    await tickAndSettle();
    expect(calls).toBe(3);
    expect(await row()).toMatchObject({ status: 'failed', attempts: 3, last_error: 'upstream timeout #3' });
    expect(recorded).toBe('upstream timeout #3');
    clock.advance(60_000);
    await tickAndSettle();
    expect(calls).toBe(3);

    const api = createTestClient(server.app, server.apiKey);
    const listed = await api.get('/api/v1/jobs?status=failed&kind=test.flaky');
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([
      expect.objectContaining({
        id: job.id,
        kind: 'test.flaky',
        status: 'failed',
        attempts: 3,
        maxAttempts: 3,
        lastError: 'upstream timeout #3',
        leaseOwner: null,
      }),
    ]);
    const one = await api.get(`/api/v1/jobs/${job.id}`);
    expect(one.body).toMatchObject({ id: job.id, status: 'failed', lastError: 'upstream timeout #3' });
    const missing = await api.get('/api/v1/jobs/999999');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('JOB_NOT_FOUND');
    const bad = await api.get('/api/v1/jobs?status=exploded');
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
  });

  it('fails a job at once on an AppError (no retry can change the verdict) and on a payload its kind refuses', async () => {
    const database = get();
    let calls = 0;
    const r = runner(database, `permanent-${dialect}`);
    r.register({
      kind: 'test.permanent',
      payload: z.object({ id: z.number() }),
      async run() {
        calls++;
        throw new AppError('DATASET_NOT_FOUND', 'No dataset "gone".');
      },
    });
    const verdict = await r.enqueue(database.db, { kind: 'test.permanent', payload: { id: 1 } });
    const malformed = await r.enqueue(database.db, { kind: 'test.permanent', payload: { id: 'x' } });
    for (let i = 0; i < 2; i++) {
      await r.tick();
      await r.idle();
    }
    expect(calls).toBe(1);
    expect(await jobRow(verdict.id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_error: 'No dataset "gone".',
    });
    expect(await jobRow(malformed.id)).toMatchObject({ status: 'failed', attempts: 1 });
    expect((await jobRow(malformed.id))?.last_error).toMatch(/^invalid payload/);
  });

  it('runs a recurring job once per interval with two runners sharing the database', async () => {
    const database = get();
    const other = await secondHandle(database);
    try {
      const runs: string[] = [];
      const a = runner(database, `rec-a-${dialect}`);
      const b = runner(other, `rec-b-${dialect}`);
      for (const [name, r] of [
        ['a', a],
        ['b', b],
      ] as const) {
        r.register({
          kind: 'test.every-minute',
          payload: z.object({}),
          async run() {
            runs.push(name);
          },
        });
        r.every('test.every-minute', 60);
      }
      await Promise.all([a.start(), b.start()]);
      const round = async () => {
        await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()]);
        await Promise.all([a.idle(), b.idle()]);
      };
      await round();
      expect(runs).toHaveLength(1);
      clock.advance(30_000);
      await round();
      expect(runs).toHaveLength(1);
      for (let i = 2; i <= 4; i++) {
        clock.advance(30_000);
        await round();
        expect(runs).toHaveLength(i);
        clock.advance(30_000);
        await round();
      }
      expect(runs).toHaveLength(4);
    } finally {
      await other.close();
    }
  });

  it('hands a running job back on shutdown without using up an attempt, and cancels queued and running jobs', async () => {
    const database = get();
    const r = runner(database, `stop-${dialect}`, { leaseMs: 300 });
    let reason: string | null = null;
    r.register({
      kind: 'test.long',
      payload: z.object({}),
      async run(_p, ctx) {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        reason = ctx.stopReason();
      },
    });
    const job = await r.enqueue(database.db, { kind: 'test.long', payload: {}, key: `long-${dialect}` });
    await r.tick();
    await r.stop();
    expect(reason).toBe('shutdown');
    expect(await jobRow(job.id)).toMatchObject({ status: 'queued', attempts: 0, lease_owner: null });

    // Queued: cancelled at once. Running: the holder sees the flag at its next renewal.
    const queued = await r.enqueue(database.db, { kind: 'test.long', payload: {}, key: `q-${dialect}` });
    expect(await r.cancel(database.db, `q-${dialect}`)).toBe('cancelled');
    expect(await jobRow(queued.id)).toMatchObject({ status: 'cancelled' });

    const r2 = runner(database, `stop2-${dialect}`, { leaseMs: 300 });
    r2.register({
      kind: 'test.long',
      payload: z.object({}),
      async run(_p, ctx) {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        reason = ctx.stopReason();
      },
    });
    await r2.tick();
    expect(await jobRow(job.id)).toMatchObject({ status: 'running', attempts: 1 });
    expect(await r2.cancel(database.db, `long-${dialect}`)).toBe('requested');
    await waitFor(async () => (await jobRow(job.id))?.status === 'cancelled', 'the cancel at a renewal');
    expect(reason).toBe('cancel');
    expect(await r2.cancel(database.db, `long-${dialect}`)).toBe('none');
  });

  it('retention deletes finished jobs past their keep time and keeps the rest', async () => {
    const database = get();
    const r = runner(database, `retention-${dialect}`);
    const now = clock.now().getTime();
    const daysAgo = (d: number) => new Date(now - d * 86_400_000).toISOString();
    const make = async (key: string, status: string, finishedAt: string | null) => {
      const job = await r.enqueue(database.db, { kind: 'test.old', payload: {}, key: `${key}-${dialect}` });
      await database.exec(
        `update jobs set status = '${status}', finished_at = ${finishedAt ? `'${finishedAt}'` : 'null'} where id = ${job.id}`,
      );
      return job.id;
    };
    const oldDone = await make('old-done', 'succeeded', daysAgo(8));
    const recentDone = await make('recent-done', 'succeeded', daysAgo(2));
    const oldFailed = await make('old-failed', 'failed', daysAgo(8));
    const ancientFailed = await make('ancient-failed', 'failed', daysAgo(31));
    const waiting = await make('waiting', 'queued', null);
    // Due now (the server under test scheduled it by the wall clock, ahead of this test's clock).
    await database.exec(
      `update recurring_jobs set next_run_at = '2000-01-01T00:00:00.000Z' where kind = 'jobs.retention'`,
    );
    await r.start();
    await r.tick();
    await r.idle();
    const left = new Set(
      (await sql<{ id: number }>`select id from jobs`.execute(database.db)).rows.map((row) => row.id),
    );
    expect([oldDone, recentDone, oldFailed, ancientFailed, waiting].map((id) => left.has(id))).toEqual([
      false,
      true,
      true,
      false,
      true,
    ]);
  });
});
