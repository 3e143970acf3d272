import { describe, expect, it } from 'vitest';
import type { EvalResult } from '../api/evals.ts';
import { buildMatrix, columnKey, filterRows, runTotals } from './eval-matrix.ts';

let id = 0;
const r = (caseIndex: number, version: number | null, pass: boolean, repeat = 0): EvalResult => ({
  id: ++id,
  caseIndex,
  itemId: caseIndex + 1,
  repeat,
  version,
  model: 'mock:mock-1',
  description: null,
  variables: {},
  output: '',
  error: null,
  pass,
  score: pass ? 1 : 0,
  reason: '',
  latencyMs: 1,
  tokens: { input: null, output: null },
  costUsd: null,
  cached: false,
  assertions: [],
});

describe('buildMatrix', () => {
  it('puts cases in rows and version × model in columns, with pass counts', () => {
    const m = buildMatrix([r(1, 2, false), r(0, 1, true), r(0, 2, true), r(1, 1, true)]);
    expect(m.columns.map((c) => [c.key, c.passed, c.total])).toEqual([
      ['v1 · mock:mock-1', 2, 2],
      ['v2 · mock:mock-1', 1, 2],
    ]);
    expect(m.rows.map((row) => row.cells.map((c) => c?.pass))).toEqual([
      [true, true],
      [true, false],
    ]);
  });

  it('gives repeats and unversioned (CLI) prompts their own columns', () => {
    expect(columnKey(r(0, null, true))).toBe('prompt · mock:mock-1');
    const m = buildMatrix([r(0, 1, true, 1), r(0, 1, false, 0)]);
    expect(m.columns.map((c) => c.key)).toEqual(['v1 · mock:mock-1', 'v1 · mock:mock-1 · #2']);
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

describe('runTotals', () => {
  it('computes the pass rate over the cells done so far, none before the first', () => {
    const progress = { done: 4, total: 8, passed: 3, failed: 1, errors: 0, costUsd: 0.5 };
    expect(runTotals({ progress })).toMatchObject({ passRate: 0.75, done: 4, total: 8, costUsd: 0.5 });
    expect(runTotals({ progress: { ...progress, done: 0, passed: 0, failed: 0 } }).passRate).toBeNull();
  });
});
