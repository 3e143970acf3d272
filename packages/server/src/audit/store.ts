import { type AuditEvent, JsonValue } from '@promptline/core';
import { sql } from 'kysely';
import { z } from 'zod';
import { decodeJsonAs } from '../db/codecs.ts';
import type { Db, Dialect } from '../db/database.ts';
import type { AuditEventsTable } from '../db/schema.ts';

export interface AuditRowInput {
  projectId: number;
  actor: string;
  action: string;
  targetType: string;
  target: string;
  data: string;
  at: string;
  prevHash: string;
  hash: string;
}

export interface AuditQuery {
  action?: string | undefined;
  target?: string | undefined;
  /** Only events with an id below this one (newest-first paging). */
  before?: number | undefined;
  limit: number;
}

const AuditData = z.record(z.string(), JsonValue);

type Row = Pick<
  AuditEventsTable,
  'actor' | 'action' | 'target_type' | 'target' | 'data' | 'at' | 'prev_hash' | 'hash' | 'chain_id'
> & { id: number };

/** An event as the chain sees it: `id` is the id its hash covers; `rowId` where it is stored. */
export type ChainedEvent = AuditEvent & { rowId: number };

function toEvent(row: Row): AuditEvent {
  return {
    id: row.id,
    actor: row.actor,
    action: row.action,
    targetType: row.target_type,
    target: row.target,
    data: decodeJsonAs(AuditData, row.data, 'audit event data'),
    at: row.at,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

const COLUMNS = [
  'id',
  'actor',
  'action',
  'target_type',
  'target',
  'data',
  'at',
  'prev_hash',
  'hash',
  'chain_id',
] as const;

/** SQL of the audit log. */
export function createAuditStore(dialect: Dialect) {
  return {
    /**
     * Serialises appends to one project's chain until the transaction ends, so two writers never
     * link to the same previous event. SQLite already has a single writer.
     */
    async lockChain(db: Db, projectId: number): Promise<void> {
      if (dialect === 'postgres') {
        await sql`select pg_advisory_xact_lock(${AUDIT_LOCK_CLASS}, ${projectId})`.execute(db);
      }
    },

    /** The newest event's hash and the id its hash covers. */
    async lastLink(db: Db, projectId: number): Promise<{ hash: string; chainId: number } | undefined> {
      const row = await db
        .selectFrom('audit_events')
        .select(['id', 'hash', 'chain_id'])
        .where('project_id', '=', projectId)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row && { hash: row.hash, chainId: row.chain_id ?? row.id };
    },

    /** The newest event of a project's chain and how many events it has. */
    async head(
      db: Db,
      projectId: number,
    ): Promise<{ id: number; hash: string; at: string; count: number } | undefined> {
      const last = await db
        .selectFrom('audit_events')
        .select(['id', 'hash', 'at'])
        .where('project_id', '=', projectId)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (!last) return undefined;
      const counted = await db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('project_id', '=', projectId)
        .executeTakeFirstOrThrow();
      return { ...last, count: Number(counted.count) };
    },

    async insert(db: Db, input: AuditRowInput): Promise<number> {
      const row = await db
        .insertInto('audit_events')
        .values({
          project_id: input.projectId,
          actor: input.actor,
          action: input.action,
          target_type: input.targetType,
          target: input.target,
          data: input.data,
          at: input.at,
          prev_hash: input.prevHash,
          hash: input.hash,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },

    async seal(db: Db, id: number, chainId: number, hash: string): Promise<void> {
      await db.updateTable('audit_events').set({ hash, chain_id: chainId }).where('id', '=', id).execute();
    },

    /** Removes a project's whole chain (an import re-appends it after the imported one). */
    async deleteAll(db: Db, projectId: number): Promise<void> {
      await db.deleteFrom('audit_events').where('project_id', '=', projectId).execute();
    },

    async list(db: Db, projectId: number, query: AuditQuery): Promise<AuditEvent[]> {
      let q = db.selectFrom('audit_events').select(COLUMNS).where('project_id', '=', projectId);
      if (query.action) q = q.where('action', '=', query.action);
      if (query.target) q = q.where('target', '=', query.target);
      if (query.before !== undefined) q = q.where('id', '<', query.before);
      const rows = await q.orderBy('id', 'desc').limit(query.limit).execute();
      return rows.map(toEvent);
    },

    /** The whole chain of a project, oldest first, each event with the id its hash covers. */
    async all(db: Db, projectId: number): Promise<ChainedEvent[]> {
      const rows = await db
        .selectFrom('audit_events')
        .select(COLUMNS)
        .where('project_id', '=', projectId)
        .orderBy('id', 'asc')
        .execute();
      return rows.map((row) => ({ ...toEvent(row), id: row.chain_id ?? row.id, rowId: row.id }));
    },
  };
}

/** First key of the advisory lock that guards audit appends (second key: the project id). */
const AUDIT_LOCK_CLASS = 7_100_001;

export type AuditStore = ReturnType<typeof createAuditStore>;
