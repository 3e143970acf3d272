import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * Adapts the built-in `node:sqlite` to the better-sqlite3-shaped interface Kysely's SqliteDialect
 * drives, so the embedded default needs no native addon.
 */
export function openSqlite(path: string): SqliteDatabase {
  const database = new DatabaseSync(path);
  // WAL lets readers in other processes (CLI, backups) proceed during writes; busy_timeout makes a
  // second process wait for the write lock instead of failing at once.
  database.exec('PRAGMA journal_mode = WAL');
  database.exec('PRAGMA foreign_keys = ON');
  database.exec('PRAGMA busy_timeout = 5000');
  database.exec('PRAGMA synchronous = NORMAL');
  // 64 MiB of page cache instead of SQLite's 2 MiB: span ingestion inserts into indexes keyed by
  // random trace ids, and with the default cache nearly every insert re-read its B-tree pages
  // through a system call (a third of ingestion's CPU on a few hundred thousand spans).
  database.exec('PRAGMA cache_size = -65536');
  // A checkpoint every 16 384 WAL pages (64 MiB) instead of every 1 000: a 500-span batch writes
  // ~1 500 pages, so the default checkpointed (and synced) after every batch, copying the pages
  // that every batch touches again (index interior pages, the table's tail, the search index) each
  // time; side by side this was 7 % less CPU and 14 % less time per span. The size limit
  // truncates the WAL file back after a checkpoint so it does not stay at its peak.
  database.exec('PRAGMA wal_autocheckpoint = 16384');
  database.exec('PRAGMA journal_size_limit = 67108864');

  // Kysely prepares every query it runs; re-using statements keeps the prepare cost off hot loops.
  const statements = new Map<string, SqliteStatement>();
  const STATEMENT_CACHE_SIZE = 256;

  return {
    close() {
      statements.clear();
      if (database.isOpen) database.close();
    },
    prepare(sql: string): SqliteStatement {
      const cached = statements.get(sql);
      if (cached) return cached;
      const statement = wrapStatement(database.prepare(sql));
      if (statements.size >= STATEMENT_CACHE_SIZE) {
        const oldest = statements.keys().next();
        if (!oldest.done) statements.delete(oldest.value);
      }
      statements.set(sql, statement);
      return statement;
    },
  };
}

function wrapStatement(statement: StatementSync): SqliteStatement {
  const reader = statement.columns().length > 0;
  return {
    reader,
    all: (parameters) => statement.all(...toInputs(parameters)),
    run: (parameters) => statement.run(...toInputs(parameters)),
    iterate: (parameters) => statement.iterate(...toInputs(parameters)),
  };
}

function toInputs(parameters: ReadonlyArray<unknown>): SQLInputValue[] {
  return parameters.map((value) => {
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (value === undefined) return null;
    return value as SQLInputValue;
  });
}
