/**
 * Guardrail history: what each check of a running rollout found, kept compact. A check writes a
 * guardrail's point only when it says something new:
 * - the first check, and every change of verdict (a regression is always kept: it is the evidence);
 * - otherwise only when the figures moved AND the last point is older than 1 % of the rollout's
 *   age, so points thin out as a rollout grows old (about 100 per tenfold of age: a week-long
 *   rollout checked every 5 s keeps ~1 200 points per guardrail instead of 120 000);
 * - at most MAX_POINTS per guardrail (then only regressions), whatever happens.
 * The check pays two indexed reads and at most one multi-row insert.
 */
import type { GuardrailPoint, GuardrailState, RolloutChecks } from '@promptline/core';
import type { Db } from '../db/database.ts';
import { createGuardrailHistoryStore, type StoredPoint } from './history-store.ts';
import type { StoredRollout } from './store.ts';

export const MAX_POINTS = 2_000;
const AGE_SHARE = 0.01;

const same = (a: GuardrailPoint, b: GuardrailPoint) =>
  a.n.control === b.n.control &&
  a.n.candidate === b.n.candidate &&
  a.control === b.control &&
  a.candidate === b.candidate &&
  a.interval?.[0] === b.interval?.[0] &&
  a.interval?.[1] === b.interval?.[1];

/** Whether `next` is worth a row after `last` (of which there are `count`), at `nowMs` into a rollout started at `startMs`. */
export function worthRecording(
  next: GuardrailPoint,
  previous: { last: GuardrailPoint; count: number } | undefined,
  startMs: number,
  nowMs: number,
): boolean {
  if (!previous) return true;
  if (next.verdict === 'regression' && previous.last.verdict !== 'regression') return true;
  if (previous.count >= MAX_POINTS) return false;
  if (next.verdict !== previous.last.verdict) return true;
  if (same(next, previous.last)) return false;
  return nowMs - Date.parse(previous.last.at) >= (nowMs - startMs) * AGE_SHARE;
}

export function createGuardrailHistory() {
  const store = createGuardrailHistoryStore();
  return {
    /** Records what a check found (inside the check's transaction). */
    async record(trx: Db, r: StoredRollout, states: readonly GuardrailState[], at: string): Promise<void> {
      const latest = await store.latest(trx, r.id);
      const nowMs = Date.parse(at);
      const points: StoredPoint[] = [];
      for (const s of states) {
        const point: StoredPoint = {
          metric: s.metric,
          at,
          step: r.step,
          verdict: s.verdict,
          control: s.control,
          candidate: s.candidate,
          interval: s.interval,
          threshold: s.threshold,
          n: s.n,
        };
        if (worthRecording(point, latest.get(s.metric), Date.parse(r.startedAt), nowMs)) points.push(point);
      }
      await store.insert(trx, r.projectId, r.id, points);
    },

    /** The history of a rollout, grouped by guardrail in the order the rollout lists them. */
    async read(db: Db, r: Pick<StoredRollout, 'id' | 'guardrails'>): Promise<RolloutChecks> {
      const byMetric = new Map<string, GuardrailPoint[]>(r.guardrails.map((g) => [g.metric, []]));
      for (const { metric, ...point } of await store.list(db, r.id)) {
        const list = byMetric.get(metric) ?? [];
        list.push(point);
        byMetric.set(metric, list);
      }
      return { rollout: r.id, guardrails: [...byMetric].map(([metric, points]) => ({ metric, points })) };
    },
  };
}

export type GuardrailHistory = ReturnType<typeof createGuardrailHistory>;
