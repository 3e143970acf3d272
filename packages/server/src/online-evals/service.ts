/**
 * Online evaluations: rules per prompt and environment, sampling at ingestion (sampler.ts), and
 * the grading job (grade-job.ts). The job grades each sampled span with the eval engine and writes its scores
 * (`source: 'eval'`) through the trace service — so they count in metrics, charts, alerts and
 * guardrails — together with the rule's counters and the span's removal from the queue, in one
 * transaction: a span is graded once however often its job runs. Judge calls that fail are
 * counted and the job is retried with backoff; after the last attempt the spans left are counted
 * failed. Judge spend is counted per rule per UTC day; once it reaches the rule's budget, sampled
 * spans are skipped (`skippedBudget`) until the next day.
 */
import {
  AppError,
  type CreateOnlineEvalRequest,
  needsJudge,
  type OnlineEvalRule,
  type OnlineEvalRuleDetail,
  type UpdateOnlineEvalRequest,
} from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import type { EnvironmentService } from '../environments/service.ts';
import type { JobService } from '../jobs/service.ts';
import type { PromptService } from '../prompts/service.ts';
import type { TraceService } from '../traces/service.ts';
import type { Grader } from './grade.ts';
import { registerGradeJob } from './grade-job.ts';
import { createSampler, dayOf } from './sampler.ts';
import { createOnlineEvalStore, emptyDay, type StoredRule } from './store.ts';

/** Days of counters `GET /api/v1/online-evals/{id}` shows. */
const HISTORY_DAYS = 30;

function notFound(id: number): AppError {
  return new AppError('ONLINE_EVAL_NOT_FOUND', `No online evaluation ${id} in this project.`, {
    hint: 'List a prompt’s online evaluations with GET /api/v1/prompts/{name}/online-evals.',
  });
}

export interface OnlineEvalServiceOptions {
  database: Database;
  clock: Clock;
  audit: AuditService;
  jobs: Pick<JobService, 'register' | 'enqueue'>;
  prompts: Pick<PromptService, 'get' | 'getVersion'>;
  environments: Pick<EnvironmentService, 'get'>;
  traces: Pick<TraceService, 'spanForEval' | 'scoreWriter'>;
  grade: Grader;
}

export function createOnlineEvalService(options: OnlineEvalServiceOptions) {
  const { database, clock, audit } = options;
  const store = createOnlineEvalStore(
    (name) =>
      new AppError(
        'ONLINE_EVAL_EXISTS',
        `The prompt already has an online evaluation named "${name}". Pick another name, or change that one with PATCH /api/v1/online-evals/{id}.`,
      ),
  );
  const sampler = createSampler({ store, clock, jobs: options.jobs });
  const today = () => dayOf(clock.now().getTime());

  async function requireRule(db: Db, projectId: number, id: number): Promise<StoredRule> {
    const rule = await store.find(db, projectId, id);
    if (!rule) throw notFound(id);
    return rule;
  }

  /** Rules with today's counters and their queue lengths. */
  async function withCounters(rules: StoredRule[]): Promise<OnlineEvalRule[]> {
    const ids = rules.map((r) => r.id);
    const day = today();
    const [days, pending] = await Promise.all([
      store.daysOf(database.db, ids, day),
      store.pendingCounts(database.db, ids),
    ]);
    return rules.map(({ projectId: _p, ...rule }) => ({
      ...rule,
      today: days.get(rule.id) ?? emptyDay(day),
      pending: pending.get(rule.id) ?? 0,
    }));
  }

  /** The prompt, its version and the environment exist; a model-graded assertion has a judge. */
  async function checkTarget(
    projectId: number,
    rule: Pick<StoredRule, 'prompt' | 'environment' | 'version' | 'assertions' | 'judge'>,
  ): Promise<void> {
    await options.prompts.get(projectId, rule.prompt);
    if (rule.version !== null) await options.prompts.getVersion(projectId, rule.prompt, rule.version);
    await options.environments.get(projectId, rule.environment);
    if (rule.judge === null && rule.assertions.some(needsJudge)) {
      throw new AppError(
        'VALIDATION_FAILED',
        'Model-graded assertions need a judge: set "judge" to {"provider": "mock", "model": "judge"} or a stored provider and model.',
        { errors: [{ path: 'judge', message: 'required by the model-graded assertions' }] },
      );
    }
  }

  registerGradeJob({
    database,
    clock,
    store,
    jobs: options.jobs,
    traces: options.traces,
    grade: options.grade,
  });

  return {
    sampler,

    async create(
      projectId: number,
      prompt: string,
      request: CreateOnlineEvalRequest,
      actor: string,
    ): Promise<OnlineEvalRule> {
      const fields = {
        prompt,
        name: request.name,
        environment: request.environment,
        version: request.version ?? null,
        samplingRate: request.samplingRate,
        assertions: request.assertions,
        judge: request.judge ?? null,
        dailyBudgetUsd: request.dailyBudgetUsd,
        enabled: request.enabled,
        updatedAt: isoNow(clock),
      };
      await checkTarget(projectId, fields);
      const rule = await database.db.transaction().execute(async (trx) => {
        const created = await store.insert(trx, projectId, fields, actor, fields.updatedAt);
        await audit.append(trx, {
          projectId,
          actor,
          action: 'online_eval.create',
          targetType: 'online_eval',
          target: String(created.id),
          data: { after: { prompt, ...request } },
        });
        return created;
      });
      sampler.forget(projectId);
      const [shown] = await withCounters([rule]);
      if (!shown) throw notFound(rule.id);
      return shown;
    },

    /** Rules of a prompt with today's counters. @throws AppError PROMPT_NOT_FOUND */
    async listOfPrompt(projectId: number, prompt: string): Promise<OnlineEvalRule[]> {
      await options.prompts.get(projectId, prompt);
      return withCounters(await store.list(database.db, projectId, prompt));
    },

    /** One rule with its counters of the last 30 days. @throws AppError ONLINE_EVAL_NOT_FOUND */
    async get(projectId: number, id: number): Promise<OnlineEvalRuleDetail> {
      const [rule] = await withCounters([await requireRule(database.db, projectId, id)]);
      if (!rule) throw notFound(id);
      return { ...rule, days: await store.history(database.db, id, HISTORY_DAYS) };
    },

    /** @throws AppError ONLINE_EVAL_NOT_FOUND, ONLINE_EVAL_EXISTS, VALIDATION_FAILED */
    async update(
      projectId: number,
      id: number,
      request: UpdateOnlineEvalRequest,
      actor: string,
    ): Promise<OnlineEvalRule> {
      const before = await requireRule(database.db, projectId, id);
      const changes = { ...request, updatedAt: isoNow(clock) };
      await checkTarget(projectId, { ...before, ...request });
      const rule = await database.db.transaction().execute(async (trx) => {
        await requireRule(trx, projectId, id);
        const updated = await store.update(trx, id, changes, request.name ?? before.name);
        await audit.append(trx, {
          projectId,
          actor,
          action: 'online_eval.update',
          targetType: 'online_eval',
          target: String(id),
          data: { after: { ...request } },
        });
        return updated;
      });
      sampler.forget(projectId);
      const [shown] = await withCounters([rule]);
      if (!shown) throw notFound(id);
      return shown;
    },

    /** Deletes a rule, its counters and its queue (scores already written stay). */
    async remove(projectId: number, id: number, actor: string): Promise<void> {
      await database.db.transaction().execute(async (trx) => {
        const rule = await requireRule(trx, projectId, id);
        await store.remove(trx, id);
        await audit.append(trx, {
          projectId,
          actor,
          action: 'online_eval.delete',
          targetType: 'online_eval',
          target: String(id),
          data: { before: { prompt: rule.prompt, name: rule.name } },
        });
      });
      sampler.forget(projectId);
    },
  };
}

export type OnlineEvalService = ReturnType<typeof createOnlineEvalService>;
