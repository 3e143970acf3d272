/**
 * Alert rules per project, prompt or version, and their evaluation: a recurring job reads each
 * enabled rule's window(s) from the metrics rollups (through the metrics service), decides the
 * next state (ok → firing → resolved, with hysteresis), records every transition and publishes
 * `alert.fired` / `alert.resolved` on the event bus in the same transaction, where webhooks and
 * in-app notifications pick them up.
 */
import {
  type AlertRule,
  type AlertRuleDetail,
  AppError,
  type CompareArm,
  type CreateAlertRuleRequest,
  type UpdateAlertRuleRequest,
} from '@promptline/core';
import { z } from 'zod';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import type { EventPublisher } from '../events/bus.ts';
import type { JobService } from '../jobs/service.ts';
import type { MetricsService } from '../metrics/service.ts';
import { describeCondition, evaluateRule } from './evaluate.ts';
import { createAlertStore, type StoredRule } from './store.ts';

export const EVALUATE_JOB = { kind: 'alerts.evaluate', everySeconds: 30 };
/** Rules evaluated per transaction. */
const PAGE = 500;
const MINUTE_MS = 60_000;

function publicRule(rule: StoredRule): AlertRule {
  const { projectId: _p, ...rest } = rule;
  return rest;
}

function notFound(id: number): AppError {
  return new AppError(
    'ALERT_RULE_NOT_FOUND',
    `No alert rule ${id} in this project. List them with GET /api/v1/alerts.`,
  );
}

export interface AlertServiceOptions {
  database: Database;
  clock: Clock;
  audit: AuditService;
  jobs: Pick<JobService, 'register' | 'every'>;
  metrics: Pick<MetricsService, 'windowSummary'>;
  events: EventPublisher;
  /** Interval of the evaluation job in seconds (default 30). */
  everySeconds?: number | undefined;
}

export function createAlertService(options: AlertServiceOptions) {
  const { database, clock, audit, metrics, events } = options;
  const store = createAlertStore();

  async function requireRule(db: Db, projectId: number, id: number): Promise<StoredRule> {
    const rule = await store.find(db, projectId, id);
    if (!rule) throw notFound(id);
    return rule;
  }

  /**
   * One pass over every enabled rule: windows read once per distinct scope and window, decisions
   * written a page at a time through `write` (the job's fenced transaction). Answers the counts.
   */
  async function evaluateAll(
    write: <T>(fn: (trx: Db) => Promise<T>) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<{ rules: number; transitions: number }> {
    const nowMs = clock.now().getTime();
    const at = new Date(nowMs).toISOString();
    // Windows end with the current (partial) minute and are whole minutes of the rollups: the
    // current and the previous window of a rule never share a minute.
    const endMs = Math.ceil(nowMs / MINUTE_MS) * MINUTE_MS;
    const reads = new Map<string, Promise<CompareArm>>();
    const windowOf = (rule: StoredRule, endMs: number) => {
      const key = JSON.stringify([
        rule.projectId,
        rule.prompt,
        rule.version,
        rule.environment,
        rule.windowMinutes,
        endMs,
      ]);
      let read = reads.get(key);
      if (!read) {
        read = metrics.windowSummary(
          rule.projectId,
          {
            prompt: rule.prompt ?? undefined,
            version: rule.version ?? undefined,
            environment: rule.environment ?? undefined,
          },
          endMs - rule.windowMinutes * MINUTE_MS,
          endMs,
        );
        reads.set(key, read);
      }
      return read;
    };
    let after = 0;
    let rules = 0;
    let transitions = 0;
    for (;;) {
      if (signal?.aborted) break;
      const page = await store.enabledAfter(database.db, after, PAGE);
      if (page.length === 0) break;
      after = page.at(-1)?.id ?? after;
      const decided = await Promise.all(
        page.map(async (rule) => {
          const current = await windowOf(rule, endMs);
          const previous =
            rule.condition.type === 'change'
              ? await windowOf(rule, endMs - rule.windowMinutes * MINUTE_MS)
              : null;
          return { rule, evaluation: evaluateRule(rule, current, previous) };
        }),
      );
      transitions += await write(async (trx) => {
        let changed = 0;
        for (const { rule, evaluation } of decided) {
          const moves = evaluation.next !== rule.state;
          const updated = await store.recordEvaluation(trx, rule.id, rule.state, {
            state: evaluation.next,
            value: evaluation.value,
            at,
            ...(moves ? { stateSince: at } : {}),
          });
          if (!moves || !updated) continue;
          changed++;
          const transition = await store.insertTransition(trx, rule.projectId, rule.id, {
            from: rule.state,
            to: evaluation.next,
            value: evaluation.value,
            baseline: evaluation.baseline,
            samples: evaluation.samples,
            at,
          });
          await events.publish(trx, {
            type: evaluation.next === 'firing' ? 'alert.fired' : 'alert.resolved',
            projectId: rule.projectId,
            data: {
              ruleId: rule.id,
              rule: rule.name,
              metric: rule.metric === 'scoreMean' ? `scoreMean:${rule.score}` : rule.metric,
              value: evaluation.value,
              baseline: evaluation.baseline,
              samples: evaluation.samples,
              condition: describeCondition(rule),
              scope: { prompt: rule.prompt, version: rule.version, environment: rule.environment },
              windowMinutes: rule.windowMinutes,
              transitionId: transition.id,
              from: rule.state,
              to: evaluation.next,
            },
          });
        }
        return changed;
      });
      rules += page.length;
      if (page.length < PAGE) break;
    }
    return { rules, transitions };
  }

  options.jobs.register({
    kind: EVALUATE_JOB.kind,
    payload: z.object({}),
    maxAttempts: 3,
    async run(_payload, ctx) {
      await evaluateAll((fn) => ctx.fenced(fn), ctx.signal);
    },
  });
  options.jobs.every(EVALUATE_JOB.kind, options.everySeconds ?? EVALUATE_JOB.everySeconds);

  return {
    async create(projectId: number, request: CreateAlertRuleRequest, actor: string): Promise<AlertRule> {
      const at = isoNow(clock);
      const rule = await database.db.transaction().execute(async (trx) => {
        const created = await store.insert(trx, {
          projectId,
          name: request.name,
          prompt: request.prompt ?? null,
          version: request.version ?? null,
          environment: request.environment ?? null,
          metric: request.metric,
          score: request.score ?? null,
          windowMinutes: request.windowMinutes,
          condition: request.condition,
          minSamples: request.minSamples,
          enabled: request.enabled,
          state: 'ok',
          stateSince: at,
          createdBy: actor,
          createdAt: at,
          updatedAt: at,
        });
        await audit.append(trx, {
          projectId,
          actor,
          action: 'alert_rule.create',
          targetType: 'alert_rule',
          target: String(created.id),
          data: { after: { ...request } },
        });
        return created;
      });
      return publicRule(rule);
    },

    async list(projectId: number): Promise<AlertRule[]> {
      return (await store.list(database.db, projectId)).map(publicRule);
    },

    /** A rule with its latest transitions (newest first). @throws AppError ALERT_RULE_NOT_FOUND */
    async get(projectId: number, id: number): Promise<AlertRuleDetail> {
      const rule = await requireRule(database.db, projectId, id);
      return { ...publicRule(rule), transitions: await store.transitions(database.db, id, 100) };
    },

    /**
     * Changes a rule's name, metric (and score name), condition, window, minimum sample or enabled
     * flag. The state stays: the next evaluation decides it under the new condition (a firing rule
     * that no longer breaches resolves, with its transition and event). The audit event holds the
     * changed fields before and after.
     *
     * @throws AppError ALERT_RULE_NOT_FOUND, VALIDATION_FAILED (scoreMean without a score name, a
     * score name for another metric)
     */
    async update(
      projectId: number,
      id: number,
      request: UpdateAlertRuleRequest,
      actor: string,
    ): Promise<AlertRule> {
      const rule = await database.db.transaction().execute(async (trx) => {
        const before = await requireRule(trx, projectId, id);
        const metric = request.metric ?? before.metric;
        const score = metric === 'scoreMean' ? (request.score ?? before.score) : null;
        if (metric === 'scoreMean' && score === null) {
          throw new AppError(
            'VALIDATION_FAILED',
            `Alert rule "${before.name}" would watch scoreMean without a score name: send "score" with the metric.`,
            { errors: [{ path: 'score', message: 'scoreMean needs the score name' }] },
          );
        }
        if (metric !== 'scoreMean' && request.score !== undefined) {
          throw new AppError(
            'VALIDATION_FAILED',
            `Alert rule "${before.name}" watches ${metric}, which takes no score name: change the metric to scoreMean with it.`,
            { errors: [{ path: 'score', message: 'only scoreMean takes a score name' }] },
          );
        }
        const watched = metric !== before.metric || score !== before.score;
        const updated = await store.update(trx, id, {
          ...request,
          metric,
          score,
          // The last value was of the metric the rule no longer watches.
          ...(watched ? { lastValue: null } : {}),
          updatedAt: isoNow(clock),
        });
        const changed = (Object.keys(request) as (keyof UpdateAlertRuleRequest)[]).concat(
          watched ? ['metric', 'score'] : [],
        );
        const pick = (r: AlertRule) =>
          Object.fromEntries([...new Set(changed)].map((k) => [k, r[k] ?? null]));
        await audit.append(trx, {
          projectId,
          actor,
          action: 'alert_rule.update',
          targetType: 'alert_rule',
          target: String(id),
          data: { before: pick(before), after: pick(updated) },
        });
        return updated;
      });
      return publicRule(rule);
    },

    /** @throws AppError ALERT_RULE_NOT_FOUND */
    async remove(projectId: number, id: number, actor: string): Promise<void> {
      await database.db.transaction().execute(async (trx) => {
        const rule = await requireRule(trx, projectId, id);
        await store.remove(trx, id);
        await audit.append(trx, {
          projectId,
          actor,
          action: 'alert_rule.delete',
          targetType: 'alert_rule',
          target: String(id),
          data: { before: { name: rule.name } },
        });
      });
    },

    /** One evaluation pass in its own transactions (benchmarks and tests drive it directly). */
    evaluateAll: () => evaluateAll((fn) => database.db.transaction().execute(fn)),
  };
}

export type AlertService = ReturnType<typeof createAlertService>;
