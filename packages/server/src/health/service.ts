import type { Database } from '../db/database.ts';
import type { HealthStore } from './store.ts';

/** What `GET /readyz` answers: ready, or the check that failed and why. */
export type Readiness =
  | { ready: true }
  | {
      ready: false;
      check: 'database' | 'migrations';
      /** Says what failed without the database's address or credentials (the route is public). */
      reason: string;
      /** The driver's error, for the server's log only. */
      error?: unknown;
    };

export interface ReadinessOptions {
  database: Database;
  store: HealthStore;
  /** Every migration this release knows (`migrationNames`). */
  expectedMigrations: readonly string[];
  /** How long the database has to answer before the instance counts as not ready (default 2 000 ms). */
  timeoutMs?: number;
}

/**
 * Readiness: the database answers a trivial query within the timeout and every migration this
 * release knows is recorded as done. Once the migrations were seen done they are not read again
 * (forward only: they cannot be undone under a running server); the database is asked every time.
 *
 * A database that hangs (a dropped network path) would leave each probe's query waiting on a
 * pooled connection: only one check runs at a time and later probes wait for it (each gives up
 * after its own timeout; a new check starts once it has waited five timeouts), so a hung database
 * holds a connection or two, not one per probe.
 */
export function createReadinessService({
  database,
  store,
  expectedMigrations,
  timeoutMs = 2_000,
}: ReadinessOptions) {
  let migrationsDone = false;
  let running: { check: Promise<Readiness>; startedAt: number } | undefined;
  // A check still waiting after this long is given up on and a new one started: a connection a
  // dropped network path holds may never be answered nor closed.
  const abandonAfterMs = timeoutMs * 5;

  async function run(): Promise<Readiness> {
    try {
      await store.ping(database.db);
    } catch (error) {
      return {
        ready: false,
        check: 'database',
        reason: `the database does not answer (${kindOf(error)})`,
        error,
      };
    }
    if (migrationsDone) return { ready: true };
    let executed: Set<string>;
    try {
      executed = new Set(await store.executedMigrations(database.db));
    } catch (error) {
      return {
        ready: false,
        check: 'migrations',
        reason: `the migration record cannot be read (${kindOf(error)})`,
        error,
      };
    }
    const pending = expectedMigrations.filter((name) => !executed.has(name));
    if (pending.length > 0) {
      return {
        ready: false,
        check: 'migrations',
        reason: `${pending.length} migration(s) not applied yet: ${pending.join(', ')}`,
      };
    }
    migrationsDone = true;
    return { ready: true };
  }

  return {
    async check(): Promise<Readiness> {
      const now = performance.now();
      if (!running || now - running.startedAt > abandonAfterMs) {
        const current = { check: run(), startedAt: now };
        running = current;
        void current.check.finally(() => {
          if (running === current) running = undefined;
        });
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<Readiness>((resolve) => {
        timer = setTimeout(
          () =>
            resolve({
              ready: false,
              check: 'database',
              reason: `the database did not answer within ${timeoutMs} ms`,
            }),
          timeoutMs,
        );
      });
      try {
        return await Promise.race([running.check, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export type ReadinessService = ReturnType<typeof createReadinessService>;

/**
 * The error's code (ECONNREFUSED, 57P01…), else its message with anything like an address taken
 * out: what failed, never where the database is or with which credentials.
 */
function kindOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code)) return code;
  if (!(error instanceof Error) || !error.message)
    return error instanceof Error ? error.name : 'unknown error';
  return error.message
    .replace(/\S*@\S*/g, '…')
    .replace(/[\w.-]*(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?|\[?[0-9a-f]*:[0-9a-f:]+\]?(?::\d+)?|[\w.-]+:\d+/gi, '…')
    .slice(0, 120);
}
