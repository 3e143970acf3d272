/**
 * The server process: configuration from the environment → database → migrations → first-start
 * setup → listen. Stops gracefully on SIGTERM/SIGINT.
 */
import { isAppError } from '@promptline/core';
import { createSecretBox, loadOrCreateSecretKey } from '@promptline/core/node';
import { buildApp } from './app.ts';
import { createCheckpointSigner, loadOrCreateSigningKey } from './audit/signing.ts';
import { loadConfig, passwordSettings, rateLimitSettings } from './config.ts';
import { createDatabase } from './db/database.ts';
import { applyServerV8Flags } from './gc-tuning.ts';
import { createPostgresChangeFeed } from './live/postgres-change-feed.ts';
import { adminKeyBanner, browsableUrl, prettyLogStream } from './logging.ts';
import { oidcSettingsOf } from './oidc/settings.ts';
import { setUpDatabase } from './setup.ts';

async function main(): Promise<void> {
  // Scavenges on the main thread alone: helpers waiting for a busy core stalled every request (gc-tuning.ts).
  applyServerV8Flags();
  const config = loadConfig(process.env);
  let poolError: ((error: unknown) => void) | undefined;
  const database = createDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    onConnectionError: (error) => poolError?.(error),
  });
  // Several instances may start at once on one PostgreSQL: setUpDatabase serialises them.
  const { generatedKey, restoredKeyId } = await setUpDatabase(database, {
    apiKey: config.apiKey,
    generateKeyIfNone: true,
  });
  // The key file lives in the data dir even on PostgreSQL (which needs no data dir otherwise):
  // every instance behind a load balancer must be given the same key, best by PROMPTLINE_SECRET_KEY.
  const secretBox = createSecretBox(
    loadOrCreateSecretKey({ envValue: config.secretKey, dataDir: config.dataDir }),
  );
  // Same rule for the key that signs audit checkpoints: one key for every instance.
  const auditSigner = createCheckpointSigner(
    loadOrCreateSigningKey({ envValue: config.auditSigningKey, dataDir: config.dataDir }),
  );
  let feedError: ((error: unknown) => void) | undefined;
  // Several instances on one PostgreSQL hear each other's deployment changes through LISTEN/NOTIFY.
  const changeFeed = config.databaseUrl
    ? await createPostgresChangeFeed({
        connectionString: config.databaseUrl,
        onError: (error) => feedError?.(error),
      })
    : undefined;
  // A person at a terminal gets coloured one-line logs; anything else (a file, a collector) JSON.
  const logger = process.stdout.isTTY
    ? { level: config.logLevel, stream: await prettyLogStream() }
    : { level: config.logLevel };
  const app = await buildApp({
    db: database,
    config,
    secretBox,
    auditSigner,
    logger,
    jobs: { leaseMs: config.jobLeaseMs, pollMs: config.jobPollMs },
    oidc: oidcSettingsOf(config),
    passwords: passwordSettings(config),
    ...(changeFeed ? { changeFeed } : {}),
    ...(config.metrics ? { metricsToken: config.metricsToken } : { metrics: false as const }),
    rateLimits: (() => {
      const limits = rateLimitSettings(config);
      return limits ? { limits } : false;
    })(),
  });
  poolError = (error) =>
    app.log.warn({ err: error }, 'database: a pooled connection failed (it is replaced when needed)');
  feedError = (error) =>
    app.log.warn({ err: error }, 'change feed problem (a lost LISTEN connection reconnects by itself)');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info(`${signal} received, shutting down`);
    try {
      await app.close();
      await changeFeed?.close();
      await database.close();
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  // Fastify logs one line per address it listens on (every interface for 0.0.0.0).
  await app.listen({
    port: config.port,
    host: config.host,
    listenTextResolver: (address) => `Promptline listening on ${address}`,
  });
  const address = app.server.address();
  const url = browsableUrl(config.host, typeof address === 'object' && address ? address.port : config.port);
  const storage = database.dialect === 'postgres' ? 'PostgreSQL' : `SQLite in ${config.dataDir}`;
  app.log.info(`Open ${url}/ (web app) or ${url}/docs (API docs); storage: ${storage}`);
  if (restoredKeyId !== null) {
    app.log.warn(
      { apiKeyId: restoredKeyId },
      `PROMPTLINE_API_KEY had been revoked (key ${restoredKeyId}); it was restored because it is configured. Unset or change PROMPTLINE_API_KEY to keep it revoked.`,
    );
  }
  if (generatedKey) app.log.warn({ generatedAdminKey: generatedKey }, adminKeyBanner(generatedKey, url));
}

main().catch((error: unknown) => {
  if (isAppError(error)) {
    console.error(`promptline: ${error.message} [${error.code}]`);
  } else {
    console.error('promptline: failed to start:', error);
  }
  process.exit(1);
});
