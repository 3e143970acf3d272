import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Vitest global setup: names this run's PostgreSQL test schemas (`t_<run>_…`) and drops them all
 * once, after every test file has finished. Dropping a schema while other test files run made
 * their migrations fail at random: Kysely's introspection reads every schema's tables, and a
 * table dropped mid-query answers "relation … does not exist".
 */
const url = process.env.PROMPTLINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * pg_trgm (the span search index) is installed once per database, in `public`: migrations of test
 * files running side by side would otherwise race to create it, and the first test schema to hold
 * it would take it along when dropped.
 */
async function installExtensions(): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query('create extension if not exists pg_trgm with schema public');
  } catch (error) {
    console.warn(`could not install pg_trgm: ${String(error)}`);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function setup(): Promise<() => Promise<void>> {
  await installExtensions();
  const run = randomBytes(4).toString('hex');
  // Test workers are forked after this runs, so they inherit it.
  process.env.PROMPTLINE_TEST_RUN = run;
  return async () => {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      const { rows } = await client.query<{ nspname: string }>(
        'select nspname from pg_namespace where nspname like $1',
        [`t\\_${run}\\_%`],
      );
      for (const { nspname } of rows) await client.query(`drop schema if exists ${nspname} cascade`);
    } catch (error) {
      // PostgreSQL down: the tests that needed it have failed already and said why.
      console.warn(`could not drop this run's test schemas: ${String(error)}`);
    } finally {
      await client.end().catch(() => {});
    }
  };
}
