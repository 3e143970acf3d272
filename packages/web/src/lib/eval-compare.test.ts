import type { EvalCaseChange, EvalComparison } from '@promptline/core';
import { describe, expect, it } from 'vitest';
import type { EvalResult, EvalRun } from '../api/evals.ts';
import { cellId, changesByCell, defaultBaseline, formatPoints, formatScoreDelta } from './eval-compare.ts';
import { buildMatrix, filterRows } from './eval-matrix.ts';

let id = 0;
const result = (caseIndex: number, version: number, pass: boolean): EvalResult => ({
  id: ++id,
  caseIndex,
  itemId: caseIndex + 1,
  repeat: 0,
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

const change = (caseIndex: number, version: number, before: boolean): EvalCaseChange => ({
  itemId: caseIndex + 1,
  caseIndex,
  version,
  model: 'mock:mock-1',
  repeat: 0,
  before: { pass: before, score: before ? 1 : 0 },
  after: { pass: !before, score: before ? 0 : 1, reason: '' },
});

const counts = { compared: 3, regressions: 1, fixes: 1, added: 0, meanScoreDelta: 0 };
const comparison = (regressions: EvalCaseChange[], fixes: EvalCaseChange[]): EvalComparison => ({
  run: 2,
  baseline: 1,
  overall: counts,
  groups: [],
  regressions,
  fixes,
});

const run = (over: Partial<EvalRun>): EvalRun => ({
  id: 1,
  prompt: 'support/triage',
  source: 'server',
  status: 'completed',
  versions: [1],
  dataset: { name: 'cases', revision: 1 },
  models: ['mock:mock-1'],
  progress: { done: 1, total: 1, passed: 1, failed: 0, errors: 0, costUsd: 0 },
  summary: null,
  thresholds: null,
  thresholdsMet: null,
  verdicts: [],
  baseline: null,
  error: null,
  createdBy: 'admin',
  createdAt: '2026-03-01T10:00:00.000Z',
  startedAt: null,
  finishedAt: null,
  ...over,
});

describe('changesByCell', () => {
  it('finds the regressions and fixes of the comparison by matrix cell', () => {
    const changes = changesByCell(comparison([change(0, 3, true)], [change(2, 3, false)]));
    expect(changes.get(cellId(result(0, 3, false)))?.kind).toBe('regression');
    expect(changes.get(cellId(result(2, 3, true)))?.kind).toBe('fix');
    expect(changes.get(cellId(result(1, 3, false)))).toBeUndefined();
    // Same case on another version is another cell.
    expect(changes.get(cellId(result(0, 2, false)))).toBeUndefined();
  });

  it('drives the regressions filter instead of the first-column rule when a baseline run is picked', () => {
    // Every column fails case 0 (no regression between columns), but the baseline run passed it.
    const m = buildMatrix([
      result(0, 2, false),
      result(0, 3, false),
      result(1, 2, true),
      result(1, 3, false),
    ]);
    expect(filterRows(m, 'regressions').map((r) => r.caseIndex)).toEqual([1]);
    const changes = changesByCell(comparison([change(0, 3, true)], []));
    const isRegression = (c: EvalResult) => changes.get(cellId(c))?.kind === 'regression';
    expect(filterRows(m, 'regressions', isRegression).map((r) => r.caseIndex)).toEqual([0]);
    expect(filterRows(m, 'failures', isRegression).map((r) => r.caseIndex)).toEqual([0, 1]);
  });
});

describe('defaultBaseline', () => {
  it("prefers the run's own baseline", () => {
    expect(defaultBaseline(run({ id: 5, baseline: 2 }), [run({ id: 4 })])).toBe(2);
  });

  it('falls back to the newest earlier completed run of the same prompt and dataset', () => {
    const current = run({ id: 9, createdAt: '2026-03-02T00:00:00.000Z' });
    const candidates = [
      run({ id: 3, createdAt: '2026-03-01T09:00:00.000Z' }),
      run({ id: 4, createdAt: '2026-03-01T11:00:00.000Z' }),
      run({ id: 5, createdAt: '2026-03-01T12:00:00.000Z', status: 'failed' }),
      run({ id: 6, createdAt: '2026-03-01T12:00:00.000Z', dataset: { name: 'other', revision: 1 } }),
      run({ id: 7, createdAt: '2026-03-03T00:00:00.000Z' }),
      current,
    ];
    expect(defaultBaseline(current, candidates)).toBe(4);
    expect(defaultBaseline(current, [current])).toBeNull();
  });
});

describe('formatting deltas', () => {
  it('signs points and score deltas, with a plain zero', () => {
    expect(formatPoints(0.25)).toBe('+25 pts');
    expect(formatPoints(-0.5)).toBe('−50 pts');
    expect(formatPoints(0.001)).toBe('±0 pts');
    expect(formatScoreDelta(-0.1)).toBe('−0.10');
    expect(formatScoreDelta(0)).toBe('±0.00');
  });
});
