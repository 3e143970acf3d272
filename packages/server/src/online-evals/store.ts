/** The SQL of online evaluation rules, their daily counters and the sampled spans waiting to be graded. */
import {
  AssertionSpec,
  type OnlineEvalDay,
  OnlineEvalJudge,
  type OnlineEvalJudge as OnlineEvalJudgeType,
} from '@promptline/core';
import { type Generated, type Selectable, sql } from 'kysely';
import { z } from 'zod';
import { decodeBool, decodeJsonAs, encodeBool, encodeJson } from '../db/codecs.ts';
import { type Db, onUniqueViolation } from '../db/database.ts';

interface RulesTable {
  id: Generated<number>;
  project_id: number;
  prompt: string;
  name: string;
  environment: string;
  version: number | null;
  sampling_rate: number;
  assertions: string;
  judge: string | null;
  daily_budget_usd: number;
  enabled: number;
  last_error: string | null;
  last_error_at: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

interface DaysTable {
  rule_id: number;
  project_id: number;
  day: string;
  sampled: number;
  evaluated: number;
  errors: number;
  failed: number;
  skipped_budget: number;
  cost_usd: number;
}

interface PendingTable {
  id: Generated<number>;
  project_id: number;
  rule_id: number;
  trace_id: string;
  span_id: string;
  span_start_ms: number | string;
  sampled_at: string;
}

const own = (db: Db) =>
  db.withTables<{
    online_eval_rules: RulesTable;
    online_eval_days: DaysTable;
    online_eval_pending: PendingTable;
  }>();

/** A rule as stored (no counters). */
export interface StoredRule {
  id: number;
  projectId: number;
  prompt: string;
  name: string;
  environment: string;
  version: number | null;
  samplingRate: number;
  assertions: AssertionSpec[];
  judge: OnlineEvalJudgeType | null;
  dailyBudgetUsd: number;
  enabled: boolean;
  lastError: { message: string; at: string } | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export type RuleFields = Omit<StoredRule, 'id' | 'projectId' | 'lastError' | 'createdBy' | 'createdAt'>;

/** A sampled span waiting for its grading. */
export interface PendingSpan {
  id: number;
  projectId: number;
  ruleId: number;
  traceId: string;
  spanId: string;
}

/** What to add to a rule's counters of one day. */
export type DayIncrement = Partial<Omit<OnlineEvalDay, 'day'>>;

const Assertions = z.array(AssertionSpec);

function toRule(row: Selectable<RulesTable>): StoredRule {
  return {
    id: row.id,
    projectId: row.project_id,
    prompt: row.prompt,
    name: row.name,
    environment: row.environment,
    version: row.version,
    samplingRate: Number(row.sampling_rate),
    assertions: decodeJsonAs(Assertions, row.assertions, 'online eval assertions'),
    judge: decodeJsonAs(OnlineEvalJudge.nullable(), row.judge, 'online eval judge'),
    dailyBudgetUsd: Number(row.daily_budget_usd),
    enabled: decodeBool(row.enabled),
    lastError:
      row.last_error === null || row.last_error_at === null
        ? null
        : { message: row.last_error, at: row.last_error_at },
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function emptyDay(day: string): OnlineEvalDay {
  return { day, sampled: 0, evaluated: 0, errors: 0, failed: 0, skippedBudget: 0, costUsd: 0 };
}

function toDay(row: Selectable<DaysTable>): OnlineEvalDay {
  return {
    day: row.day,
    sampled: Number(row.sampled),
    evaluated: Number(row.evaluated),
    errors: Number(row.errors),
    failed: Number(row.failed),
    skippedBudget: Number(row.skipped_budget),
    costUsd: Number(row.cost_usd),
  };
}

function ruleColumns(fields: Partial<RuleFields>) {
  return {
    ...(fields.prompt === undefined ? {} : { prompt: fields.prompt }),
    ...(fields.name === undefined ? {} : { name: fields.name }),
    ...(fields.environment === undefined ? {} : { environment: fields.environment }),
    ...(fields.version === undefined ? {} : { version: fields.version }),
    ...(fields.samplingRate === undefined ? {} : { sampling_rate: fields.samplingRate }),
    ...(fields.assertions === undefined ? {} : { assertions: encodeJson(fields.assertions) }),
    ...(fields.judge === undefined ? {} : { judge: fields.judge === null ? null : encodeJson(fields.judge) }),
    ...(fields.dailyBudgetUsd === undefined ? {} : { daily_budget_usd: fields.dailyBudgetUsd }),
    ...(fields.enabled === undefined ? {} : { enabled: encodeBool(fields.enabled) }),
    ...(fields.updatedAt === undefined ? {} : { updated_at: fields.updatedAt }),
  };
}

export function createOnlineEvalStore(conflict: (name: string) => Error) {
  return {
    async insert(
      db: Db,
      projectId: number,
      fields: RuleFields,
      createdBy: string,
      createdAt: string,
    ): Promise<StoredRule> {
      const row = await onUniqueViolation(
        () =>
          own(db)
            .insertInto('online_eval_rules')
            .values({
              project_id: projectId,
              prompt: fields.prompt,
              name: fields.name,
              environment: fields.environment,
              version: fields.version,
              sampling_rate: fields.samplingRate,
              assertions: encodeJson(fields.assertions),
              judge: fields.judge === null ? null : encodeJson(fields.judge),
              daily_budget_usd: fields.dailyBudgetUsd,
              enabled: encodeBool(fields.enabled),
              last_error: null,
              last_error_at: null,
              created_by: createdBy,
              created_at: createdAt,
              updated_at: fields.updatedAt,
            })
            .returningAll()
            .executeTakeFirstOrThrow(),
        () => conflict(fields.name),
      );
      return toRule(row);
    },

    async update(db: Db, id: number, fields: Partial<RuleFields>, name: string): Promise<StoredRule> {
      const row = await onUniqueViolation(
        () =>
          own(db)
            .updateTable('online_eval_rules')
            .set(ruleColumns(fields))
            .where('id', '=', id)
            .returningAll()
            .executeTakeFirstOrThrow(),
        () => conflict(name),
      );
      return toRule(row);
    },

    async find(db: Db, projectId: number, id: number): Promise<StoredRule | undefined> {
      const row = await own(db)
        .selectFrom('online_eval_rules')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toRule(row) : undefined;
    },

    /** Rules of a project (of one prompt when given), by prompt and name. */
    async list(db: Db, projectId: number, prompt?: string): Promise<StoredRule[]> {
      let q = own(db).selectFrom('online_eval_rules').selectAll().where('project_id', '=', projectId);
      if (prompt !== undefined) q = q.where('prompt', '=', prompt);
      return (await q.orderBy('prompt').orderBy('name').execute()).map(toRule);
    },

    /** The enabled rules of a project with a sampling rate above zero: what ingestion samples for. */
    async sampling(db: Db, projectId: number): Promise<StoredRule[]> {
      const rows = await own(db)
        .selectFrom('online_eval_rules')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('enabled', '=', 1)
        .where('sampling_rate', '>', 0)
        .execute();
      return rows.map(toRule);
    },

    async remove(db: Db, id: number): Promise<void> {
      await own(db).deleteFrom('online_eval_pending').where('rule_id', '=', id).execute();
      await own(db).deleteFrom('online_eval_days').where('rule_id', '=', id).execute();
      await own(db).deleteFrom('online_eval_rules').where('id', '=', id).execute();
    },

    async recordError(db: Db, id: number, message: string, at: string): Promise<void> {
      await own(db)
        .updateTable('online_eval_rules')
        .set({ last_error: message, last_error_at: at })
        .where('id', '=', id)
        .execute();
    },

    /** Adds to a rule's counters of `day` (the row is created on first use). */
    async count(db: Db, projectId: number, ruleId: number, day: string, add: DayIncrement): Promise<void> {
      const values = {
        sampled: add.sampled ?? 0,
        evaluated: add.evaluated ?? 0,
        errors: add.errors ?? 0,
        failed: add.failed ?? 0,
        skipped_budget: add.skippedBudget ?? 0,
        cost_usd: add.costUsd ?? 0,
      };
      await own(db)
        .insertInto('online_eval_days')
        .values({ rule_id: ruleId, project_id: projectId, day, ...values })
        .onConflict((oc) =>
          oc.columns(['rule_id', 'day']).doUpdateSet({
            sampled: sql`online_eval_days.sampled + excluded.sampled`,
            evaluated: sql`online_eval_days.evaluated + excluded.evaluated`,
            errors: sql`online_eval_days.errors + excluded.errors`,
            failed: sql`online_eval_days.failed + excluded.failed`,
            skipped_budget: sql`online_eval_days.skipped_budget + excluded.skipped_budget`,
            cost_usd: sql`online_eval_days.cost_usd + excluded.cost_usd`,
          }),
        )
        .execute();
    },

    /** Counters of the given rules for one day. */
    async daysOf(db: Db, ruleIds: readonly number[], day: string): Promise<Map<number, OnlineEvalDay>> {
      if (ruleIds.length === 0) return new Map();
      const rows = await own(db)
        .selectFrom('online_eval_days')
        .selectAll()
        .where('rule_id', 'in', ruleIds)
        .where('day', '=', day)
        .execute();
      return new Map(rows.map((r) => [r.rule_id, toDay(r)]));
    },

    /** A rule's counters of its latest `limit` days, newest first. */
    async history(db: Db, ruleId: number, limit: number): Promise<OnlineEvalDay[]> {
      const rows = await own(db)
        .selectFrom('online_eval_days')
        .selectAll()
        .where('rule_id', '=', ruleId)
        .orderBy('day', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toDay);
    },

    /** Sampled spans of the given rules still waiting, per rule. */
    async pendingCounts(db: Db, ruleIds: readonly number[]): Promise<Map<number, number>> {
      if (ruleIds.length === 0) return new Map();
      const rows = await own(db)
        .selectFrom('online_eval_pending')
        .select(['rule_id', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('rule_id', 'in', ruleIds)
        .groupBy('rule_id')
        .execute();
      return new Map(rows.map((r) => [r.rule_id, Number(r.n)]));
    },

    /** Queues sampled spans; one already queued for its rule is skipped. Answers the new rows' ids. */
    async enqueue(
      db: Db,
      rows: readonly Omit<PendingTable, 'id'>[],
    ): Promise<Array<{ id: number; rule_id: number }>> {
      if (rows.length === 0) return [];
      return own(db)
        .insertInto('online_eval_pending')
        .values([...rows])
        .onConflict((oc) => oc.columns(['rule_id', 'trace_id', 'span_id']).doNothing())
        .returning(['id', 'rule_id'])
        .execute();
    },

    async pending(db: Db, ids: readonly number[]): Promise<PendingSpan[]> {
      if (ids.length === 0) return [];
      const rows = await own(db)
        .selectFrom('online_eval_pending')
        .selectAll()
        .where('id', 'in', ids)
        .orderBy('id')
        .execute();
      return rows.map((r) => ({
        id: r.id,
        projectId: r.project_id,
        ruleId: r.rule_id,
        traceId: r.trace_id,
        spanId: r.span_id,
      }));
    },

    /** Takes a pending span off the queue; false when it was already taken (graded by an earlier attempt). */
    async take(db: Db, id: number): Promise<boolean> {
      const result = await own(db).deleteFrom('online_eval_pending').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}

export type OnlineEvalStore = ReturnType<typeof createOnlineEvalStore>;
