/**
 * Per-unit statistics of a prompt's spans for experiments: each bucketing unit (the span's `unit`,
 * else its `userId`) is one observation — the mean of the metric over its calls — and each version
 * gets the moments of those observations. Two levels of grouping, both in SQL, so the answer costs
 * one scan of the window whatever the number of units.
 */
import { type RawBuilder, sql } from 'kysely';
import { toNumber } from '../db/codecs.ts';
import type { Db } from '../db/database.ts';

export interface UnitMoments {
  version: number;
  /** Distinct units that made calls to the version in the window. */
  units: number;
  /** Units with a value of the metric, and the sum and sum of squares of their values. */
  n: number;
  sum: number;
  sumSq: number;
}

export interface UnitQuery {
  projectId: number;
  prompt: string;
  environment: string;
  versions: readonly number[];
  fromMs: number;
  toMs: number;
  /** `errorRate`, `latency`, `costPerCall` or `score:<name>`. */
  metric: string;
}

function perUnitValue(metric: string): RawBuilder<unknown> {
  if (metric === 'errorRate') return sql`sum(case when sp.status = 'error' then 1.0 else 0.0 end) / count(*)`;
  if (metric === 'latency') return sql`avg(sp.duration_ms)`;
  if (metric === 'costPerCall') return sql`avg(sp.cost_usd)`;
  return sql`avg(sc.value_number)`;
}

/** Moments of the per-unit metric for each version (versions without units are left out). */
export async function unitMoments(db: Db, q: UnitQuery): Promise<UnitMoments[]> {
  if (q.versions.length === 0) return [];
  const score = q.metric.startsWith('score:') ? q.metric.slice('score:'.length) : null;
  const join =
    score === null
      ? sql``
      : sql`left join scores sc on sc.project_id = sp.project_id and sc.trace_id = sp.trace_id
              and sc.span_id = sp.span_id and sc.name = ${score} and sc.value_number is not null`;
  const versions = sql.join(q.versions.map((v) => sql`${v}`));
  const result = await sql<{
    version: unknown;
    units: unknown;
    n: unknown;
    total: unknown;
    total_sq: unknown;
  }>`
    select version, count(*) as units, count(v) as n, sum(v) as total, sum(v * v) as total_sq
    from (
      select sp.prompt_version as version, coalesce(sp.unit, sp.user_id) as u, ${perUnitValue(q.metric)} as v
      from spans sp ${join}
      where sp.project_id = ${q.projectId} and sp.prompt_name = ${q.prompt} and sp.environment = ${q.environment}
        and sp.start_ms >= ${q.fromMs} and sp.start_ms < ${q.toMs}
        and sp.prompt_version in (${versions})
        and coalesce(sp.unit, sp.user_id) is not null
      group by sp.prompt_version, coalesce(sp.unit, sp.user_id)
    ) per_unit
    group by version
  `.execute(db);
  return result.rows.map((row) => ({
    version: toNumber(row.version),
    units: toNumber(row.units),
    n: toNumber(row.n),
    sum: row.total === null ? 0 : toNumber(row.total),
    sumSq: row.total_sq === null ? 0 : toNumber(row.total_sq),
  }));
}
