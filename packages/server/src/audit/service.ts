import {
  type AuditEvent,
  type AuditVerification,
  chainHash,
  GENESIS_HASH,
  verifyChain,
} from '@promptline/core';
import { type Clock, isoNow } from '../clock.ts';
import { encodeJson } from '../db/codecs.ts';
import type { Database, Db } from '../db/database.ts';
import { nextCursor } from '../paging.ts';
import { type AuditQuery, type ChainedEvent, createAuditStore } from './store.ts';

/** What a write records about itself. */
export interface AuditInput {
  projectId: number;
  actor: string;
  /** `prompt.create`, `version.create`, `deployment.deploy`, … */
  action: string;
  targetType: string;
  target: string;
  /** Before/after summary. */
  data: Record<string, unknown>;
}

/** The audit log: appends inside the caller's transaction, lists, verifies the hash chain. */
export function createAuditService({ database, clock }: { database: Database; clock: Clock }) {
  const store = createAuditStore(database.dialect);
  return {
    /** Appends an event; call it with the transaction of the write it records. */
    async append(trx: Db, input: AuditInput): Promise<void> {
      await appendAt(trx, input, isoNow(clock));
    },

    /**
     * Takes a project's whole chain out so an imported chain can be its start (inside the import's
     * transaction): answers the events removed, for {@link reattach} to append after it.
     */
    async detach(trx: Db, projectId: number): Promise<ChainedEvent[]> {
      await store.lockChain(trx, projectId);
      const events = await store.all(trx, projectId);
      await store.deleteAll(trx, projectId);
      return events;
    },

    /** Appends events {@link detach} took out, in their order and with their original times. */
    async reattach(trx: Db, projectId: number, events: readonly ChainedEvent[]): Promise<void> {
      for (const event of events) {
        await appendAt(trx, { ...event, projectId }, event.at);
      }
    },

    /** Head of a project's chain: its newest hash, or null when it has no events. */
    async head(db: Db, projectId: number): Promise<string | null> {
      return (await store.lastLink(db, projectId))?.hash ?? null;
    },

    async list(
      projectId: number,
      query: AuditQuery,
    ): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
      const items = await store.list(database.db, projectId, query);
      return { items, nextCursor: nextCursor(items, query.limit) };
    },

    async verify(projectId: number, db: Db = database.db): Promise<AuditVerification> {
      const events = await store.all(db, projectId);
      const result = verifyChain(events);
      // The chain speaks of the ids its hashes cover; a reader looks rows up by their row id.
      const broken = result.brokenAt === null ? undefined : events[result.checked - 1];
      return broken ? { ...result, brokenAt: broken.rowId } : result;
    },
  };

  async function appendAt(trx: Db, input: AuditInput, at: string): Promise<void> {
    await store.lockChain(trx, input.projectId);
    const last = await store.lastLink(trx, input.projectId);
    const prevHash = last?.hash ?? GENESIS_HASH;
    // Round-trip the data through JSON so what is hashed is exactly what is stored and read back.
    const data = encodeJson(input.data);
    const row = {
      projectId: input.projectId,
      actor: input.actor,
      action: input.action,
      targetType: input.targetType,
      target: input.target,
      data,
      at,
      prevHash,
    };
    // The hash covers the row id, which only the insert assigns: insert, then seal the row. After
    // an imported chain (whose ids came from another instance) the id hashed must still grow.
    const rowId = await store.insert(trx, { ...row, hash: '' });
    const id = Math.max(rowId, (last?.chainId ?? 0) + 1);
    const hash = chainHash(prevHash, { ...row, id, data: JSON.parse(data) as Record<string, unknown> });
    await store.seal(trx, rowId, id, hash);
  }
}

export type AuditService = ReturnType<typeof createAuditService>;
