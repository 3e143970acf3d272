import type { GuardrailPoint } from '@promptline/core';
import type { Generated, Selectable } from 'kysely';
import type { Db } from '../db/database.ts';

/** A recorded point with the guardrail it belongs to. */
export interface StoredPoint extends GuardrailPoint {
  metric: string;
}

interface ChecksTable {
  id: Generated<number>;
  project_id: number;
  rollout_id: number;
  at: string;
  step: number;
  metric: string;
  verdict: string;
  control: number | null;
  candidate: number | null;
  low: number | null;
  high: number | null;
  threshold: number | null;
  n_control: number;
  n_candidate: number;
}

const own = (db: Db) => db.withTables<{ rollout_checks: ChecksTable }>();
const VERDICTS: readonly GuardrailPoint['verdict'][] = ['pass', 'regression', 'insufficient', 'pending'];
// PostgreSQL answers double precision as numbers, but counts and aggregates can come back as strings.
const num = (x: number | string | null) => (x === null ? null : Number(x));

function toPoint(row: Selectable<ChecksTable>): StoredPoint {
  const low = num(row.low);
  const high = num(row.high);
  return {
    metric: row.metric,
    at: row.at,
    step: row.step,
    verdict: VERDICTS.find((v) => v === row.verdict) ?? 'pending',
    control: num(row.control),
    candidate: num(row.candidate),
    interval: low === null || high === null ? null : [low, high],
    threshold: num(row.threshold),
    n: { control: row.n_control, candidate: row.n_candidate },
  };
}

/** SQL of the guardrail history (`rollout_checks`). */
export function createGuardrailHistoryStore() {
  return {
    async insert(
      db: Db,
      projectId: number,
      rolloutId: number,
      points: readonly StoredPoint[],
    ): Promise<void> {
      if (points.length === 0) return;
      await own(db)
        .insertInto('rollout_checks')
        .values(
          points.map((p) => ({
            project_id: projectId,
            rollout_id: rolloutId,
            at: p.at,
            step: p.step,
            metric: p.metric,
            verdict: p.verdict,
            control: p.control,
            candidate: p.candidate,
            low: p.interval?.[0] ?? null,
            high: p.interval?.[1] ?? null,
            threshold: p.threshold,
            n_control: p.n.control,
            n_candidate: p.n.candidate,
          })),
        )
        .execute();
    },

    /** The newest point of each guardrail and how many each has (what the thinning rule needs). */
    async latest(db: Db, rolloutId: number): Promise<Map<string, { last: StoredPoint; count: number }>> {
      const heads = await own(db)
        .selectFrom('rollout_checks')
        .select((eb) => ['metric', eb.fn.max('id').as('last'), eb.fn.countAll().as('count')])
        .where('rollout_id', '=', rolloutId)
        .groupBy('metric')
        .execute();
      if (heads.length === 0) return new Map();
      const rows = await own(db)
        .selectFrom('rollout_checks')
        .selectAll()
        .where(
          'id',
          'in',
          heads.map((h) => Number(h.last)),
        )
        .execute();
      const counts = new Map(heads.map((h) => [h.metric, Number(h.count)]));
      return new Map(
        rows.map((row) => [row.metric, { last: toPoint(row), count: counts.get(row.metric) ?? 0 }]),
      );
    },

    /** Every point of a rollout, oldest first. */
    async list(db: Db, rolloutId: number): Promise<StoredPoint[]> {
      const rows = await own(db)
        .selectFrom('rollout_checks')
        .selectAll()
        .where('rollout_id', '=', rolloutId)
        .orderBy('id')
        .execute();
      return rows.map(toPoint);
    },
  };
}

export type GuardrailHistoryStore = ReturnType<typeof createGuardrailHistoryStore>;
