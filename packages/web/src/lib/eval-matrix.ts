import type { EvalResult } from '../api/evals.ts';

/** A column of the eval matrix: one version on one model. */
export interface MatrixColumn {
  key: string;
  version: number;
  model: string;
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

/** Arranges flat results into cases × (version, model), columns ordered by version then model. */
export function buildMatrix(results: readonly EvalResult[]): EvalMatrix {
  const columns = new Map<string, MatrixColumn>();
  const rows = new Map<number, Map<string, EvalResult>>();
  for (const r of results) {
    const key = `v${r.version} · ${r.model}`;
    let col = columns.get(key);
    if (!col) {
      col = { key, version: r.version, model: r.model, passed: 0, total: 0 };
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
  const cols = [...columns.values()].sort((a, b) => a.version - b.version || a.model.localeCompare(b.model));
  return {
    columns: cols,
    rows: [...rows.entries()]
      .sort(([a], [b]) => a - b)
      .map(([caseIndex, cells]) => ({ caseIndex, cells: cols.map((c) => cells.get(c.key) ?? null) })),
  };
}

/**
 * Rows worth a reviewer's eye: `failures` keeps rows with any failing cell; `regressions` keeps
 * rows where a later column fails a case an earlier column (the baseline) passed.
 */
export function filterRows(matrix: EvalMatrix, mode: 'all' | 'failures' | 'regressions'): MatrixRow[] {
  if (mode === 'all') return matrix.rows;
  if (mode === 'failures') return matrix.rows.filter((r) => r.cells.some((c) => c !== null && !c.pass));
  return matrix.rows.filter((r) => {
    const base = r.cells[0];
    return base?.pass === true && r.cells.slice(1).some((c) => c !== null && !c.pass);
  });
}
