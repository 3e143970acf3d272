/** The SQL of alert rules and their transitions. */
import {
  AlertCondition,
  AlertMetric,
  type AlertRule,
  type AlertState,
  type AlertTransition,
} from '@promptline/core';
import type { Generated, Selectable } from 'kysely';
import { decodeBool, decodeJsonAs, encodeBool, encodeJson } from '../db/codecs.ts';
import type { Db } from '../db/database.ts';

interface RulesTable {
  id: Generated<number>;
  project_id: number;
  name: string;
  prompt: string | null;
  version: number | null;
  environment: string | null;
  metric: string;
  score: string | null;
  window_minutes: number;
  condition: string;
  min_samples: number;
  enabled: number;
  state: string;
  state_since: string;
  last_value: number | null;
  last_evaluated_at: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

interface TransitionsTable {
  id: Generated<number>;
  project_id: number;
  rule_id: number;
  from_state: string;
  to_state: string;
  value: number | null;
  baseline: number | null;
  samples: number;
  at: string;
}

const own = (db: Db) => db.withTables<{ alert_rules: RulesTable; alert_transitions: TransitionsTable }>();

export interface StoredRule extends AlertRule {
  projectId: number;
}

const state = (value: string): AlertState => (value === 'firing' || value === 'resolved' ? value : 'ok');

function toRule(row: Selectable<RulesTable>): StoredRule {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    prompt: row.prompt,
    version: row.version,
    environment: row.environment,
    metric: AlertMetric.parse(row.metric),
    score: row.score,
    windowMinutes: row.window_minutes,
    condition: decodeJsonAs(AlertCondition, row.condition, 'alert rule condition'),
    minSamples: row.min_samples,
    enabled: decodeBool(row.enabled),
    state: state(row.state),
    stateSince: row.state_since,
    lastValue: row.last_value === null ? null : Number(row.last_value),
    lastEvaluatedAt: row.last_evaluated_at,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function createAlertStore() {
  return {
    async insert(
      db: Db,
      input: Omit<StoredRule, 'id' | 'lastValue' | 'lastEvaluatedAt'>,
    ): Promise<StoredRule> {
      const row = await own(db)
        .insertInto('alert_rules')
        .values({
          project_id: input.projectId,
          name: input.name,
          prompt: input.prompt,
          version: input.version,
          environment: input.environment,
          metric: input.metric,
          score: input.score,
          window_minutes: input.windowMinutes,
          condition: encodeJson(input.condition),
          min_samples: input.minSamples,
          enabled: encodeBool(input.enabled),
          state: input.state,
          state_since: input.stateSince,
          last_value: null,
          last_evaluated_at: null,
          created_by: input.createdBy,
          created_at: input.createdAt,
          updated_at: input.updatedAt,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRule(row);
    },

    async find(db: Db, projectId: number, id: number): Promise<StoredRule | undefined> {
      const row = await own(db)
        .selectFrom('alert_rules')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toRule(row) : undefined;
    },

    async list(db: Db, projectId: number): Promise<StoredRule[]> {
      const rows = await own(db)
        .selectFrom('alert_rules')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('id')
        .execute();
      return rows.map(toRule);
    },

    /** Enabled rules of every project after `afterId`, by id (the evaluation job pages through them). */
    async enabledAfter(db: Db, afterId: number, limit: number): Promise<StoredRule[]> {
      const rows = await own(db)
        .selectFrom('alert_rules')
        .selectAll()
        .where('enabled', '=', 1)
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(toRule);
    },

    async update(
      db: Db,
      id: number,
      change: Partial<
        Pick<
          StoredRule,
          'name' | 'metric' | 'score' | 'windowMinutes' | 'condition' | 'minSamples' | 'enabled'
        >
      > & {
        lastValue?: null;
        updatedAt: string;
      },
    ): Promise<StoredRule> {
      const row = await own(db)
        .updateTable('alert_rules')
        .set({
          updated_at: change.updatedAt,
          ...(change.name === undefined ? {} : { name: change.name }),
          ...(change.metric === undefined ? {} : { metric: change.metric }),
          ...(change.score === undefined ? {} : { score: change.score }),
          ...(change.lastValue === undefined ? {} : { last_value: null }),
          ...(change.windowMinutes === undefined ? {} : { window_minutes: change.windowMinutes }),
          ...(change.condition === undefined ? {} : { condition: encodeJson(change.condition) }),
          ...(change.minSamples === undefined ? {} : { min_samples: change.minSamples }),
          ...(change.enabled === undefined ? {} : { enabled: encodeBool(change.enabled) }),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRule(row);
    },

    async remove(db: Db, id: number): Promise<void> {
      await own(db).deleteFrom('alert_transitions').where('rule_id', '=', id).execute();
      await own(db).deleteFrom('alert_rules').where('id', '=', id).execute();
    },

    /**
     * Records an evaluation. With `expectState`, only while the rule is still in that state (a
     * second evaluator that raced this one changes nothing): answers whether the row was updated.
     */
    async recordEvaluation(
      db: Db,
      id: number,
      expectState: AlertState,
      result: { state: AlertState; stateSince?: string; value: number | null; at: string },
    ): Promise<boolean> {
      const updated = await own(db)
        .updateTable('alert_rules')
        .set({
          state: result.state,
          last_value: result.value,
          last_evaluated_at: result.at,
          ...(result.stateSince === undefined ? {} : { state_since: result.stateSince }),
        })
        .where('id', '=', id)
        .where('state', '=', expectState)
        .executeTakeFirst();
      return Number(updated.numUpdatedRows) > 0;
    },

    async insertTransition(
      db: Db,
      projectId: number,
      ruleId: number,
      t: Omit<AlertTransition, 'id'>,
    ): Promise<AlertTransition> {
      const row = await own(db)
        .insertInto('alert_transitions')
        .values({
          project_id: projectId,
          rule_id: ruleId,
          from_state: t.from,
          to_state: t.to,
          value: t.value,
          baseline: t.baseline,
          samples: t.samples,
          at: t.at,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toTransition(row);
    },

    async transitions(db: Db, ruleId: number, limit: number): Promise<AlertTransition[]> {
      const rows = await own(db)
        .selectFrom('alert_transitions')
        .selectAll()
        .where('rule_id', '=', ruleId)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toTransition);
    },
  };
}

function toTransition(row: Selectable<TransitionsTable>): AlertTransition {
  return {
    id: row.id,
    from: state(row.from_state),
    to: state(row.to_state),
    value: row.value === null ? null : Number(row.value),
    baseline: row.baseline === null ? null : Number(row.baseline),
    samples: row.samples,
    at: row.at,
  };
}

export type AlertStore = ReturnType<typeof createAlertStore>;
