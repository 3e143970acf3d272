import type { EvalResult, EvalRun } from '../api/evals.ts';

/** A column of the eval matrix: one version on one model (and one repeat, when a run repeats cases). */
export interface MatrixColumn {
  key: string;
  version: number | null;
  model: string;
  repeat: number;
  passed: number;
  total: number;
}

export interface MatrixRow {
  caseIndex: number;
  cells: (EvalResult | null)[];
}

export interface EvalMatrix {
  columns: MatrixColumn[];
  rows: MatrixRow[];
}

/** The column label of a result: `v2 · mock-1`, `v2 · mock-1 · #2` for a repeat. */
export function columnKey(r: Pick<EvalResult, 'version' | 'model' | 'repeat'>): string {
  const version = r.version === null ? 'prompt' : `v${r.version}`;
  return `${version} · ${r.model}${r.repeat > 0 ? ` · #${r.repeat + 1}` : ''}`;
}

/** Arranges flat results into cases × (version, model), columns ordered by version, model, repeat. */
export function buildMatrix(results: readonly EvalResult[]): EvalMatrix {
  const columns = new Map<string, MatrixColumn>();
  const rows = new Map<number, Map<string, EvalResult>>();
  for (const r of results) {
    const key = columnKey(r);
    let col = columns.get(key);
    if (!col) {
      col = { key, version: r.version, model: r.model, repeat: r.repeat, passed: 0, total: 0 };
      columns.set(key, col);
    }
    col.total++;
    if (r.pass) col.passed++;
    let row = rows.get(r.caseIndex);
    if (!row) {
      row = new Map();
      rows.set(r.caseIndex, row);
    }
    row.set(key, r);
  }
  const cols = [...columns.values()].sort(
    (a, b) => (a.version ?? 0) - (b.version ?? 0) || a.model.localeCompare(b.model) || a.repeat - b.repeat,
  );
  return {
    columns: cols,
    rows: [...rows.entries()]
      .sort(([a], [b]) => a - b)
      .map(([caseIndex, cells]) => ({ caseIndex, cells: cols.map((c) => cells.get(c.key) ?? null) })),
  };
}

/**
 * Rows worth a reviewer's eye: `failures` keeps rows with any failing cell; `regressions` keeps
 * rows with a cell that passed in the baseline run and fails now (`isRegression`, from the server's
 * comparison). Without a baseline run, a regression is a case the first column (the oldest
 * version) passes and a later column fails.
 */
export function filterRows(
  matrix: EvalMatrix,
  mode: 'all' | 'failures' | 'regressions',
  isRegression?: (cell: EvalResult) => boolean,
): MatrixRow[] {
  if (mode === 'all') return matrix.rows;
  if (mode === 'failures') return matrix.rows.filter((r) => r.cells.some((c) => c !== null && !c.pass));
  if (isRegression) return matrix.rows.filter((r) => r.cells.some((c) => c !== null && isRegression(c)));
  return matrix.rows.filter((r) => {
    const base = r.cells[0];
    return base?.pass === true && r.cells.slice(1).some((c) => c !== null && !c.pass);
  });
}

/** A run's overall figures from its progress counters (live while it runs, final after). */
export function runTotals(run: Pick<EvalRun, 'progress'>): {
  total: number;
  done: number;
  passed: number;
  failed: number;
  errors: number;
  passRate: number | null;
  costUsd: number;
} {
  const { done, total, passed, failed, errors, costUsd } = run.progress;
  return { total, done, passed, failed, errors, costUsd, passRate: done > 0 ? passed / done : null };
}
