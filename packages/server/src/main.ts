/**
 * The server process: configuration from the environment → database → migrations → first-start
 * setup → listen. Stops gracefully on SIGTERM/SIGINT.
 */
import { isAppError } from '@promptline/core';
import { createSecretBox, loadOrCreateSecretKey } from '@promptline/core/node';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { createDatabase } from './db/database.ts';
import { createPostgresChangeFeed } from './live/postgres-change-feed.ts';
import { setUpDatabase } from './setup.ts';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const database = createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  // Several instances may start at once on one PostgreSQL: setUpDatabase serialises them.
  const { generatedKey } = await setUpDatabase(database, { apiKey: config.apiKey, generateKeyIfNone: true });
  // The key file lives in the data dir even on PostgreSQL (which needs no data dir otherwise):
  // every instance behind a load balancer must be given the same key, best by PROMPTLINE_SECRET_KEY.
  const secretBox = createSecretBox(
    loadOrCreateSecretKey({ envValue: config.secretKey, dataDir: config.dataDir }),
  );
  let feedError: ((error: unknown) => void) | undefined;
  // Several instances on one PostgreSQL hear each other's deployment changes through LISTEN/NOTIFY.
  const changeFeed = config.databaseUrl
    ? await createPostgresChangeFeed({
        connectionString: config.databaseUrl,
        onError: (error) => feedError?.(error),
      })
    : undefined;
  const app = await buildApp({ db: database, config, secretBox, ...(changeFeed ? { changeFeed } : {}) });
  feedError = (error) =>
    app.log.warn({ err: error }, 'change feed: PostgreSQL LISTEN connection problem (reconnecting)');
  if (generatedKey) {
    app.log.warn(
      `No API key was configured, so an admin key was created. It is shown only this once: ${generatedKey} — or start with PROMPTLINE_API_KEY set.`,
    );
  }

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

  const address = await app.listen({ port: config.port, host: config.host });
  const storage = database.dialect === 'postgres' ? 'PostgreSQL' : `SQLite in ${config.dataDir}`;
  app.log.info(`Promptline listening on ${address} (${storage}); API docs at ${address}/docs`);
}

main().catch((error: unknown) => {
  if (isAppError(error)) {
    console.error(`promptline: ${error.message} [${error.code}]`);
  } else {
    console.error('promptline: failed to start:', error);
  }
  process.exit(1);
});
