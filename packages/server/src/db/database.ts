import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, SqliteDialect } from 'kysely';
import pg from 'pg';
import { CurrentSchemaPostgresDialect } from './pg-introspector.ts';
import type { DatabaseSchema } from './schema.ts';
import { openSqlite } from './sqlite-adapter.ts';

export type Dialect = 'sqlite' | 'postgres';

/** The Kysely handle, executor of a transaction included. */
export type Db = Kysely<DatabaseSchema>;

/** An open database: the Kysely instance, which dialect drives it, and how to close it. */
export interface Database {
  db: Db;
  dialect: Dialect;
  close(): Promise<void>;
  /** PostgreSQL: the connection pool's current use (metrics). Absent on SQLite (one connection, no pool). */
  poolStats?: () => PoolStats;
}

/** A PostgreSQL pool's connections: open, idle, and requests waiting for one; `max` is its size. */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

export interface DatabaseOptions {
  /** `postgres://…` selects PostgreSQL; otherwise SQLite under `dataDir`. */
  databaseUrl?: string | undefined;
  /** Directory of the SQLite file (`promptline.db`). */
  dataDir: string;
  /** PostgreSQL schema to work in (set as the pool's `search_path`); tests use one per file. */
  postgresSchema?: string | undefined;
  /** Maximum PostgreSQL pool size. */
  poolSize?: number | undefined;
  /**
   * PostgreSQL: a pooled connection failed outside a query (the server restarted, the network
   * dropped it). The pool drops that connection and opens another when needed; without a listener
   * pg would throw the error out of the process (a connection between two queries of a
   * transaction has no other listener).
   */
  onConnectionError?: ((error: Error) => void) | undefined;
}

/**
 * Opens the database the config names: PostgreSQL when `databaseUrl` is a postgres URL, else the
 * embedded SQLite file `$dataDir/promptline.db` (created with its directory when missing).
 */
export function createDatabase(options: DatabaseOptions): Database {
  const url = options.databaseUrl;
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    const max = options.poolSize ?? 10;
    const pool = new pg.Pool({
      connectionString: url,
      max,
      ...(options.postgresSchema ? { options: `-c search_path=${options.postgresSchema}` } : {}),
    });
    const onError = (error: Error) => options.onConnectionError?.(error);
    pool.on('error', onError);
    // A checked-out connection: its query, if one is running, gets the error too; the pool drops it on release.
    pool.on('connect', (client) => client.on('error', onError));
    const db = new Kysely<DatabaseSchema>({ dialect: new CurrentSchemaPostgresDialect({ pool }) });
    return {
      db,
      dialect: 'postgres',
      close: () => db.destroy(),
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max }),
    };
  }
  mkdirSync(options.dataDir, { recursive: true });
  const file = join(options.dataDir, 'promptline.db');
  // One connection behind Kysely's mutex: transactions never interleave, so SQLite's single
  // writer is never contended from inside this process.
  const db = new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database: openSqlite(file) }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

/** True for a unique-constraint violation from either driver. */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as Error & { code?: unknown; errcode?: unknown };
  return (
    e.code === '23505' ||
    e.errcode === 2067 ||
    e.errcode === 1555 ||
    /UNIQUE constraint failed/.test(e.message)
  );
}

/**
 * Runs a write and turns a unique-constraint violation into the domain error `conflict` builds, so
 * nothing above the stores ever looks at a driver's error.
 */
export async function onUniqueViolation<T>(write: () => Promise<T>, conflict: () => Error): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict();
    throw error;
  }
}
