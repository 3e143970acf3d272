import { Release, Targeting, Variant } from '@promptline/core';
import { sql } from 'kysely';
import { z } from 'zod';
import { decodeBool, decodeJsonAs, encodeBool, encodeJson } from '../db/codecs.ts';
import type { Db, Dialect } from '../db/database.ts';
import type { DeploymentHistoryTable } from '../db/schema.ts';

/** The release live for one prompt in one environment. */
export interface CurrentRelease extends Release {
  historyId: number;
  updatedAt: string;
  updatedBy: string;
}

/** A history row, decoded; names are attached by the service. */
export interface StoredHistoryEntry {
  id: number;
  promptId: number;
  environmentId: number;
  action: 'deploy' | 'rollback';
  variants: Variant[];
  enabled: boolean;
  previous: Release | null;
  restoredFrom: number | null;
  rollbackTarget: number | null;
  actor: string;
  reason: string | null;
  /** Made with `force: true` over a refusal of the partial check. */
  forced: boolean;
  at: string;
  /** The deployment request that made this change, and its approvers; null for a direct change. */
  requestId: number | null;
  approvedBy: string[] | null;
  /** Pins and rules of the release; undefined when it has none. */
  targeting?: Targeting | undefined;
}

/** A live release with the row ids of its prompt and environment (names belong to those features). */
export interface PlacedRelease extends CurrentRelease {
  promptId: number;
  environmentId: number;
}

const Variants = z.array(Variant);
const Names = z.array(z.string());
const decodeVariants = (text: string) => decodeJsonAs(Variants, text, 'deployment variants');
/** The targeting column: absent from the release when null. */
const targetingOf = (text: string | null): { targeting?: Targeting } =>
  text === null ? {} : { targeting: decodeJsonAs(Targeting, text, 'release targeting') };
const encodeTargeting = (targeting: Targeting | undefined) =>
  targeting === undefined ? null : encodeJson(targeting);

const HISTORY_COLUMNS = [
  'id',
  'prompt_id',
  'environment_id',
  'action',
  'variants',
  'enabled',
  'previous',
  'restored_from',
  'rollback_target',
  'actor',
  'reason',
  'forced',
  'at',
  'request_id',
  'approved_by',
  'targeting',
] as const;

/** A history row as HISTORY_COLUMNS selects it (everything but the project). */
type HistoryRow = Omit<DeploymentHistoryTable, 'id' | 'project_id'> & { id: number };

/** Decodes a history row (exported for the audit backfill migration, which seals existing rows). */
export function toEntry(row: HistoryRow): StoredHistoryEntry {
  return {
    id: row.id,
    promptId: row.prompt_id,
    environmentId: row.environment_id,
    action: row.action === 'rollback' ? 'rollback' : 'deploy',
    variants: decodeVariants(row.variants),
    enabled: decodeBool(row.enabled),
    previous: decodeJsonAs(
      Release.nullable(),
      row.previous,
      'previous release of a deployment history entry',
    ),
    restoredFrom: row.restored_from,
    rollbackTarget: row.rollback_target,
    actor: row.actor,
    reason: row.reason,
    forced: decodeBool(row.forced),
    at: row.at,
    requestId: row.request_id,
    approvedBy:
      row.approved_by === null ? null : decodeJsonAs(Names, row.approved_by, 'approvers of a history entry'),
    ...targetingOf(row.targeting),
  };
}

const RELEASE_COLUMNS = [
  'variants',
  'enabled',
  'history_id',
  'updated_at',
  'updated_by',
  'targeting',
] as const;
const PLACED_COLUMNS = ['prompt_id', 'environment_id', ...RELEASE_COLUMNS] as const;

interface ReleaseRow {
  variants: string;
  enabled: number;
  history_id: number;
  updated_at: string;
  updated_by: string;
  targeting: string | null;
}

/** The release columns of a `deployments` row, decoded. */
function toRelease(row: ReleaseRow): CurrentRelease {
  return {
    variants: decodeVariants(row.variants),
    enabled: decodeBool(row.enabled),
    historyId: row.history_id,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
    ...targetingOf(row.targeting),
  };
}

function toPlaced(row: ReleaseRow & { prompt_id: number; environment_id: number }): PlacedRelease {
  return { promptId: row.prompt_id, environmentId: row.environment_id, ...toRelease(row) };
}

/** First key of the advisory lock that serialises changes of one environment (second key: its id). */
const ENVIRONMENT_DEPLOY_LOCK_CLASS = 7_100_002;

/** SQL of deployments (its own tables only: names of prompts and environments come from their features): the current release per (prompt, environment) and the append-only history. */
export function createDeploymentStore(dialect: Dialect) {
  return {
    /**
     * Serialises every change of what one environment serves until the transaction ends. The
     * partial check reads the releases of *other* prompts: without this, two deploys of different
     * prompts (A now includes B; B switched off) could each pass against the other's old state
     * and commit a broken graph together. SQLite already has a single writer.
     */
    async lockEnvironment(db: Db, environmentId: number): Promise<void> {
      if (dialect === 'postgres') {
        await sql`select pg_advisory_xact_lock(${ENVIRONMENT_DEPLOY_LOCK_CLASS}, ${environmentId})`.execute(
          db,
        );
      }
    },

    async current(db: Db, promptId: number, environmentId: number): Promise<CurrentRelease | undefined> {
      const row = await db
        .selectFrom('deployments')
        .select(RELEASE_COLUMNS)
        .where('prompt_id', '=', promptId)
        .where('environment_id', '=', environmentId)
        .executeTakeFirst();
      return row ? toRelease(row) : undefined;
    },

    /** Every live release of these prompts, in any environment. */
    async listForPrompts(db: Db, promptIds: number[]): Promise<PlacedRelease[]> {
      if (promptIds.length === 0) return [];
      const rows = await db
        .selectFrom('deployments')
        .select(PLACED_COLUMNS)
        .where('prompt_id', 'in', promptIds)
        .execute();
      return rows.map(toPlaced);
    },

    /** Every release live in one environment. */
    async listForEnvironment(db: Db, environmentId: number): Promise<PlacedRelease[]> {
      const rows = await db
        .selectFrom('deployments')
        .select(PLACED_COLUMNS)
        .where('environment_id', '=', environmentId)
        .execute();
      return rows.map(toPlaced);
    },

    async insertHistory(
      db: Db,
      projectId: number,
      entry: Omit<StoredHistoryEntry, 'id'>,
    ): Promise<StoredHistoryEntry> {
      const row = await db
        .insertInto('deployment_history')
        .values({
          project_id: projectId,
          prompt_id: entry.promptId,
          environment_id: entry.environmentId,
          action: entry.action,
          variants: encodeJson(entry.variants),
          enabled: encodeBool(entry.enabled),
          previous: entry.previous === null ? null : encodeJson(entry.previous),
          restored_from: entry.restoredFrom,
          rollback_target: entry.rollbackTarget,
          actor: entry.actor,
          reason: entry.reason,
          forced: encodeBool(entry.forced),
          at: entry.at,
          request_id: entry.requestId,
          approved_by: entry.approvedBy === null ? null : encodeJson(entry.approvedBy),
          targeting: encodeTargeting(entry.targeting),
        })
        .returning(HISTORY_COLUMNS)
        .executeTakeFirstOrThrow();
      return toEntry(row);
    },

    /** Makes `entry` the live release (insert or replace the current row). */
    async setCurrent(db: Db, projectId: number, entry: StoredHistoryEntry): Promise<void> {
      const values = {
        variants: encodeJson(entry.variants),
        enabled: encodeBool(entry.enabled),
        history_id: entry.id,
        updated_at: entry.at,
        updated_by: entry.actor,
        targeting: encodeTargeting(entry.targeting),
      };
      await db
        .insertInto('deployments')
        .values({
          project_id: projectId,
          prompt_id: entry.promptId,
          environment_id: entry.environmentId,
          ...values,
        })
        .onConflict((oc) => oc.columns(['prompt_id', 'environment_id']).doUpdateSet(values))
        .execute();
    },

    async findHistory(db: Db, id: number): Promise<StoredHistoryEntry | undefined> {
      const row = await db
        .selectFrom('deployment_history')
        .select(HISTORY_COLUMNS)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toEntry(row) : undefined;
    },

    async listHistory(db: Db, promptId: number, environmentId: number): Promise<StoredHistoryEntry[]> {
      const rows = await db
        .selectFrom('deployment_history')
        .select(HISTORY_COLUMNS)
        .where('prompt_id', '=', promptId)
        .where('environment_id', '=', environmentId)
        .orderBy('id', 'desc')
        .execute();
      return rows.map(toEntry);
    },

    /** Every history entry of a project, oldest first (audit verification recomputes each one). */
    async allHistory(db: Db, projectId: number): Promise<StoredHistoryEntry[]> {
      const rows = await db
        .selectFrom('deployment_history')
        .select(HISTORY_COLUMNS)
        .where('project_id', '=', projectId)
        .orderBy('id', 'asc')
        .execute();
      return rows.map(toEntry);
    },

    /** Every live release of a project (audit verification compares each with its history entry). */
    async listForProject(db: Db, projectId: number): Promise<PlacedRelease[]> {
      const rows = await db
        .selectFrom('deployments')
        .select(PLACED_COLUMNS)
        .where('project_id', '=', projectId)
        .execute();
      return rows.map(toPlaced);
    },

    /**
     * For each prompt, the entry of one environment live at `at` (the newest made at or before
     * it): what the environment served at that instant.
     */
    async historyAtForEnvironment(db: Db, environmentId: number, at: string): Promise<StoredHistoryEntry[]> {
      const rows = await db
        .selectFrom('deployment_history as h')
        .select(HISTORY_COLUMNS.map((c) => `h.${c}` as const))
        .where('h.environment_id', '=', environmentId)
        .where('h.id', '=', (eb) =>
          eb
            .selectFrom('deployment_history as h2')
            .select('h2.id')
            .whereRef('h2.prompt_id', '=', 'h.prompt_id')
            .where('h2.environment_id', '=', environmentId)
            .where('h2.at', '<=', at)
            .orderBy('h2.at', 'desc')
            .orderBy('h2.id', 'desc')
            .limit(1),
        )
        .execute();
      return rows.map(toEntry);
    },

    /** Every entry of one prompt in one environment, oldest first (lineage). */
    async historyAscending(db: Db, promptId: number, environmentId: number): Promise<StoredHistoryEntry[]> {
      const rows = await db
        .selectFrom('deployment_history')
        .select(HISTORY_COLUMNS)
        .where('prompt_id', '=', promptId)
        .where('environment_id', '=', environmentId)
        .orderBy('at', 'asc')
        .orderBy('id', 'asc')
        .execute();
      return rows.map(toEntry);
    },

    /** The entry live at `at`: the newest one made at or before it. */
    async historyAt(
      db: Db,
      promptId: number,
      environmentId: number,
      at: string,
    ): Promise<StoredHistoryEntry | undefined> {
      const row = await db
        .selectFrom('deployment_history')
        .select(HISTORY_COLUMNS)
        .where('prompt_id', '=', promptId)
        .where('environment_id', '=', environmentId)
        .where('at', '<=', at)
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? toEntry(row) : undefined;
    },
  };
}
