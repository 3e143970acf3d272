/**
 * A real Promptline server for tests of other packages (CLI, SDK, web) and of the server itself.
 *
 * @example
 * import { startTestServer } from '@promptline/server/test-helpers';
 * const server = await startTestServer({ dialect: 'sqlite' });
 * await fetch(`${server.url}/api/v1/prompts`, { headers: { authorization: `Bearer ${server.apiKey}` } });
 * await server.close();
 *
 * Contract (kept stable): a fresh, migrated database (a temp SQLite file, or a fresh schema on the
 * test PostgreSQL), the `default` project with development/staging/production, one admin key
 * (`apiKey`), the app listening on 127.0.0.1 on a free port (`url`, no trailing slash), and
 * `close()` that stops the server and deletes the database.
 */
import type { FastifyInstance } from 'fastify';
import { type BuildAppOptions, buildApp } from '../app.ts';
import { generateApiKey } from '../auth/service.ts';
import { bootstrap } from '../bootstrap.ts';
import type { Clock } from '../clock.ts';
import type { Dialect } from '../db/database.ts';
import type { JobSettings } from '../jobs/service.ts';
import type { ChangeFeed } from '../live/change-feed.ts';
import type { OidcSettings } from '../oidc/settings.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** An admin key of the default project. */
  apiKey: string;
  app: FastifyInstance;
  database: TestDatabase;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Default `sqlite`. */
  dialect?: Dialect;
  clock?: Clock;
  changeFeed?: ChangeFeed;
  /** Default false (silent). */
  logger?: boolean;
  /** Listen on a port (default true); false to use only `app.inject()`. */
  listen?: boolean;
  /** Job runner tuning; default a 50 ms poll so background work starts at once in tests. */
  jobs?: JobSettings;
  /** How often due scheduled releases are applied (seconds). */
  scheduleEverySeconds?: number;
  /** Gateway tuning (span recording interval, where spans go). */
  gateway?: BuildAppOptions['gateway'];
  /** The metrics registry (keep it to read what was counted), or false for none; default a new one. */
  metrics?: BuildAppOptions['metrics'];
  /** Opens /metrics to non-local callers that send it as bearer. */
  metricsToken?: string;
  /** Rate-limit budgets (and their clock); default none. */
  rateLimits?: BuildAppOptions['rateLimits'];
  /** /readyz tuning. */
  readiness?: BuildAppOptions['readiness'];
  /** Guarded rollouts: seconds between checks (default 5). */
  rollouts?: BuildAppOptions['rollouts'];
  /** Alert evaluation tuning (seconds between passes). */
  alerts?: BuildAppOptions['alerts'];
  /** A database to serve instead of a fresh one (it must be migrated); the caller closes it. */
  database?: TestDatabase;
  /**
   * Single sign-on settings (see startOidcProvider in test-helpers/oidc-provider.ts); a function gets
   * the server's URL (its redirect URI is `<url>/auth/oidc/callback`).
   */
  oidc?: OidcSettings | ((url: string) => OidcSettings);
  /** Password lockout and throttling; default the server's. */
  passwords?: BuildAppOptions['passwords'];
  /** Annotation queues: how long a claim holds, how often sampling rules run. */
  annotation?: BuildAppOptions['annotation'];
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase(options.dialect ?? 'sqlite'));
  const apiKey = generateApiKey();
  const oidc = options.oidc;
  // Read by the SSO settings on first use, once listening.
  let url = '';
  await bootstrap(database, { apiKey, ...(options.clock ? { clock: options.clock } : {}) });
  const app = await buildApp({
    db: database,
    config: { logLevel: 'silent' },
    logger: options.logger ?? false,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.changeFeed ? { changeFeed: options.changeFeed } : {}),
    jobs: { pollMs: 50, ...options.jobs },
    ...(options.scheduleEverySeconds === undefined
      ? {}
      : { scheduleEverySeconds: options.scheduleEverySeconds }),
    ...(options.gateway ? { gateway: options.gateway } : {}),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    ...(options.metricsToken === undefined ? {} : { metricsToken: options.metricsToken }),
    ...(options.rateLimits === undefined ? {} : { rateLimits: options.rateLimits }),
    ...(options.readiness === undefined ? {} : { readiness: options.readiness }),
    ...(options.rollouts === undefined ? {} : { rollouts: options.rollouts }),
    ...(oidc === undefined ? {} : { oidc: typeof oidc === 'function' ? () => oidc(url) : oidc }),
    ...(options.alerts === undefined ? {} : { alerts: options.alerts }),
    ...(options.passwords === undefined ? {} : { passwords: options.passwords }),
    ...(options.annotation === undefined ? {} : { annotation: options.annotation }),
  });
  if (options.listen ?? true) {
    url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
  } else {
    await app.ready();
  }
  return {
    url,
    apiKey,
    app,
    database,
    async close() {
      await app.close();
      if (!options.database) await database.close();
    },
  };
}

/** A clock tests move by hand. */
export function createManualClock(start = new Date('2026-01-01T00:00:00.000Z')) {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    set(at: Date | string) {
      now = new Date(at).getTime();
    },
    advance(ms: number) {
      now += ms;
    },
  };
}
