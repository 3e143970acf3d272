import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { z } from 'zod';
import type { ChangeFeed, DeploymentChange, EnvironmentLister, SpansWritten } from './change-feed.ts';
import { CHANGE_CHANNEL, createChangeFeedStore } from './store.ts';

export { CHANGE_CHANNEL };

/** Options of {@link createPostgresChangeFeed}. */
export interface PostgresChangeFeedOptions {
  /** `postgres://…`: the feed opens its own listener connection and a small pool for NOTIFY. */
  connectionString?: string;
  /** Or an existing pool: one of its clients is held for LISTEN, the others send NOTIFY. */
  pool?: pg.Pool;
  /** Schema the instance works in (default: the connection's `current_schema()`). Notifications of other schemas on the same database are ignored. */
  schema?: string;
  /** Failures of the listener connection and of NOTIFY (the feed reconnects by itself). */
  onError?: (error: unknown) => void;
  /** First reconnect delay in ms, doubled up to 5 s (default 100). */
  reconnectDelayMs?: number;
}

/** A change feed across server instances sharing one PostgreSQL. */
export interface PostgresChangeFeed extends ChangeFeed {
  /** Random id of this instance: its own NOTIFYs are not delivered twice. */
  readonly instanceId: string;
  /** True while the LISTEN connection is up. */
  listening(): boolean;
  resyncFrom(list: EnvironmentLister): void;
  subscribeKeys(listener: (keyId: number | null) => void): () => void;
  publishSpans(batch: SpansWritten): void;
  subscribeSpans(listener: (batch: SpansWritten) => void): () => void;
  publishTailInterest(projectId: number): void;
  subscribeTailInterest(listener: (projectId: number) => void): () => void;
}

/** A notification's payload (ours, or the triggers' of migrations `0021_change_notify`, `0080_api_key_notify` and `0300_member_notify`). */
const Payload = z.union([
  z.object({
    kind: z.literal('spans'),
    schema: z.string().optional(),
    origin: z.string().optional(),
    projectId: z.number().int(),
    fromMs: z.number(),
    toMs: z.number(),
    receivedAt: z.string(),
    count: z.number().int(),
  }),
  z.object({
    kind: z.literal('tail'),
    schema: z.string().optional(),
    origin: z.string().optional(),
    projectId: z.number().int(),
  }),
  z.object({
    kind: z.literal('api-key'),
    schema: z.string().optional(),
    origin: z.string().optional(),
    // Null: any key may have changed (a membership changed: roles are capped by it).
    keyId: z.number().int().nullable(),
  }),
  z.object({
    kind: z.literal('deployment').optional(),
    schema: z.string().optional(),
    origin: z.string().optional(),
    projectId: z.string(),
    environment: z.string(),
    prompt: z.string(),
  }),
]);

const MAX_RECONNECT_DELAY_MS = 5_000;

/**
 * Carries deployment changes between instances over PostgreSQL LISTEN/NOTIFY.
 *
 * Two sources of notifications, on purpose:
 * - the triggers on `deployments` and `environments` (migration `0021_change_notify`) NOTIFY inside
 *   the writing transaction, so a change reaches other instances if and only if it commits — even
 *   when the writing process dies right after the commit, before it could publish;
 * - `publish()` delivers to this instance's listeners at once (read-your-writes) and NOTIFYs the
 *   others, so a change without a trigger behind it still travels.
 * A change may therefore arrive twice on another instance; consumers are idempotent (a second cache
 * invalidation, an update event suppressed because the ETag did not change).
 *
 * The listener reconnects with backoff after losing its connection; changes missed meanwhile are
 * unknowable, so after a reconnect every environment is reported changed.
 *
 * @example
 * const feed = await createPostgresChangeFeed({ connectionString: config.databaseUrl });
 * const app = await buildApp({ db, config, changeFeed: feed });
 */
export async function createPostgresChangeFeed(
  options: PostgresChangeFeedOptions,
): Promise<PostgresChangeFeed> {
  if (!options.pool && !options.connectionString) {
    throw new Error('createPostgresChangeFeed needs a connectionString or a pool');
  }
  const instanceId = randomUUID();
  const store = createChangeFeedStore();
  const searchPath = options.schema ? { options: `-c search_path=${options.schema}` } : {};
  const ownPool = options.pool
    ? undefined
    : new pg.Pool({ connectionString: options.connectionString, max: 2, ...searchPath });
  const pool = options.pool ?? (ownPool as pg.Pool);
  const listeners = new Set<(c: DeploymentChange) => void>();
  const keyListeners = new Set<(keyId: number | null) => void>();
  const spanListeners = new Set<(batch: SpansWritten) => void>();
  const interestListeners = new Set<(projectId: number) => void>();
  const baseDelay = options.reconnectDelayMs ?? 100;
  const report = (error: unknown) => options.onError?.(error);

  let schema = options.schema ?? '';
  let client: pg.ClientBase | undefined;
  let release: ((error?: Error) => void) | undefined;
  let closed = false;
  let delay = baseDelay;
  let timer: NodeJS.Timeout | undefined;
  // Set by app.ts once the environments service exists; nothing listens before that.
  let environments: EnvironmentLister | undefined;

  function deliver(change: DeploymentChange): void {
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch (error) {
        // One faulty listener must not keep the others from hearing about a release change.
        report(new Error('change feed: a listener failed on a deployment change', { cause: error }));
      }
    }
  }

  function onNotification(message: pg.Notification): void {
    if (message.channel !== CHANGE_CHANNEL || message.payload === undefined) return;
    let json: unknown;
    try {
      json = JSON.parse(message.payload);
    } catch (error) {
      report(
        new Error(`change feed: ignored a notification that is not JSON: ${message.payload.slice(0, 200)}`, {
          cause: error,
        }),
      );
      return;
    }
    const parsed = Payload.safeParse(json);
    if (!parsed.success) {
      report(
        new Error(`change feed: ignored a notification of unknown shape: ${message.payload.slice(0, 200)}`),
      );
      return;
    }
    const payload = parsed.data;
    if (payload.schema !== schema || payload.origin === instanceId) return;
    if (payload.kind === 'api-key') {
      deliverKey(payload.keyId);
      return;
    }
    if (payload.kind === 'tail') {
      for (const listener of [...interestListeners]) {
        try {
          listener(payload.projectId);
        } catch (error) {
          report(new Error('change feed: a listener failed on a tail announcement', { cause: error }));
        }
      }
      return;
    }
    if (payload.kind === 'spans') {
      const { projectId, fromMs, toMs, receivedAt, count } = payload;
      deliverSpans({ projectId, fromMs, toMs, receivedAt, count });
      return;
    }
    deliver({ projectId: payload.projectId, environment: payload.environment, prompt: payload.prompt });
  }

  function deliverKey(keyId: number | null): void {
    for (const listener of [...keyListeners]) {
      try {
        listener(keyId);
      } catch (error) {
        report(new Error('change feed: a listener failed on an API key change', { cause: error }));
      }
    }
  }

  function deliverSpans(batch: SpansWritten): void {
    for (const listener of [...spanListeners]) {
      try {
        listener(batch);
      } catch (error) {
        report(new Error('change feed: a listener failed on written spans', { cause: error }));
      }
    }
  }

  async function connect(): Promise<pg.ClientBase> {
    if (options.pool) {
      const pooled = await options.pool.connect();
      release = (error) => pooled.release(error ?? true);
      return pooled;
    }
    const own = new pg.Client({ connectionString: options.connectionString, ...searchPath });
    // Ending a connection that already failed can fail too; the failure itself was reported.
    release = () => void own.end().catch(() => {});
    await own.connect();
    return own;
  }

  function lost(from: pg.ClientBase, error: unknown): void {
    if (client !== from) return;
    report(error);
    client = undefined;
    from.removeAllListeners('notification');
    release?.(error instanceof Error ? error : new Error(String(error)));
    release = undefined;
    schedule();
  }

  function schedule(): void {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void listen(true);
    }, delay);
    delay = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
  }

  async function listen(resync: boolean): Promise<void> {
    let next: pg.ClientBase | undefined;
    try {
      next = await connect();
      const current = next;
      current.on('error', (error) => lost(current, error));
      current.on('end', () => lost(current, new Error('the LISTEN connection to PostgreSQL ended')));
      if (!schema) schema = await store.currentSchema(current);
      current.on('notification', onNotification);
      await store.listen(current);
    } catch (error) {
      if (next) {
        next.removeAllListeners('notification');
        next.removeAllListeners('end');
        release?.(error instanceof Error ? error : new Error(String(error)));
        release = undefined;
      }
      if (!resync) throw error;
      report(error);
      schedule();
      return;
    }
    if (closed) {
      release?.();
      release = undefined;
      return;
    }
    client = next;
    delay = baseDelay;
    if (resync) await reportEverything().catch(report);
  }

  // Notifications sent while the listener was down are lost: treat every environment and every
  // API key as changed.
  async function reportEverything(): Promise<void> {
    deliverKey(null);
    for (const env of (await environments?.()) ?? []) {
      deliver({ projectId: env.projectId, environment: env.environment, prompt: '*' });
    }
  }

  await listen(false);

  return {
    instanceId,
    listening: () => client !== undefined,

    publish(change) {
      deliver(change);
      if (closed) return;
      const payload = JSON.stringify({ ...change, schema, origin: instanceId });
      store.notify(pool, payload).catch(report);
    },

    publishSpans(batch) {
      // Only the other instances: this one's tail heard the spans in-process.
      if (closed) return;
      store
        .notify(pool, JSON.stringify({ kind: 'spans', ...batch, schema, origin: instanceId }))
        .catch(report);
    },

    subscribeSpans(listener) {
      spanListeners.add(listener);
      return () => {
        spanListeners.delete(listener);
      };
    },

    publishTailInterest(projectId) {
      if (closed) return;
      store
        .notify(pool, JSON.stringify({ kind: 'tail', projectId, schema, origin: instanceId }))
        .catch(report);
    },

    subscribeTailInterest(listener) {
      interestListeners.add(listener);
      return () => {
        interestListeners.delete(listener);
      };
    },

    resyncFrom(list) {
      environments = list;
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },

    subscribeKeys(listener) {
      keyListeners.add(listener);
      return () => {
        keyListeners.delete(listener);
      };
    },

    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      listeners.clear();
      keyListeners.clear();
      spanListeners.clear();
      interestListeners.clear();
      const current = client;
      client = undefined;
      if (current) {
        current.removeAllListeners('notification');
        current.removeAllListeners('end');
        try {
          await store.unlisten(current);
        } catch {
          // The connection is going away anyway.
        }
        // Keep an error listener: a late socket error after close must not crash the process.
        current.removeAllListeners('error');
        current.on('error', () => {});
        release?.();
        release = undefined;
      }
      await ownPool?.end();
    },
  };
}
