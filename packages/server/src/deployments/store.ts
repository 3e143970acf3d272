import type { Release, Variant } from '@promptline/core';
import { decodeBool, decodeJson, encodeBool, encodeJson } from '../db/codecs.ts';
import type { Db } from '../db/database.ts';
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
  at: string;
}

/** A release deployed in an environment, with its prompt's name (for snapshots). */
export interface EnvironmentRelease extends CurrentRelease {
  promptId: number;
  prompt: string;
}

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
  'at',
] as const;

/** A history row as HISTORY_COLUMNS selects it (everything but the project). */
type HistoryRow = Omit<DeploymentHistoryTable, 'id' | 'project_id'> & { id: number };

function toEntry(row: HistoryRow): StoredHistoryEntry {
  return {
    id: row.id,
    promptId: row.prompt_id,
    environmentId: row.environment_id,
    action: row.action === 'rollback' ? 'rollback' : 'deploy',
    variants: decodeJson<Variant[]>(row.variants),
    enabled: decodeBool(row.enabled),
    previous: decodeJson<Release | null>(row.previous),
    restoredFrom: row.restored_from,
    rollbackTarget: row.rollback_target,
    actor: row.actor,
    reason: row.reason,
    at: row.at,
  };
}

/** SQL of deployments: the current release per (prompt, environment) and the append-only history. */
export function createDeploymentStore() {
  return {
    async current(db: Db, promptId: number, environmentId: number): Promise<CurrentRelease | undefined> {
      const row = await db
        .selectFrom('deployments')
        .select(['variants', 'enabled', 'history_id', 'updated_at', 'updated_by'])
        .where('prompt_id', '=', promptId)
        .where('environment_id', '=', environmentId)
        .executeTakeFirst();
      if (!row) return undefined;
      return {
        variants: decodeJson<Variant[]>(row.variants),
        enabled: decodeBool(row.enabled),
        historyId: row.history_id,
        updatedAt: row.updated_at,
        updatedBy: row.updated_by,
      };
    },

    /** Every release of one prompt, with the environment's name. */
    async listForPrompt(db: Db, promptId: number): Promise<(CurrentRelease & { environment: string })[]> {
      const rows = await db
        .selectFrom('deployments')
        .innerJoin('environments', 'environments.id', 'deployments.environment_id')
        .select([
          'environments.name',
          'deployments.variants',
          'deployments.enabled',
          'deployments.history_id',
          'deployments.updated_at',
          'deployments.updated_by',
        ])
        .where('deployments.prompt_id', '=', promptId)
        .orderBy('environments.rank', 'asc')
        .execute();
      return rows.map((row) => ({
        environment: row.name,
        variants: decodeJson<Variant[]>(row.variants),
        enabled: decodeBool(row.enabled),
        historyId: row.history_id,
        updatedAt: row.updated_at,
        updatedBy: row.updated_by,
      }));
    },

    /** Every release live in one environment, with the prompt's name. */
    async listForEnvironment(db: Db, environmentId: number): Promise<EnvironmentRelease[]> {
      const rows = await db
        .selectFrom('deployments')
        .innerJoin('prompts', 'prompts.id', 'deployments.prompt_id')
        .select([
          'prompts.id',
          'prompts.name',
          'deployments.variants',
          'deployments.enabled',
          'deployments.history_id',
          'deployments.updated_at',
          'deployments.updated_by',
        ])
        .where('deployments.environment_id', '=', environmentId)
        .orderBy('prompts.name', 'asc')
        .execute();
      return rows.map((row) => ({
        promptId: row.id,
        prompt: row.name,
        variants: decodeJson<Variant[]>(row.variants),
        enabled: decodeBool(row.enabled),
        historyId: row.history_id,
        updatedAt: row.updated_at,
        updatedBy: row.updated_by,
      }));
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
          at: entry.at,
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
