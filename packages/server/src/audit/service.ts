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
import { type AuditQuery, createAuditStore } from './store.ts';

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
      await store.lockChain(trx, input.projectId);
      const prevHash = (await store.lastHash(trx, input.projectId)) ?? GENESIS_HASH;
      const at = isoNow(clock);
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
      // The hash covers the row id, which only the insert assigns: insert, then seal the row.
      const id = await store.insert(trx, { ...row, hash: '' });
      const hash = chainHash(prevHash, { ...row, id, data: JSON.parse(data) as Record<string, unknown> });
      await store.setHash(trx, id, hash);
    },

    async list(
      projectId: number,
      query: AuditQuery,
    ): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
      const items = await store.list(database.db, projectId, query);
      return { items, nextCursor: nextCursor(items, query.limit) };
    },

    async verify(projectId: number): Promise<AuditVerification> {
      return verifyChain(await store.all(database.db, projectId));
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
