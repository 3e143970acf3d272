/**
 * The durable job runner: claims due jobs from the database with a lease, runs them with bounded
 * concurrency per kind, renews the lease while they run (the heartbeat), retries failures with
 * exponential backoff up to a maximum, and hands its jobs back on shutdown. Several instances on
 * one PostgreSQL share the queue; a job whose instance died is claimed again once its lease
 * expires. Delivery is at least once: a handler makes its effects idempotent, and writes them
 * through `ctx.fenced`, which refuses once another instance has taken the job over.
 */
import { hostname } from 'node:os';
import { isAppError } from '@promptline/core';
import type { z } from 'zod';
import type { Clock } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import type { JobStore, StoredJob } from './store.ts';

/** Why a running job's signal fired. */
export type StopReason = 'cancel' | 'shutdown' | 'lease-lost';

export interface JobContext {
  job: StoredJob;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  /** Aborted on cancel, shutdown, or when the lease was lost; `stopReason()` says which. */
  signal: AbortSignal;
  stopReason(): StopReason | null;
  /**
   * Runs `write` in a transaction only while this instance still holds the job (the row is
   * locked for the transaction on PostgreSQL). Throws LeaseLostError otherwise.
   */
  fenced<T>(write: (trx: Db) => Promise<T>): Promise<T>;
}

export interface JobHandler<P> {
  kind: string;
  /** Parses the stored payload; a payload it refuses fails the job at once. */
  payload: z.ZodType<P>;
  /** Jobs of this kind running at once in one process (default 1). */
  concurrency?: number;
  /** Attempts before the job ends failed (default 5). */
  maxAttempts?: number;
  run(payload: P, ctx: JobContext): Promise<void>;
  /** Records a final failure in the feature's own data, in the transaction that fails the job. */
  onFailed?(payload: P, error: string, trx: Db): Promise<void>;
}

export interface RunnerLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface JobRunnerOptions {
  database: Database;
  clock: Clock;
  store: JobStore;
  logger?: RunnerLogger | undefined;
  /** This instance's name in `lease_owner` (default host:pid:random). */
  owner?: string | undefined;
  /** How long a claim holds without renewal (default 30 s); renewed every third of it. */
  leaseMs?: number | undefined;
  /** How often the queue is polled for due jobs (default 1 s). */
  pollMs?: number | undefined;
  /** First retry delay, doubled per attempt (default 1 s), capped at `maxBackoffMs` (default 5 min). */
  backoffMs?: number | undefined;
  maxBackoffMs?: number | undefined;
}

export class LeaseLostError extends Error {
  constructor(id: number) {
    super(`job ${id}: another instance holds it now (its lease expired here)`);
    this.name = 'LeaseLostError';
  }
}

const DEFAULT_MAX_ATTEMPTS = 5;

interface Running {
  controller: AbortController;
  reason: StopReason | null;
  done: Promise<void>;
}

export function createJobRunner(options: JobRunnerOptions) {
  const { database, clock, store, logger } = options;
  const owner = options.owner ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const leaseMs = options.leaseMs ?? 30_000;
  const pollMs = options.pollMs ?? 1_000;
  const backoffMs = options.backoffMs ?? 1_000;
  const maxBackoffMs = options.maxBackoffMs ?? 300_000;
  // biome-ignore lint/suspicious/noExplicitAny: each handler has its own payload type
  const handlers = new Map<string, { handler: JobHandler<any>; active: number }>();
  const recurring = new Map<string, number>();
  const running = new Map<number, Running>();
  let started = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | null = null;
  let again = false;

  const at = (offsetMs = 0) => new Date(clock.now().getTime() + offsetMs).toISOString();

  async function fenced<T>(id: number, write: (trx: Db) => Promise<T>): Promise<T> {
    return database.db.transaction().execute(async (trx) => {
      if (!(await store.holds(trx, id, owner))) throw new LeaseLostError(id);
      return write(trx);
    });
  }

  async function giveUp(
    // biome-ignore lint/suspicious/noExplicitAny: see handlers
    handler: JobHandler<any>,
    job: StoredJob,
    payload: { ok: true; value: unknown } | { ok: false },
    message: string,
  ): Promise<void> {
    logger?.error({ job: job.id, kind: job.kind, attempts: job.attempts, error: message }, 'job failed');
    await fenced(job.id, async (trx) => {
      if (payload.ok) await handler.onFailed?.(payload.value, message, trx);
      await store.finish(trx, job.id, owner, { status: 'failed', error: message, at: at() });
    });
  }

  // biome-ignore lint/suspicious/noExplicitAny: see handlers
  async function execute(handler: JobHandler<any>, job: StoredJob, entry: Running): Promise<void> {
    const parsed = handler.payload.safeParse(job.payload);
    if (!parsed.success) {
      await giveUp(handler, job, { ok: false }, `invalid payload: ${parsed.error.message}`);
      return;
    }
    const payload = { ok: true as const, value: parsed.data };
    const maxAttempts = job.maxAttempts;
    if (job.attempts > maxAttempts) {
      // Its last holder died with the lease: the attempts are used up.
      await giveUp(
        handler,
        job,
        payload,
        job.lastError ?? `the instance running it stopped ${maxAttempts} time(s) (lease expired)`,
      );
      return;
    }
    const stop = (reason: StopReason) => {
      if (entry.reason) return;
      entry.reason = reason;
      entry.controller.abort();
    };
    if (job.cancelRequested) stop('cancel');
    const heartbeat = setInterval(
      () => {
        store.renew(database.db, job.id, owner, at(leaseMs), at()).then(
          (renewed) => {
            if (!renewed) stop('lease-lost');
            else if (renewed.cancelRequested) stop('cancel');
          },
          (error: unknown) => logger?.warn({ err: error, job: job.id }, 'job lease renewal failed'),
        );
      },
      Math.max(10, Math.floor(leaseMs / 3)),
    );
    heartbeat.unref();
    let failure: unknown = null;
    try {
      await handler.run(parsed.data, {
        job,
        attempt: job.attempts,
        maxAttempts,
        signal: entry.controller.signal,
        stopReason: () => entry.reason,
        fenced: (write) => fenced(job.id, write),
      });
    } catch (error) {
      failure = error;
    } finally {
      clearInterval(heartbeat);
    }
    const reason = entry.reason;
    if (reason === 'lease-lost' || failure instanceof LeaseLostError) {
      logger?.warn({ job: job.id, kind: job.kind }, 'job lease lost: another instance took it over');
      return;
    }
    if (reason === 'shutdown') {
      // Handed back without using up an attempt: the next instance (or this one restarted) resumes it.
      await store.requeue(database.db, job.id, owner, {
        runAfter: at(),
        error: null,
        refundAttempt: true,
        at: at(),
      });
      return;
    }
    if (reason === 'cancel') {
      await store.finish(database.db, job.id, owner, { status: 'cancelled', error: null, at: at() });
      return;
    }
    if (failure === null) {
      await store.finish(database.db, job.id, owner, { status: 'succeeded', error: null, at: at() });
      return;
    }
    const message = failure instanceof Error ? failure.message : String(failure);
    // An AppError is a verdict on the input (not found, invalid…): trying again cannot change it.
    if (isAppError(failure) || job.attempts >= maxAttempts) {
      if (!isAppError(failure)) logger?.error({ err: failure, job: job.id }, 'job attempt failed');
      await giveUp(handler, job, payload, message);
      return;
    }
    const delay = Math.min(maxBackoffMs, backoffMs * 2 ** (job.attempts - 1));
    logger?.warn(
      { err: failure, job: job.id, kind: job.kind, retryInMs: delay },
      'job attempt failed; retrying',
    );
    await store.requeue(database.db, job.id, owner, {
      runAfter: at(delay),
      error: message,
      refundAttempt: false,
      at: at(),
    });
  }

  // biome-ignore lint/suspicious/noExplicitAny: see handlers
  function launch(slot: { handler: JobHandler<any>; active: number }, job: StoredJob): void {
    slot.active++;
    const entry: Running = { controller: new AbortController(), reason: null, done: Promise.resolve() };
    entry.done = execute(slot.handler, job, entry)
      .catch((error: unknown) => {
        if (!(error instanceof LeaseLostError))
          logger?.error({ err: error, job: job.id, kind: job.kind }, 'job bookkeeping failed');
      })
      .finally(() => {
        slot.active--;
        running.delete(job.id);
        if (!stopped) wake();
      });
    running.set(job.id, entry);
  }

  async function claimDue(): Promise<void> {
    for (const [kind, slot] of handlers) {
      const free = (slot.handler.concurrency ?? 1) - slot.active;
      if (free <= 0 || stopped) continue;
      const jobs = await store.claim(database.db, {
        kind,
        owner,
        limit: free,
        now: at(),
        leaseUntil: at(leaseMs),
      });
      for (const job of jobs) launch(slot, job);
    }
  }

  async function enqueueRecurring(): Promise<void> {
    for (const [kind, everySeconds] of recurring) {
      const now = at();
      await database.db.transaction().execute(async (trx) => {
        if (!(await store.claimSlot(trx, kind, now, at(everySeconds * 1000)))) return;
        await store.insert(trx, {
          kind,
          key: `${kind}@${now}`,
          projectId: null,
          payload: {},
          maxAttempts: handlers.get(kind)?.handler.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
          runAfter: now,
          at: now,
        });
      });
    }
  }

  /** One pass: enqueue due recurring jobs, then claim and start what fits. */
  async function tick(): Promise<void> {
    if (ticking) {
      again = true;
      return ticking;
    }
    ticking = (async () => {
      do {
        again = false;
        if (stopped) break;
        await enqueueRecurring();
        await claimDue();
      } while (again);
    })().finally(() => {
      ticking = null;
    });
    return ticking;
  }

  function loop(): void {
    if (stopped) return;
    tick()
      .catch((error: unknown) => logger?.error({ err: error }, 'job runner: polling the queue failed'))
      .finally(() => {
        if (!stopped) {
          timer = setTimeout(loop, pollMs);
          timer.unref();
        }
      });
  }

  function wake(): void {
    if (!started || stopped) return;
    void tick().catch((error: unknown) =>
      logger?.error({ err: error }, 'job runner: polling the queue failed'),
    );
  }

  return {
    owner,
    register<P>(handler: JobHandler<P>): void {
      handlers.set(handler.kind, { handler, active: 0 });
    },
    /** Runs `kind` (a registered handler) once every `everySeconds`, across all instances. */
    every(kind: string, everySeconds: number): void {
      recurring.set(kind, everySeconds);
    },
    maxAttemptsOf(kind: string): number {
      return handlers.get(kind)?.handler.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    },
    /** Starts polling (idempotent). */
    async start(): Promise<void> {
      if (started) return;
      started = true;
      for (const [kind, everySeconds] of recurring)
        await store.schedule(database.db, kind, everySeconds, at());
      loop();
    },
    /** Polls now (after an enqueue), without waiting for the next interval. */
    wake,
    /** One polling pass, awaited (tests drive the runner with it). */
    tick,
    /** Aborts a job this process runs (a cancel seen locally, before the next renewal). */
    abort(jobId: number, reason: StopReason): void {
      const entry = running.get(jobId);
      if (!entry || entry.reason) return;
      entry.reason = reason;
      entry.controller.abort();
    },
    /** Waits until no job runs in this process. */
    async idle(): Promise<void> {
      while (running.size > 0) await Promise.allSettled([...running.values()].map((r) => r.done));
    },
    /** Stops polling, interrupts running jobs and hands them back to the queue. */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      // The poll loop logs its own failures; stopping only waits for it to settle.
      await ticking?.catch(() => undefined);
      for (const entry of running.values()) {
        if (!entry.reason) {
          entry.reason = 'shutdown';
          entry.controller.abort();
        }
      }
      await Promise.allSettled([...running.values()].map((r) => r.done));
    },
  };
}

export type JobRunner = ReturnType<typeof createJobRunner>;
