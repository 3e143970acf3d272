import { JsonValue, type SecurityEvent, type SecurityEventType } from '@promptline/core';
import { sql } from 'kysely';
import { z } from 'zod';
import { decodeJsonAs } from '../db/codecs.ts';
import type { Db, Dialect } from '../db/database.ts';
import type { SecurityTables } from './migration.ts';

/** First key of the advisory lock that serialises appends to the security log (second key 0). */
const SECURITY_LOCK_CLASS = 7_100_002;

const Data = z.record(z.string(), JsonValue);

export interface SecurityRowInput {
  type: SecurityEventType;
  email: string;
  actor: string;
  projectId: number | null;
  data: string;
  at: string;
  prevHash: string;
}

export interface SecurityQuery {
  type?: SecurityEventType | undefined;
  email?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  /** Only events with an id below this one (newest-first paging). */
  before?: number | undefined;
  limit: number;
}

type Tables = SecurityTables & { projects: { id: number; name: string } };
const tables = (db: Db) => db.withTables<Tables>();

/** SQL of the security log. Append-only: nothing here updates an event but the hash its own insert left empty. */
export function createSecurityStore(dialect: Dialect) {
  const columns = [
    'security_events.id as id',
    'security_events.type as type',
    'security_events.email as email',
    'security_events.actor as actor',
    'security_events.project_id as projectId',
    'projects.name as project',
    'security_events.data as data',
    'security_events.at as at',
    'security_events.prev_hash as prevHash',
    'security_events.hash as hash',
  ] as const;

  function base(db: Db) {
    return tables(db)
      .selectFrom('security_events')
      .leftJoin('projects', 'projects.id', 'security_events.project_id')
      .select(columns);
  }

  function toEvent(row: {
    id: number;
    type: string;
    email: string;
    actor: string;
    projectId: number | null;
    project: string | null;
    data: string;
    at: string;
    prevHash: string;
    hash: string;
  }): SecurityEvent {
    return {
      ...row,
      type: row.type as SecurityEventType,
      email: row.email === '' ? null : row.email,
      data: decodeJsonAs(Data, row.data, 'security event data'),
    };
  }

  return {
    /** Serialises appends until the transaction ends, so two writers never link to the same event. SQLite has a single writer already. */
    async lock(db: Db): Promise<void> {
      if (dialect === 'postgres')
        await sql`select pg_advisory_xact_lock(${SECURITY_LOCK_CLASS}, 0)`.execute(db);
    },

    async last(db: Db): Promise<{ id: number; hash: string } | undefined> {
      return tables(db)
        .selectFrom('security_events')
        .select(['id', 'hash'])
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
    },

    /** Inserts an event with an empty hash; {@link seal} sets it once the id is known (the hash covers it). */
    async insert(db: Db, row: SecurityRowInput): Promise<number> {
      const inserted = await tables(db)
        .insertInto('security_events')
        .values({
          type: row.type,
          email: row.email,
          actor: row.actor,
          project_id: row.projectId,
          data: row.data,
          at: row.at,
          prev_hash: row.prevHash,
          hash: '',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return inserted.id;
    },

    async seal(db: Db, id: number, hash: string): Promise<void> {
      await tables(db)
        .updateTable('security_events')
        .set({ hash })
        .where('id', '=', id)
        .where('hash', '=', '')
        .execute();
    },

    async list(db: Db, query: SecurityQuery): Promise<SecurityEvent[]> {
      let q = base(db);
      if (query.type) q = q.where('security_events.type', '=', query.type);
      if (query.email !== undefined) q = q.where('security_events.email', '=', query.email);
      // ISO timestamps of one format compare as strings, on both dialects.
      if (query.from) q = q.where('security_events.at', '>=', query.from);
      if (query.to) q = q.where('security_events.at', '<', query.to);
      if (query.before !== undefined) q = q.where('security_events.id', '<', query.before);
      const rows = await q.orderBy('security_events.id', 'desc').limit(query.limit).execute();
      return rows.map(toEvent);
    },

    /** Events after `afterId`, oldest first, `limit` of them (verification walks the chain in pages). */
    async pageFrom(db: Db, afterId: number, limit: number): Promise<SecurityEvent[]> {
      const rows = await base(db)
        .where('security_events.id', '>', afterId)
        .orderBy('security_events.id', 'asc')
        .limit(limit)
        .execute();
      return rows.map(toEvent);
    },
  };
}

export type SecurityStore = ReturnType<typeof createSecurityStore>;
