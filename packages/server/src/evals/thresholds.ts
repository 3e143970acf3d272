/**
 * Quality thresholds: the per-prompt settings (stored, audited) and the verdict of a run's groups
 * against them, with a readable reason for every missed check.
 */
import type { EvalRunGroup, EvalVersionVerdict, PromptThresholds } from '@promptline/core';
import { type EvalSummary, evaluateThresholds, type GroupSummary } from '@promptline/core/node';
import { isoNow } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { promptNotFound } from '../prompts/store.ts';
import type { EvalDeps } from './deps.ts';
import type { RunSummary } from './store.ts';

/** The verdict of one group against thresholds, with readable reasons for each missed check. */
function groupVerdict(
  group: GroupSummary,
  thresholds: PromptThresholds | null,
  regressions: number | null,
): { met: boolean; reasons: string[] } {
  const summary: EvalSummary = { ...group, groups: [] };
  const core = evaluateThresholds(
    summary,
    thresholds
      ? {
          ...(thresholds.minPassRate !== undefined ? { passRate: thresholds.minPassRate } : {}),
          ...(thresholds.maxCostPerCaseUsd !== undefined
            ? { maxCostPerCase: thresholds.maxCostPerCaseUsd }
            : {}),
          ...(thresholds.noRegressions && regressions !== null ? { noRegressions: true } : {}),
        }
      : undefined,
    regressions === null
      ? undefined
      : { compared: 0, regressions, fixes: 0, added: 0, meanScoreDelta: 0, regressionSamples: [] },
  );
  const reasons: string[] = [];
  const noneSet = !thresholds || Object.keys(thresholds).length === 0;
  for (const check of core.checks) {
    if (check.met) continue;
    if (noneSet)
      reasons.push(
        `${group.failed} of ${group.total} cases failed (no thresholds set: every case must pass)`,
      );
    else if (check.name === 'passRate')
      reasons.push(`pass rate ${check.actual.toFixed(3)} is below ${check.limit}`);
    else if (check.name === 'maxCostPerCase')
      reasons.push(`cost per case $${check.actual.toFixed(6)} is above $${check.limit}`);
    else if (check.name === 'noRegressions')
      reasons.push(`${check.actual} regression(s) against the baseline`);
    else reasons.push(`${check.name} ${check.actual} misses ${check.limit}`);
  }
  if (thresholds?.maxLatencyP95Ms !== undefined && group.latencyP95Ms > thresholds.maxLatencyP95Ms) {
    reasons.push(
      `latency p95 ${Math.round(group.latencyP95Ms)} ms is above ${thresholds.maxLatencyP95Ms} ms`,
    );
  }
  // noRegressions without a baseline (the first run of a prompt) adds no check: nothing regressed.
  return { met: reasons.length === 0, reasons };
}

/** The version number of a suite prompt id `v<N>`, else null. */
export function versionOf(promptId: string): number | null {
  const n = Number(promptId.replace(/^v/, ''));
  return Number.isInteger(n) && n > 0 && /^v\d+$/.test(promptId) ? n : null;
}

/** Builds the stored summary of a run from core's group summaries. */
export function summarise(
  groups: GroupSummary[],
  thresholds: PromptThresholds | null,
  regressionsOf: (version: number | null, model: string) => number | null,
  versionOfGroup: (promptId: string) => number | null = versionOf,
): RunSummary & { met: boolean } {
  const out: EvalRunGroup[] = groups.map((g) => {
    const version = versionOfGroup(g.promptId);
    const verdict = groupVerdict(g, thresholds, regressionsOf(version, g.providerId));
    return {
      version,
      promptLabel: g.promptLabel,
      model: g.providerId,
      total: g.total,
      passed: g.passed,
      failed: g.failed,
      errors: g.errors,
      passRate: g.passRate,
      meanScore: g.meanScore,
      costUsd: g.costUsd,
      costPerCaseUsd: g.total ? g.costUsd / g.total : 0,
      latencyP50Ms: g.latencyP50Ms,
      latencyP95Ms: g.latencyP95Ms,
      thresholdsMet: verdict.met,
      reasons: verdict.reasons,
    };
  });
  const byVersion = new Map<string, EvalVersionVerdict>();
  for (const g of out) {
    const key = g.version === null ? g.promptLabel : String(g.version);
    const v = byVersion.get(key) ?? { version: g.version, thresholdsMet: true, reasons: [] };
    v.thresholdsMet &&= g.thresholdsMet;
    v.reasons.push(...g.reasons.map((r) => `${g.model}: ${r}`));
    byVersion.set(key, v);
  }
  const verdicts = [...byVersion.values()];
  return { groups: out, verdicts, met: verdicts.every((v) => v.thresholdsMet) };
}

/** Per-prompt thresholds: read, replace (audited), and the lookup runs use when they start. */
export function createThresholds({ database, clock, audit, store, promptStore }: EvalDeps) {
  return {
    /** The thresholds stored for a prompt, or null when it has none (or does not exist). */
    async ofPrompt(db: Db, projectId: number, prompt: string): Promise<PromptThresholds | null> {
      const row = await promptStore.findByName(db, projectId, prompt);
      if (!row) return null;
      return (await store.thresholds(db, row.id))?.thresholds ?? null;
    },

    async getThresholds(projectId: number, prompt: string): Promise<PromptThresholds> {
      const row = await promptStore.findByName(database.db, projectId, prompt);
      if (!row) throw promptNotFound(prompt);
      return (await store.thresholds(database.db, row.id))?.thresholds ?? {};
    },

    async putThresholds(
      projectId: number,
      prompt: string,
      thresholds: PromptThresholds,
      actor: string,
    ): Promise<PromptThresholds> {
      return database.db.transaction().execute(async (trx) => {
        const row = await promptStore.findByName(trx, projectId, prompt, true);
        if (!row) throw promptNotFound(prompt);
        const before = (await store.thresholds(trx, row.id))?.thresholds ?? {};
        await store.putThresholds(trx, projectId, row.id, thresholds, actor, isoNow(clock));
        await audit.append(trx, {
          projectId,
          actor,
          action: 'thresholds.update',
          targetType: 'prompt',
          target: prompt,
          data: { before, after: thresholds },
        });
        return thresholds;
      });
    },
  };
}

export type Thresholds = ReturnType<typeof createThresholds>;
