/**
 * Sampling at ingestion: inside the transaction that writes a batch of spans, the spans that name
 * a prompt and environment with an enabled rule are chosen by a hash of their ids (so a resent
 * batch never samples twice), queued in `online_eval_pending` and handed to one grading job. All
 * of it commits with the spans, or none of it does.
 *
 * Cost when no rule exists: one map lookup per batch (the project's rules are cached), nothing
 * per span but a null check.
 */
import { murmurhash3 } from '@promptline/core';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import type { JobService } from '../jobs/service.ts';
import type { SpanRecorded } from '../traces/sink.ts';
import type { OnlineEvalStore, StoredRule } from './store.ts';

export const GRADE_JOB = 'online-evals.grade';
/** How long a project's rules are trusted before they are read again (other instances' changes). */
const CACHE_MS = 5_000;
const TWO_32 = 2 ** 32;

/** Where in [0, 1) a span falls for a rule: the same span, the same place, on every instance. */
export function samplePoint(ruleId: number, traceId: string, spanId: string): number {
  return murmurhash3(`${traceId}:${spanId}`, ruleId) / TWO_32;
}

export const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

type RulesByTarget = ReadonlyMap<string, readonly StoredRule[]>;
const targetKey = (prompt: string, environment: string) => `${prompt}\u0000${environment}`;

export function createSampler(options: {
  store: OnlineEvalStore;
  clock: Clock;
  jobs: Pick<JobService, 'enqueue'>;
}) {
  const { store, clock, jobs } = options;
  const cache = new Map<number, { until: number; rules: RulesByTarget }>();

  async function rulesOf(trx: Db, projectId: number): Promise<RulesByTarget> {
    const now = clock.now().getTime();
    const hit = cache.get(projectId);
    if (hit && hit.until > now) return hit.rules;
    // Read through the writing transaction: on SQLite it holds the only connection.
    const byTarget = new Map<string, StoredRule[]>();
    for (const rule of await store.sampling(trx, projectId)) {
      const key = targetKey(rule.prompt, rule.environment);
      byTarget.set(key, [...(byTarget.get(key) ?? []), rule]);
    }
    cache.set(projectId, { until: now + CACHE_MS, rules: byTarget });
    return byTarget;
  }

  return {
    /** Forgets a project's cached rules (after a change on this instance). */
    forget(projectId: number): void {
      cache.delete(projectId);
    },

    /** The sink hook: samples written spans inside their transaction. */
    async spansWritten(trx: Db, spans: readonly SpanRecorded[]): Promise<void> {
      let rules: RulesByTarget | undefined;
      const picked: Array<{ rule: StoredRule; span: SpanRecorded; traceId: string; spanId: string }> = [];
      for (const span of spans) {
        if (span.promptName === null || span.environment === null) continue;
        if (span.traceId === undefined || span.spanId === undefined) continue;
        rules ??= await rulesOf(trx, span.projectId);
        if (rules.size === 0) return;
        const matching = rules.get(targetKey(span.promptName, span.environment));
        if (!matching) continue;
        for (const rule of matching) {
          if (rule.version !== null && rule.version !== span.promptVersion) continue;
          if (samplePoint(rule.id, span.traceId, span.spanId) < rule.samplingRate) {
            picked.push({ rule, span, traceId: span.traceId, spanId: span.spanId });
          }
        }
      }
      if (picked.length === 0) return;
      const now = clock.now().getTime();
      const sampledAt = new Date(now).toISOString();
      const queued = await store.enqueue(
        trx,
        picked.map(({ rule, span, traceId, spanId }) => ({
          project_id: rule.projectId,
          rule_id: rule.id,
          trace_id: traceId,
          span_id: spanId,
          span_start_ms: Math.floor(span.startMs),
          sampled_at: sampledAt,
        })),
      );
      if (queued.length === 0) return;
      const perRule = new Map<number, number>();
      for (const q of queued) perRule.set(q.rule_id, (perRule.get(q.rule_id) ?? 0) + 1);
      const projectId = picked[0]?.rule.projectId ?? 0;
      for (const [ruleId, sampled] of perRule) {
        await store.count(trx, projectId, ruleId, dayOf(now), { sampled });
      }
      await jobs.enqueue(trx, {
        kind: GRADE_JOB,
        projectId,
        payload: { pending: queued.map((q) => q.id) },
      });
    },
  };
}

export type Sampler = ReturnType<typeof createSampler>;
