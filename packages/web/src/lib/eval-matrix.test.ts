import { describe, expect, it } from 'vitest';
import type { EvalResult } from '../api/evals.ts';
import { buildMatrix, filterRows } from './eval-matrix.ts';

const r = (caseIndex: number, version: number, pass: boolean): EvalResult => ({
  caseIndex,
  version,
  model: 'mock-1',
  output: '',
  pass,
  score: null,
  assertions: [],
});

describe('buildMatrix', () => {
  it('puts cases in rows and version × model in columns, with pass counts', () => {
    const m = buildMatrix([r(1, 2, false), r(0, 1, true), r(0, 2, true), r(1, 1, true)]);
    expect(m.columns.map((c) => [c.key, c.passed, c.total])).toEqual([
      ['v1 · mock-1', 2, 2],
      ['v2 · mock-1', 1, 2],
    ]);
    expect(m.rows.map((row) => row.cells.map((c) => c?.pass))).toEqual([
      [true, true],
      [true, false],
    ]);
  });

  it('filters to failures and to regressions against the first column', () => {
    const m = buildMatrix([
      r(0, 1, true),
      r(0, 2, false),
      r(1, 1, false),
      r(1, 2, false),
      r(2, 1, true),
      r(2, 2, true),
    ]);
    expect(filterRows(m, 'failures').map((x) => x.caseIndex)).toEqual([0, 1]);
    expect(filterRows(m, 'regressions').map((x) => x.caseIndex)).toEqual([0]);
    expect(filterRows(m, 'all')).toHaveLength(3);
  });
});
