/**
 * SQL of backup, export and import. Export and import move rows of every feature's tables as
 * stored (see tables.ts for why this one store reads them all), so the statements here are built
 * from the table list and the database catalog rather than from typed tables.
 */
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { Db, Dialect } from '../db/database.ts';
import type { DatabaseSchema } from '../db/schema.ts';
import { openSqlite } from '../db/sqlite-adapter.ts';
import type { ExportedTable } from './tables.ts';

export type Row = Record<string, string | number | null>;

export interface Column {
  name: string;
  /** PostgreSQL `bigint`: pg hands it over as text, export writes it as a number. */
  bigint: boolean;
}

/** Most bound parameters in one statement: under SQLite's 32 766 and PostgreSQL's 65 535. */
const MAX_PARAMETERS = 30_000;

/** Rows per multi-row insert for a table of `columns` columns. */
export function rowsPerInsert(columns: number): number {
  return Math.max(1, Math.min(500, Math.floor(MAX_PARAMETERS / Math.max(1, columns))));
}

const ids = (names: readonly string[]) => sql.join(names.map((n) => sql.ref(n)));

function scopeFilter(spec: ExportedTable, projectId: number) {
  const { scope } = spec;
  return 'parent' in scope
    ? sql`${sql.ref(scope.column)} in (select id from ${sql.table(scope.parent)} where project_id = ${projectId})`
    : sql`${sql.ref(scope.column)} = ${projectId}`;
}

function normalise(row: Record<string, unknown>, columns: readonly Column[]): Row {
  const out: Row = {};
  for (const column of columns) {
    const value = row[column.name];
    if (value === null || value === undefined) out[column.name] = null;
    else if (column.bigint || typeof value === 'bigint') out[column.name] = Number(value);
    else if (typeof value === 'number' || typeof value === 'string') out[column.name] = value;
    else out[column.name] = String(value);
  }
  return out;
}

export function createPortabilityStore(dialect: Dialect) {
  return {
    /** Every table of the schema from the catalog (PostgreSQL: partitions are their parent). */
    async tables(db: Db): Promise<string[]> {
      const result =
        dialect === 'postgres'
          ? await sql<{ name: string }>`select c.relname as name from pg_class c
              join pg_namespace n on n.oid = c.relnamespace
              where n.nspname = current_schema() and c.relkind in ('r', 'p') and not c.relispartition
              order by 1`.execute(db)
          : await sql<{
              name: string;
            }>`select name from sqlite_master where type = 'table' order by 1`.execute(db);
      return result.rows.map((r) => r.name);
    },

    /** A table's columns in their declared order. */
    async columns(db: Db, table: string): Promise<Column[]> {
      if (dialect === 'postgres') {
        const result = await sql<{ name: string; type: string }>`select column_name as name, data_type as type
          from information_schema.columns where table_schema = current_schema() and table_name = ${table}
          order by ordinal_position`.execute(db);
        return result.rows.map((r) => ({ name: r.name, bigint: r.type === 'bigint' }));
      }
      const result = await sql<{
        name: string;
      }>`select name from pragma_table_info(${table}) order by cid`.execute(db);
      return result.rows.map((r) => ({ name: r.name, bigint: false }));
    },

    /** The next `limit` rows of the project in `spec`'s table after the key `after`, in key order. */
    async page(
      db: Db,
      spec: ExportedTable,
      columns: readonly Column[],
      projectId: number,
      after: readonly unknown[] | null,
      limit: number,
    ): Promise<Row[]> {
      const keyAfter =
        after === null ? sql`` : sql` and (${ids(spec.key)}) > (${sql.join(after.map((v) => sql`${v}`))})`;
      const result = await sql<Record<string, unknown>>`select ${ids(columns.map((c) => c.name))}
        from ${sql.table(spec.table)} where ${scopeFilter(spec, projectId)}${keyAfter}
        order by ${ids(spec.key)} limit ${limit}`.execute(db);
      return result.rows.map((row) => normalise(row, columns));
    },

    /** Inserts one row and answers the id the database gave it. */
    async insertReturningId(db: Db, table: string, row: Row): Promise<number> {
      const names = Object.keys(row);
      const result = await sql<{ id: number }>`insert into ${sql.table(table)} (${ids(names)})
        values (${sql.join(names.map((n) => sql`${row[n]}`))}) returning id`.execute(db);
      const id = result.rows[0]?.id;
      if (id === undefined) throw new Error(`insert into ${table} returned no id`);
      return Number(id);
    },

    /** Inserts rows of the same columns (at most {@link rowsPerInsert} of them). */
    async insertMany(db: Db, table: string, names: readonly string[], rows: readonly Row[]): Promise<void> {
      if (rows.length === 0) return;
      const values = sql.join(
        rows.map((row) => sql`(${sql.join(names.map((n) => sql`${row[n] ?? null}`))})`),
      );
      await sql`insert into ${sql.table(table)} (${ids(names)}) values ${values}`.execute(db);
    },

    /** Inserts rows; a row whose key is there already adds its other columns to the stored ones. */
    async addMany(
      db: Db,
      table: string,
      names: readonly string[],
      keyColumns: readonly string[],
      rows: readonly Row[],
    ): Promise<void> {
      if (rows.length === 0) return;
      const values = sql.join(
        rows.map((row) => sql`(${sql.join(names.map((n) => sql`${row[n] ?? null}`))})`),
      );
      const additive = names.filter((n) => !keyColumns.includes(n));
      const updates = sql.join(
        additive.map((c) => sql`${sql.ref(c)} = ${sql.ref(`${table}.${c}`)} + ${sql.ref(`excluded.${c}`)}`),
      );
      await sql`insert into ${sql.table(table)} (${ids(names)}) values ${values}
        on conflict (${ids(keyColumns)}) do update set ${updates}`.execute(db);
    },

    /**
     * The project's row matching `row` on `mergeOn` (none: the project's only row): its id, or
     * `true` for a table without ids; undefined when there is none.
     */
    async findMerged(
      db: Db,
      table: string,
      projectId: number,
      mergeOn: readonly string[],
      row: Row,
      hasId: boolean,
    ): Promise<number | true | undefined> {
      const where = sql.join(
        [sql`project_id = ${projectId}`, ...mergeOn.map((c) => sql`${sql.ref(c)} = ${row[c] ?? null}`)],
        sql` and `,
      );
      const result = await sql<{ id: number }>`select ${hasId ? sql`id` : sql`1 as id`}
        from ${sql.table(table)} where ${where}`.execute(db);
      const found = result.rows[0];
      if (!found) return undefined;
      return hasId ? Number(found.id) : true;
    },

    /** Overwrites the columns of `row` on the project's row with `id` (or its only row). */
    async updateMerged(db: Db, table: string, projectId: number, id: number | true, row: Row): Promise<void> {
      const sets = sql.join(Object.keys(row).map((c) => sql`${sql.ref(c)} = ${row[c] ?? null}`));
      const target = id === true ? sql`` : sql` and id = ${id}`;
      await sql`update ${sql.table(table)} set ${sets} where project_id = ${projectId}${target}`.execute(db);
    },

    /** What makes a project "not empty" for an import. */
    async ownedCounts(db: Db, projectId: number): Promise<Record<string, number>> {
      const counts: Record<string, number> = {};
      for (const table of ['prompts', 'datasets', 'eval_runs', 'traces']) {
        const result = await sql<{ n: unknown }>`select count(*) as n from ${sql.table(table)}
          where project_id = ${projectId}`.execute(db);
        counts[table] = Number(result.rows[0]?.n ?? 0);
      }
      return counts;
    },

    /** Names of the migrations this database has run. */
    async appliedMigrations(db: Db): Promise<string[]> {
      const result = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
      return result.rows.map((r) => r.name);
    },

    /** The path of the SQLite file `db` works on. */
    async sqliteFile(db: Db): Promise<string> {
      const result = await sql<{ name: string; file: string }>`pragma database_list`.execute(db);
      const file = result.rows.find((r) => r.name === 'main')?.file;
      if (!file) throw new Error('the SQLite database has no file (in-memory?)');
      return file;
    },

    /** A consistent copy of the SQLite database in `file` (which must not exist). */
    async vacuumInto(db: Db, file: string): Promise<void> {
      await sql`vacuum into ${file}`.execute(db);
    },
  };
}

/**
 * A second connection to the same SQLite file: it reads a snapshot (WAL) without holding the
 * server's one connection, which every request shares, for the length of an export or backup.
 */
export function openSqliteReader(file: string): Kysely<DatabaseSchema> {
  return new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database: openSqlite(file) }) });
}

export type PortabilityStore = ReturnType<typeof createPortabilityStore>;
