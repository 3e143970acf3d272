import {
  GuardrailState,
  type RolloutEvent,
  RolloutGuardrail,
  type RolloutStatus,
  RolloutStep,
} from '@promptline/core';
import type { Generated, Selectable } from 'kysely';
import { z } from 'zod';
import { decodeJsonAs, encodeJson } from '../db/codecs.ts';
import type { Db, Dialect } from '../db/database.ts';

/** A rollout row, decoded. */
export interface StoredRollout {
  id: number;
  projectId: number;
  promptId: number;
  environmentId: number;
  prompt: string;
  environment: string;
  candidate: number;
  control: number;
  controlHistoryId: number;
  lastHistoryId: number;
  status: RolloutStatus;
  steps: RolloutStep[];
  guardrails: RolloutGuardrail[];
  minSamples: number;
  onRegression: 'rollback' | 'pause';
  step: number;
  stepStartedAt: string;
  verdicts: GuardrailState[];
  createdBy: string;
  createdByRole: string | null;
  reason: string | null;
  startedAt: string;
  updatedAt: string;
  lastCheckAt: string | null;
  /** The approved deployment request that started it: later steps deploy as approved by the same people. */
  approval: { requestId: number; approvedBy: string[] } | null;
}

interface RolloutsTable {
  id: Generated<number>;
  project_id: number;
  prompt_id: number;
  environment_id: number;
  prompt: string;
  environment: string;
  candidate: number;
  control: number;
  control_history_id: number;
  last_history_id: number;
  status: string;
  steps: string;
  guardrails: string;
  min_samples: number;
  on_regression: string;
  step: number;
  step_started_at: string;
  verdicts: string;
  created_by: string;
  created_by_role: string | null;
  reason: string | null;
  started_at: string;
  updated_at: string;
  last_check_at: string | null;
  request_id: number | null;
  approved_by: string | null;
}

interface EventsTable {
  id: Generated<number>;
  project_id: number;
  rollout_id: number;
  at: string;
  kind: string;
  step: number;
  actor: string;
  message: string;
  history_id: number | null;
}

const own = (db: Db) => db.withTables<{ rollouts: RolloutsTable; rollout_events: EventsTable }>();

const STATUSES: readonly RolloutStatus[] = ['running', 'paused', 'completed', 'rolled_back', 'aborted'];
const KINDS: readonly RolloutEvent['kind'][] = [
  'start',
  'advance',
  'pause',
  'resume',
  'abort',
  'complete',
  'rollback',
  'regression',
];
/** Running and paused rollouts hold their prompt in their environment: one at a time. */
export const ACTIVE_STATUSES: readonly RolloutStatus[] = ['running', 'paused'];

function toRollout(row: Selectable<RolloutsTable>): StoredRollout {
  return {
    id: row.id,
    projectId: row.project_id,
    promptId: row.prompt_id,
    environmentId: row.environment_id,
    prompt: row.prompt,
    environment: row.environment,
    candidate: row.candidate,
    control: row.control,
    controlHistoryId: row.control_history_id,
    lastHistoryId: row.last_history_id,
    status: STATUSES.find((s) => s === row.status) ?? 'aborted',
    steps: decodeJsonAs(z.array(RolloutStep), row.steps, 'rollout steps'),
    guardrails: decodeJsonAs(z.array(RolloutGuardrail), row.guardrails, 'rollout guardrails'),
    minSamples: row.min_samples,
    onRegression: row.on_regression === 'pause' ? 'pause' : 'rollback',
    step: row.step,
    stepStartedAt: row.step_started_at,
    verdicts: decodeJsonAs(z.array(GuardrailState), row.verdicts, 'rollout verdicts'),
    createdBy: row.created_by,
    createdByRole: row.created_by_role,
    reason: row.reason,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    lastCheckAt: row.last_check_at,
    approval:
      row.request_id === null
        ? null
        : {
            requestId: row.request_id,
            approvedBy:
              row.approved_by === null
                ? []
                : decodeJsonAs(z.array(z.string()), row.approved_by, 'rollout approvers'),
          },
  };
}

/** SQL of rollouts and their events. */
export function createRolloutStore(dialect: Dialect) {
  return {
    async insert(db: Db, r: Omit<StoredRollout, 'id'>): Promise<StoredRollout> {
      const row = await own(db)
        .insertInto('rollouts')
        .values({
          project_id: r.projectId,
          prompt_id: r.promptId,
          environment_id: r.environmentId,
          prompt: r.prompt,
          environment: r.environment,
          candidate: r.candidate,
          control: r.control,
          control_history_id: r.controlHistoryId,
          last_history_id: r.lastHistoryId,
          status: r.status,
          steps: encodeJson(r.steps),
          guardrails: encodeJson(r.guardrails),
          min_samples: r.minSamples,
          on_regression: r.onRegression,
          step: r.step,
          step_started_at: r.stepStartedAt,
          verdicts: encodeJson(r.verdicts),
          created_by: r.createdBy,
          created_by_role: r.createdByRole,
          reason: r.reason,
          started_at: r.startedAt,
          updated_at: r.updatedAt,
          last_check_at: r.lastCheckAt,
          request_id: r.approval?.requestId ?? null,
          approved_by: r.approval ? encodeJson(r.approval.approvedBy) : null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRollout(row);
    },

    /** With `lock`, PostgreSQL holds the row to the end of the transaction (checks and actions queue). */
    async find(db: Db, id: number, lock = false): Promise<StoredRollout | undefined> {
      let q = own(db).selectFrom('rollouts').selectAll().where('id', '=', id);
      if (lock && dialect === 'postgres') q = q.forUpdate();
      const row = await q.executeTakeFirst();
      return row ? toRollout(row) : undefined;
    },

    async findActive(db: Db, promptId: number, environmentId: number): Promise<StoredRollout | undefined> {
      const row = await own(db)
        .selectFrom('rollouts')
        .selectAll()
        .where('prompt_id', '=', promptId)
        .where('environment_id', '=', environmentId)
        .where('status', 'in', [...ACTIVE_STATUSES])
        .orderBy('id', 'desc')
        .executeTakeFirst();
      return row ? toRollout(row) : undefined;
    },

    async list(
      db: Db,
      projectId: number,
      filter: { prompt?: string | undefined; status?: string | undefined; limit: number },
    ): Promise<StoredRollout[]> {
      let q = own(db).selectFrom('rollouts').selectAll().where('project_id', '=', projectId);
      if (filter.prompt) q = q.where('prompt', '=', filter.prompt);
      if (filter.status) q = q.where('status', '=', filter.status);
      return (await q.orderBy('id', 'desc').limit(filter.limit).execute()).map(toRollout);
    },

    /** Ids of every running rollout of every project (what the check job visits). */
    async runningIds(db: Db): Promise<number[]> {
      const rows = await own(db)
        .selectFrom('rollouts')
        .select('id')
        .where('status', '=', 'running')
        .orderBy('id')
        .execute();
      return rows.map((r) => r.id);
    },

    async update(
      db: Db,
      id: number,
      change: Partial<
        Pick<
          StoredRollout,
          'status' | 'step' | 'stepStartedAt' | 'verdicts' | 'lastHistoryId' | 'reason' | 'lastCheckAt'
        >
      > & { updatedAt: string },
    ): Promise<void> {
      await own(db)
        .updateTable('rollouts')
        .set({
          updated_at: change.updatedAt,
          ...(change.status === undefined ? {} : { status: change.status }),
          ...(change.step === undefined ? {} : { step: change.step }),
          ...(change.stepStartedAt === undefined ? {} : { step_started_at: change.stepStartedAt }),
          ...(change.verdicts === undefined ? {} : { verdicts: encodeJson(change.verdicts) }),
          ...(change.lastHistoryId === undefined ? {} : { last_history_id: change.lastHistoryId }),
          ...(change.reason === undefined ? {} : { reason: change.reason }),
          ...(change.lastCheckAt === undefined ? {} : { last_check_at: change.lastCheckAt }),
        })
        .where('id', '=', id)
        .execute();
    },

    async addEvent(db: Db, projectId: number, rolloutId: number, event: RolloutEvent): Promise<void> {
      await own(db)
        .insertInto('rollout_events')
        .values({
          project_id: projectId,
          rollout_id: rolloutId,
          at: event.at,
          kind: event.kind,
          step: event.step,
          actor: event.actor,
          message: event.message,
          history_id: event.historyId,
        })
        .execute();
    },

    async events(db: Db, rolloutId: number): Promise<RolloutEvent[]> {
      const rows = await own(db)
        .selectFrom('rollout_events')
        .selectAll()
        .where('rollout_id', '=', rolloutId)
        .orderBy('id')
        .execute();
      return rows.map((row) => ({
        at: row.at,
        kind: KINDS.find((k) => k === row.kind) ?? 'abort',
        step: row.step,
        actor: row.actor,
        message: row.message,
        historyId: row.history_id,
      }));
    },
  };
}

export type RolloutStore = ReturnType<typeof createRolloutStore>;
