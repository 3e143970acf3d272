/**
 * PostgreSQL only: the daily range partitions of `spans` (`spans_pYYYYMMDD` holds the spans that
 * start that UTC day). Created ahead by a job; rows that arrived before their day's partition sit
 * in `spans_default` and are moved in when it is created. Retention drops whole partitions.
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

export const DAY_MS = 86_400_000;

/** `spans_p20261130` for the UTC day that starts at `dayMs`. */
export function partitionName(dayMs: number): string {
  return `spans_p${new Date(dayMs).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/** The UTC day a partition name stands for (epoch ms of its start), or undefined for another table. */
export function partitionDay(name: string): number | undefined {
  const match = /^spans_p(\d{4})(\d{2})(\d{2})$/.exec(name);
  if (!match) return undefined;
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}

export function createPartitionStore() {
  return {
    /** Names of the partitions of `spans` in the current schema (the default one included). */
    async list(db: Db): Promise<string[]> {
      const result = await sql<{ name: string }>`
        select c.relname as name
        from pg_inherits i
        join pg_class c on c.oid = i.inhrelid
        join pg_class p on p.oid = i.inhparent
        join pg_namespace n on n.oid = p.relnamespace
        where p.relname = 'spans' and n.nspname = current_schema()`.execute(db);
      return result.rows.map((r) => r.name);
    },

    /**
     * Creates the partition of one day inside the caller's transaction, moving that day's rows out
     * of the default partition first (attaching would fail while the default holds any).
     */
    async create(trx: Db, dayMs: number): Promise<void> {
      const name = sql.id(partitionName(dayMs));
      const from = sql.lit(dayMs);
      const to = sql.lit(dayMs + DAY_MS);
      // Waits for inserts in flight and holds new ones until commit (reads go on). Locking only the
      // default partition is not enough: an insert routed there before the attach, but blocked,
      // would then violate the default's narrowed constraint. New inserts re-route after commit.
      await sql`lock table spans in share mode`.execute(trx);
      await sql`create table ${name} (like spans including defaults)`.execute(trx);
      await sql`insert into ${name} select * from spans_default where start_ms >= ${from} and start_ms < ${to}`.execute(
        trx,
      );
      await sql`delete from spans_default where start_ms >= ${from} and start_ms < ${to}`.execute(trx);
      await sql`alter table spans attach partition ${name} for values from (${from}) to (${to})`.execute(trx);
    },

    async drop(trx: Db, name: string): Promise<void> {
      await sql`drop table if exists ${sql.id(name)}`.execute(trx);
    },

    /** Which partition holds each span of a trace (tests and diagnostics). */
    async partitionsOf(db: Db, traceId: string): Promise<string[]> {
      const result = await sql<{ name: string }>`
        select tableoid::regclass::text as name from spans where trace_id = ${traceId} order by start_ms`.execute(
        db,
      );
      return result.rows.map((r) => r.name);
    },
  };
}
