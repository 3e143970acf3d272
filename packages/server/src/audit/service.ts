import {
  type AuditCheckpoint,
  type AuditEvent,
  type AuditHead,
  type AuditVerification,
  canonicalJson,
  chainHash,
  GENESIS_HASH,
  SEALED_KEY,
  type Seal,
  sealsOf,
  type TamperedRow,
  verifyChain,
} from '@promptline/core';
import { type Clock, isoNow } from '../clock.ts';
import { encodeJson } from '../db/codecs.ts';
import type { Database, Db } from '../db/database.ts';
import { nextCursor } from '../paging.ts';
import { type CheckpointSigner, createEphemeralSigner } from './signing.ts';
import { type AuditQuery, type ChainedEvent, createAuditStore } from './store.ts';

/** What a write records about itself. */
export interface AuditInput {
  projectId: number;
  actor: string;
  /** `prompt.create`, `version.create`, `deployment.deploy`, … */
  action: string;
  targetType: string;
  target: string;
  /**
   * Before/after summary. A write that must be provable row by row lists the rows it created under
   * `sealed` (`[{table, id, hash}]`, see core's audit-seal.ts).
   */
  data: Record<string, unknown>;
}

/** One row of a sealed table, with its record hash recomputed from what is stored now. */
export interface SealableRow {
  id: number;
  /** What the row is, in words, for the report. */
  target: string;
  hash: string;
}

/**
 * A table whose rows the chain covers: the owning feature lists its rows (hashes recomputed) and
 * may check tables derived from them (`check`). Registered in app.ts. `db` is the caller's handle
 * (a transaction during an import).
 */
export interface SealedSource {
  table: string;
  rows(projectId: number, db: Db): Promise<SealableRow[]>;
  check?(projectId: number, db: Db): Promise<TamperedRow[]>;
}

/** Where in the chain a row was sealed. */
export interface SealProof {
  eventId: number;
  eventHash: string;
  hash: string;
}

/** Seals per event of a full re-seal: keeps one event's data a few hundred kilobytes at most. */
const SEALS_PER_EVENT = 2_000;

/**
 * The audit log: appends inside the caller's transaction, lists, verifies the hash chain and the
 * rows it seals, and states (and signs) the chain's head.
 */
export function createAuditService({
  database,
  clock,
  signer: givenSigner,
}: {
  database: Database;
  clock: Clock;
  /** Signs checkpoints; default a key that lives as long as the process (main.ts passes the stored one). */
  signer?: CheckpointSigner;
}) {
  const store = createAuditStore(database.dialect);
  const sources: SealedSource[] = [];
  let ephemeral: CheckpointSigner | undefined;
  // Generated on first use: most audit services (bootstrap, tests) never sign.
  const signer = (): CheckpointSigner => {
    if (givenSigner) return givenSigner;
    ephemeral ??= createEphemeralSigner();
    return ephemeral;
  };

  async function headOf(projectId: number): Promise<AuditHead> {
    const last = await store.head(database.db, projectId);
    return last ? { ...last } : { id: null, hash: GENESIS_HASH, at: null, count: 0 };
  }

  /**
   * The seals that count: those of events from the last full re-seal on (an import re-seals every
   * row under its new id; seals before it name the source instance's ids).
   */
  function currentSeals(events: readonly ChainedEvent[]): Map<string, SealProof> {
    let start = 0;
    events.forEach((event, index) => {
      if (event.action === 'audit.seal' && event.data.full === true && event.data.part === 1) start = index;
    });
    const seals = new Map<string, SealProof>();
    for (const event of events.slice(start)) {
      for (const seal of sealsOf(event.data)) {
        seals.set(`${seal.table}:${seal.id}`, {
          eventId: event.rowId,
          eventHash: event.hash,
          hash: seal.hash,
        });
      }
    }
    return seals;
  }

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

    /** Adds a table whose rows `verify` recomputes against the seals of the chain. */
    addSealedSource(source: SealedSource): void {
      sources.push(source);
    },

    /** The newest event (its row id and hash) and the chain's length: record it to detect truncation. */
    headOf,

    /**
     * Appends `audit.seal` events sealing every row of every sealed table as stored now (inside the
     * caller's transaction). An import calls it after loading rows under new ids; seals written
     * before it stop counting.
     */
    async resealAll(trx: Db, projectId: number, actor: string, reason: string): Promise<void> {
      const seals: Seal[] = [];
      for (const source of sources) {
        for (const row of await source.rows(projectId, trx)) {
          seals.push({ table: source.table, id: row.id, hash: row.hash });
        }
      }
      const parts = Math.max(1, Math.ceil(seals.length / SEALS_PER_EVENT));
      for (let part = 1; part <= parts; part++) {
        await appendAt(
          trx,
          {
            projectId,
            actor,
            action: 'audit.seal',
            targetType: 'audit',
            target: 'reseal',
            data: {
              reason,
              full: true,
              part,
              parts,
              [SEALED_KEY]: seals.slice((part - 1) * SEALS_PER_EVENT, part * SEALS_PER_EVENT),
            },
          },
          isoNow(clock),
        );
      }
    },

    async list(
      projectId: number,
      query: AuditQuery,
    ): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
      const items = await store.list(database.db, projectId, query);
      return { items, nextCursor: nextCursor(items, query.limit) };
    },

    /**
     * Recomputes the chain, then every row of every sealed table against the hash the chain
     * recorded for it: an altered, inserted or deleted row is named in `tampered`. With `head`
     * (a hash recorded earlier), also fails when no event has it: newest events were removed.
     */
    async verify(
      projectId: number,
      db: Db = database.db,
      options: { head?: string | undefined } = {},
    ): Promise<AuditVerification> {
      const events = await store.all(db, projectId);
      const result = verifyChain(events);
      // The chain speaks of the ids its hashes cover; a reader looks rows up by their row id.
      const broken = result.brokenAt === null ? undefined : events[result.checked - 1];
      const chain = broken ? { ...result, brokenAt: broken.rowId } : result;
      const seals = currentSeals(events);
      const tampered: TamperedRow[] = [];
      let rowsChecked = 0;
      for (const source of sources) {
        const seen = new Set<number>();
        for (const row of await source.rows(projectId, db)) {
          rowsChecked++;
          seen.add(row.id);
          const seal = seals.get(`${source.table}:${row.id}`);
          if (!seal) {
            tampered.push({
              table: source.table,
              id: row.id,
              target: row.target,
              reason: `${source.table} row ${row.id} (${row.target}) is not recorded in the audit chain: it was inserted directly into the database`,
            });
          } else if (seal.hash !== row.hash) {
            tampered.push({
              table: source.table,
              id: row.id,
              target: row.target,
              reason: `${source.table} row ${row.id} (${row.target}) was altered: its content no longer matches the hash audit event ${seal.eventId} recorded`,
            });
          }
        }
        for (const [key, seal] of seals) {
          const [table, id] = key.split(':');
          if (table !== source.table || seen.has(Number(id))) continue;
          tampered.push({
            table: source.table,
            id: Number(id),
            target: '(deleted)',
            reason: `${source.table} row ${id} was deleted: audit event ${seal.eventId} recorded it`,
          });
        }
        if (source.check) tampered.push(...(await source.check(projectId, db)));
      }
      const last = events.at(-1);
      const current: AuditHead = last
        ? { id: last.rowId, hash: last.hash, at: last.at, count: events.length }
        : { id: null, hash: GENESIS_HASH, at: null, count: 0 };
      const headMissing =
        options.head !== undefined &&
        options.head !== GENESIS_HASH &&
        !events.some((event) => event.hash === options.head);
      const headReason = headMissing
        ? `no event of the chain has the recorded head ${options.head}: events up to and including it were removed (the newest events were truncated) or altered`
        : null;
      return {
        ok: chain.ok && tampered.length === 0 && !headMissing,
        checked: chain.checked,
        brokenAt: chain.brokenAt,
        reason: chain.reason ?? tampered[0]?.reason ?? headReason,
        rowsChecked,
        tampered,
        head: current,
      };
    },

    /** Where each sealed row of `table` among `ids` was recorded in the chain (proofs). */
    async sealsFor(projectId: number, table: string, ids: number[]): Promise<Map<number, SealProof>> {
      const seals = currentSeals(await store.all(database.db, projectId));
      const out = new Map<number, SealProof>();
      for (const id of ids) {
        const seal = seals.get(`${table}:${id}`);
        if (seal) out.set(id, seal);
      }
      return out;
    },

    /** The head, signed with the instance's Ed25519 key: keep it elsewhere to prove it later. */
    async checkpoint(projectId: number): Promise<AuditCheckpoint> {
      const payload = {
        format: 'promptline-audit-checkpoint/1' as const,
        projectId,
        head: await headOf(projectId),
        signedAt: isoNow(clock),
      };
      return {
        payload,
        algorithm: 'Ed25519',
        keyId: signer().keyId,
        publicKey: signer().publicKey,
        signature: signer().sign(new TextEncoder().encode(canonicalJson(payload))),
      };
    },

    publicKey(): { algorithm: 'Ed25519'; keyId: string; publicKey: string } {
      const { keyId, publicKey } = signer();
      return { algorithm: 'Ed25519', keyId, publicKey };
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
