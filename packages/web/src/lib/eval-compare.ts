import type { EvalComparison } from '@promptline/core';
import type { EvalResult, EvalRun } from '../api/evals.ts';

/** How a cell's verdict moved against the baseline run. */
export type CellChange = { kind: 'regression' | 'fix'; before: { pass: boolean; score: number } };

/** Identity of a matrix cell across the comparison and the results: case × version × model × repeat. */
export function cellId(r: Pick<EvalResult, 'caseIndex' | 'version' | 'model' | 'repeat'>): string {
  return `${r.caseIndex}|${r.version ?? 'prompt'}|${r.model}|${r.repeat}`;
}

/** The comparison's regressions and fixes, looked up by {@link cellId}. */
export function changesByCell(comparison: EvalComparison): Map<string, CellChange> {
  const out = new Map<string, CellChange>();
  for (const c of comparison.fixes) out.set(cellId(c), { kind: 'fix', before: c.before });
  // Regressions win if the server ever listed a cell in both.
  for (const c of comparison.regressions) out.set(cellId(c), { kind: 'regression', before: c.before });
  return out;
}

/**
 * The run to compare with when the URL names none: the run's own baseline, else the newest earlier
 * finished run of the same prompt on the same dataset (what "did this change make it worse?" means
 * for a prompt engineer iterating). Null when there is none.
 */
export function defaultBaseline(run: EvalRun, candidates: readonly EvalRun[]): number | null {
  if (run.baseline !== null) return run.baseline;
  const earlier = candidates
    .filter(
      (c) =>
        c.id !== run.id &&
        c.status === 'completed' &&
        c.prompt === run.prompt &&
        c.dataset?.name === run.dataset?.name &&
        c.createdAt <= run.createdAt,
    )
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id);
  return earlier[0]?.id ?? null;
}

/** `+3 pts`, `−12 pts`, `±0 pts` for a difference of two rates in [0, 1]. */
export function formatPoints(delta: number): string {
  const pts = Math.round(delta * 100);
  if (pts === 0) return '±0 pts';
  return pts > 0 ? `+${pts} pts` : `−${-pts} pts`;
}

/** `+0.25`, `−0.10`, `±0.00` for a mean score delta. */
export function formatScoreDelta(delta: number): string {
  const text = Math.abs(delta).toFixed(2);
  if (text === '0.00') return '±0.00';
  return delta > 0 ? `+${text}` : `−${text}`;
}
