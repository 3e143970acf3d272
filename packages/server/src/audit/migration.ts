import {
  chainHash,
  GENESIS_HASH,
  historyRecordHash,
  SEALED_KEY,
  type Seal,
  versionRecordHash,
} from '@promptline/core';
import { type Kysely, type Migration, sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { toEntry } from '../deployments/store.ts';
import { toSealable } from '../prompts/store.ts';

/** Seals per backfill event: keeps one event's data a few hundred kilobytes at most. */
const SEALS_PER_EVENT = 2_000;

/**
 * Brings rows written before the chain covered them under it: for each project, appends
 * `audit.seal` events listing the record hash of every existing version and deployment history
 * entry. From then on each write seals its own rows; `audit verify` recomputes them all.
 */
export function sealExistingRowsMigration(): Migration {
  return {
    async up(raw: Kysely<unknown>) {
      const db = raw as unknown as Db;
      const at = new Date().toISOString();
      const projects = await db.selectFrom('projects').select('id').orderBy('id').execute();
      for (const { id: projectId } of projects) {
        const seals: Seal[] = [];
        const versions = await db
          .selectFrom('versions')
          .innerJoin('prompts', 'prompts.id', 'versions.prompt_id')
          .selectAll('versions')
          .select('prompts.name as prompt_name')
          .where('versions.project_id', '=', projectId)
          .orderBy('versions.id')
          .execute();
        for (const row of versions) {
          const { row: sealable } = toSealable(row, row.prompt_name);
          seals.push({ table: 'versions', id: row.id, hash: versionRecordHash(sealable) });
        }
        const history = await db
          .selectFrom('deployment_history')
          .selectAll()
          .where('project_id', '=', projectId)
          .orderBy('id')
          .execute();
        for (const row of history) {
          seals.push({ table: 'deployment_history', id: row.id, hash: historyRecordHash(toEntry(row)) });
        }
        for (let start = 0; start < seals.length; start += SEALS_PER_EVENT) {
          const last = await db
            .selectFrom('audit_events')
            .select(['hash', 'chain_id'])
            .where('project_id', '=', projectId)
            .orderBy('id', 'desc')
            .limit(1)
            .executeTakeFirst();
          const prevHash = last?.hash ?? GENESIS_HASH;
          const data = {
            reason: 'rows written before the audit chain covered versions and deployment history',
            [SEALED_KEY]: seals.slice(start, start + SEALS_PER_EVENT),
          };
          const content = {
            actor: 'system',
            action: 'audit.seal',
            targetType: 'audit',
            target: 'backfill',
            at,
          };
          const inserted = await db
            .insertInto('audit_events')
            .values({
              project_id: projectId,
              actor: content.actor,
              action: content.action,
              target_type: content.targetType,
              target: content.target,
              data: JSON.stringify(data),
              at,
              prev_hash: prevHash,
              hash: '',
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          // As the audit service does: after an imported chain the id hashed must still grow.
          const chainId = Math.max(inserted.id, (last?.chain_id ?? 0) + 1);
          const hash = chainHash(prevHash, { ...content, id: chainId, data });
          await db
            .updateTable('audit_events')
            .set({ hash, chain_id: chainId })
            .where('id', '=', inserted.id)
            .execute();
        }
      }
    },
  };
}

/**
 * `audit_events.chain_id`: the id an event's hash covers. It is the row id for every event written
 * on this instance, and the event's id on the instance it was first written on for events carried
 * over by `promptline import`: row ids are assigned by the target database, but the hash (and so
 * the chain's proof) must stay exactly what the source computed. Rows written before this
 * migration get their own id.
 */
export function auditChainIdMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('audit_events').addColumn('chain_id', 'integer').execute();
      await sql`update audit_events set chain_id = id`.execute(db);
    },
  };
}
