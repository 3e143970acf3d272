/** Comparison of two runs case by case (regressions, fixes, score deltas), and a run's baseline. */
import type { EvalCaseChange, EvalComparison } from '@promptline/core';
import { type BaselineEntry, createBaselineComparator, type EvalResult } from '@promptline/core/node';
import { type EvalDeps, requireRun } from './deps.ts';
import type { StoredRun } from './store.ts';

const MAX_CHANGES = 200;
const PAGE = 2000;

/** Fills the fields of an EvalResult that core's comparator does not read. */
function asResult(key: string, pass: boolean, score: number, reason: string): EvalResult {
  return {
    key,
    promptId: '',
    promptLabel: '',
    providerId: '',
    providerLabel: '',
    caseIndex: 0,
    repeatIndex: 0,
    description: null,
    vars: {},
    prompt: '',
    output: '',
    toolCalls: [],
    error: null,
    pass,
    score,
    reason,
    assertions: [],
    namedScores: {},
    latencyMs: 0,
    usage: null,
    costUsd: null,
    cached: false,
  };
}

export function createComparison(deps: EvalDeps) {
  const { database, store } = deps;

  /**
   * Compares two runs' results case by case (same item, model and repeat; the same version when the
   * baseline ran it, else the baseline's only or newest version), with core's comparator.
   */
  async function compare(projectId: number, runId: number, baselineId: number): Promise<EvalComparison> {
    const [run, baseline] = await Promise.all([
      requireRun(deps, projectId, runId),
      requireRun(deps, projectId, baselineId),
    ]);
    const before = new Map<string, BaselineEntry>();
    const baselineVersions = new Set<number | null>();
    for (let after = 0; ; ) {
      const page = await store.verdicts(database.db, baseline.id, after, PAGE);
      for (const r of page) {
        before.set(`${r.version}|${r.caseKey}`, { pass: r.pass, score: r.score });
        baselineVersions.add(r.version);
      }
      const last = page.at(-1);
      if (!last || page.length < PAGE) break;
      after = last.id;
    }
    const newest = [...baselineVersions].reduce<number | null>(
      (a, b) => (b !== null && (a === null || b > a) ? b : a),
      null,
    );
    const counterpartOf = (version: number | null) => (baselineVersions.has(version) ? version : newest);

    const overall = createBaselineComparator(before);
    const groups = new Map<
      string,
      { version: number | null; model: string; comparator: ReturnType<typeof createBaselineComparator> }
    >();
    const regressions: EvalCaseChange[] = [];
    const fixes: EvalCaseChange[] = [];
    for (let after = 0; ; ) {
      const page = await store.verdicts(database.db, run.id, after, PAGE);
      for (const r of page) {
        const key = `${counterpartOf(r.version)}|${r.caseKey}`;
        const result = asResult(key, r.pass, r.score, r.reason);
        overall.add(result);
        const gkey = `${r.version}|${r.model}`;
        let group = groups.get(gkey);
        if (!group) {
          group = { version: r.version, model: r.model, comparator: createBaselineComparator(before) };
          groups.set(gkey, group);
        }
        group.comparator.add(result);
        const prior = before.get(key);
        if (prior && prior.pass !== r.pass) {
          const change: EvalCaseChange = {
            itemId: r.itemId,
            caseIndex: r.caseIndex,
            version: r.version,
            model: r.model,
            repeat: r.repeat,
            before: { pass: prior.pass, score: prior.score },
            after: { pass: r.pass, score: r.score, reason: r.reason },
          };
          const list = prior.pass ? regressions : fixes;
          if (list.length < MAX_CHANGES) list.push(change);
        }
      }
      const last = page.at(-1);
      if (!last || page.length < PAGE) break;
      after = last.id;
    }
    const counts = ({
      regressionSamples: _samples,
      ...rest
    }: ReturnType<ReturnType<typeof createBaselineComparator>['summary']>) => rest;
    return {
      run: run.id,
      baseline: baseline.id,
      overall: counts(overall.summary()),
      groups: [...groups.values()].map((g) => ({
        version: g.version,
        model: g.model,
        ...counts(g.comparator.summary()),
      })),
      regressions,
      fixes,
    };
  }

  /** The baseline of a finished run: the one asked for, or for a noRegressions gate the previous run. */
  async function baselineFor(projectId: number, run: StoredRun): Promise<number | null> {
    if (run.spec.baseline !== null) return run.spec.baseline;
    if (!run.spec.thresholds?.noRegressions || run.prompt === null) return null;
    const previous = await store.latestCompletedRun(database.db, projectId, run.prompt, {
      dataset: run.dataset,
      before: run.id,
    });
    return previous?.id ?? null;
  }

  return { compare, baselineFor };
}

export type Comparison = ReturnType<typeof createComparison>;
