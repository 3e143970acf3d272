/**
 * One server instance in a process of its own, on a given PostgreSQL schema, for tests that kill
 * an instance (failover.test.ts). Prints `{"url": …}` on one line once it listens.
 * Env: PROMPTLINE_TEST_DATABASE_URL, PROMPTLINE_TEST_SCHEMA, PROMPTLINE_TEST_LEASE_MS, PROMPTLINE_TEST_OWNER.
 */
import { buildApp } from '../../app.ts';
import { createDatabase } from '../../db/database.ts';

const database = createDatabase({
  databaseUrl: process.env.PROMPTLINE_TEST_DATABASE_URL,
  dataDir: '.',
  postgresSchema: process.env.PROMPTLINE_TEST_SCHEMA,
});
const app = await buildApp({
  db: database,
  config: { logLevel: 'silent' },
  logger: false,
  web: false,
  jobs: {
    leaseMs: Number(process.env.PROMPTLINE_TEST_LEASE_MS ?? 1_500),
    pollMs: 100,
    owner: process.env.PROMPTLINE_TEST_OWNER,
  },
});
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ url })}\n`);
process.on('SIGTERM', () => {
  void app
    .close()
    .then(() => database.close())
    .then(() => process.exit(0));
});
