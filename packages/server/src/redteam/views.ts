/** A stored run as the API shows it, the stored summary of a finished one, and its report. */
import {
  type Finding,
  OWASP_LLM_TOP_10,
  type OwaspId,
  type ProbeError,
  type RedteamFindingRow,
  type RedteamReport,
  type RedteamRunDetail,
  type RedteamRunRecord,
  SEVERITIES,
  type Severity,
  type StoredRedteamSummary,
} from '@promptline/core';
import type { StoredRedteamRun } from './store.ts';
import { failingAt } from './verdict.ts';

export function publicRun(run: StoredRedteamRun): RedteamRunRecord {
  return {
    id: run.id,
    prompt: run.prompt,
    version: run.version,
    source: run.source,
    status: run.status,
    provider: run.provider,
    plugins: run.summary?.plugins ?? run.spec?.plugins ?? [],
    strategies: run.summary?.strategies ?? run.spec?.strategies ?? [],
    failOn: run.failOn,
    progress: { done: run.done, total: run.total, findings: run.findings, errors: run.errors },
    bySeverity: run.bySeverity,
    failing: run.failing,
    passed: run.status === 'completed' ? run.passed : null,
    worst: run.summary?.worst ?? null,
    costUsd: run.costUsd,
    error: run.error,
    createdBy: run.createdBy,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
  };
}

export function detailOf(run: StoredRedteamRun): RedteamRunDetail {
  const s = run.summary;
  return {
    ...publicRun(run),
    probes: s?.probes ?? run.total,
    calls: s?.calls ?? 0,
    byPlugin: s?.byPlugin ?? {},
    byOwasp: s?.byOwasp ?? {},
    errors: s?.errors ?? [],
    clearedByJudge: s?.clearedByJudge ?? 0,
    durationMs: s?.durationMs ?? 0,
  };
}

/** What a finished run stores: counts, the summary and its verdict at `failOn`. */
export function tally(
  input: {
    findings: readonly Finding[];
    errors: readonly ProbeError[];
    plugins: string[];
    strategies: string[];
    probes: number;
    calls: number;
    cleared: number;
    durationMs: number;
    injectVar: string | null;
    cancelled: boolean;
  },
  failOn: Severity,
) {
  const bySeverity: Record<Severity, number> = { low: 0, medium: 0, high: 0, critical: 0 };
  const byPlugin: Record<string, number> = {};
  const byOwasp: StoredRedteamSummary['byOwasp'] = {};
  let worst: Finding | undefined;
  for (const f of input.findings) {
    bySeverity[f.severity]++;
    byPlugin[f.plugin] = (byPlugin[f.plugin] ?? 0) + 1;
    const entry = byOwasp[f.owasp.id] ?? { title: f.owasp.title, findings: 0 };
    entry.findings++;
    byOwasp[f.owasp.id] = entry;
    if (!worst || SEVERITIES.indexOf(f.severity) > SEVERITIES.indexOf(worst.severity)) worst = f;
  }
  const failing = failingAt(bySeverity, failOn);
  const summary: StoredRedteamSummary = {
    plugins: input.plugins,
    strategies: input.strategies,
    probes: input.probes,
    calls: input.calls,
    bySeverity,
    byPlugin,
    byOwasp,
    errors: [...input.errors],
    clearedByJudge: input.cleared,
    durationMs: Math.round(input.durationMs),
    injectVar: input.injectVar,
    worst: worst
      ? {
          severity: worst.severity,
          plugin: worst.plugin,
          owasp: worst.owasp.id,
          evidence: worst.evidence.slice(0, 300),
        }
      : null,
  };
  return {
    bySeverity,
    failing,
    summary,
    passed: failing === 0 && input.errors.length === 0 && !input.cancelled,
  };
}

/** The CLI's report of a stored run (what the downloads are written from). */
export function reportOf(run: StoredRedteamRun, findings: readonly RedteamFindingRow[]): RedteamReport {
  const s = run.summary;
  const byOwasp: RedteamReport['summary']['byOwasp'] = {};
  for (const [id, entry] of Object.entries(s?.byOwasp ?? {})) {
    byOwasp[id as OwaspId] = {
      title: entry.title || OWASP_LLM_TOP_10[id as OwaspId] || id,
      findings: entry.findings,
    };
  }
  return {
    version: 1,
    prompt: `${run.prompt}@v${run.version}`,
    provider: run.provider,
    injectVar: s?.injectVar ?? null,
    createdAt: run.finishedAt ?? run.createdAt,
    durationMs: s?.durationMs ?? 0,
    plugins: s?.plugins ?? [],
    strategies: s?.strategies ?? [],
    probes: s?.probes ?? run.total,
    calls: s?.calls ?? 0,
    failOn: run.failOn,
    passed: run.status === 'completed' && run.passed === true,
    summary: {
      findings: run.findings,
      bySeverity: run.bySeverity,
      byPlugin: s?.byPlugin ?? {},
      byOwasp,
      failing: run.failing,
      errors: run.errors,
      clearedByJudge: s?.clearedByJudge ?? 0,
      generatedAttacks: 0,
      cancelled: run.status === 'cancelled',
    },
    findings: findings.map(({ id: _id, ...f }) => ({
      ...f,
      owasp: { id: f.owasp.id as OwaspId, title: f.owasp.title },
      detector: f.detector as Finding['detector'],
    })),
    errors: s?.errors ?? [],
  };
}
