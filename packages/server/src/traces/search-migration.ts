/**
 * Free-text search over spans (the trace list's `q`): an index of every span's name, input and
 * output that answers "contains this text", case-insensitively, without scanning the spans.
 *
 * - SQLite: an FTS5 table with the trigram tokenizer, external content over `spans` (the text is
 *   not stored twice), kept in step by triggers. Trigrams give substring semantics, the same as
 *   PostgreSQL's `ilike '%text%'`, where a word tokenizer would miss "refund" inside "refunded".
 * - PostgreSQL: a pg_trgm GIN index on the same text, which `ilike '%text%'` uses. The extension
 *   is created in `public` when missing (it is a trusted extension from PostgreSQL 13: the
 *   database owner may create it), and its operator class is named with its schema, so a search
 *   path without that schema still finds it.
 */
import { type Kysely, type Migration, sql } from 'kysely';
import type { Dialect } from '../db/database.ts';

/** The text the PostgreSQL index covers; the search must use the very same expression. */
export const SPAN_TEXT_SQL = "(name || ' ' || coalesce(input, '') || ' ' || coalesce(output, ''))";

async function sqliteUp(db: Kysely<unknown>): Promise<void> {
  await sql`create virtual table spans_fts using fts5(name, input, output, content='spans', content_rowid='rowid', tokenize='trigram case_sensitive 0')`.execute(
    db,
  );
  // Spans are appended and deleted (retention, erasure); an update trigger keeps a future
  // rewrite (redaction of stored rows) from leaving stale text behind.
  await sql`create trigger spans_fts_insert after insert on spans begin
      insert into spans_fts(rowid, name, input, output) values (new.rowid, new.name, new.input, new.output);
    end`.execute(db);
  await sql`create trigger spans_fts_delete after delete on spans begin
      insert into spans_fts(spans_fts, rowid, name, input, output) values ('delete', old.rowid, old.name, old.input, old.output);
    end`.execute(db);
  await sql`create trigger spans_fts_update after update on spans begin
      insert into spans_fts(spans_fts, rowid, name, input, output) values ('delete', old.rowid, old.name, old.input, old.output);
      insert into spans_fts(rowid, name, input, output) values (new.rowid, new.name, new.input, new.output);
    end`.execute(db);
  await sql`insert into spans_fts(spans_fts) values ('rebuild')`.execute(db);
}

/** The schema pg_trgm lives in, after creating it in `public` when it is not installed. */
async function trigramSchema(db: Kysely<unknown>): Promise<string> {
  const find = async () =>
    (
      await sql<{
        schema: string;
      }>`select n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_trgm'`.execute(
        db,
      )
    ).rows[0]?.schema;
  const existing = await find();
  if (existing) return existing;
  await sql`create extension if not exists pg_trgm with schema public`.execute(db);
  const created = await find();
  if (!created)
    throw new Error(
      'pg_trgm could not be installed: install the extension (CREATE EXTENSION pg_trgm) and restart',
    );
  return created;
}

async function postgresUp(db: Kysely<unknown>): Promise<void> {
  const schema = await trigramSchema(db);
  // On the partitioned table: PostgreSQL builds it on every partition, present and future.
  await sql`create index spans_text_trgm on spans using gin (${sql.raw(SPAN_TEXT_SQL)} ${sql.id(schema)}.gin_trgm_ops)`.execute(
    db,
  );
}

/** The full-text index of spans (migration 0353_span_search). */
export function spanSearchMigration(dialect: Dialect): Migration {
  return { up: (db) => (dialect === 'postgres' ? postgresUp(db) : sqliteUp(db)) };
}
