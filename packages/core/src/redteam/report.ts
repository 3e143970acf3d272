/**
 * The red-team report: the run's findings with counts by severity, plugin and OWASP category, and
 * the verdict against `--fail-on`. Its JSON is what `promptline redteam -o report.json` writes.
 */
import { OWASP_LLM_TOP_10 } from './owasp.ts';
import type { ProbeError, RedteamRun } from './run.ts';
import { compareSeverity, type Finding, type OwaspId, SEVERITIES, type Severity } from './types.ts';

export interface RedteamReport {
  version: 1;
  prompt: string;
  provider: string;
  injectVar: string | null;
  createdAt: string;
  durationMs: number;
  plugins: string[];
  strategies: string[];
  probes: number;
  calls: number;
  failOn: Severity;
  /** No finding at or above `failOn`, no probe errored, not cancelled. */
  passed: boolean;
  summary: {
    findings: number;
    bySeverity: Record<Severity, number>;
    byPlugin: Record<string, number>;
    byOwasp: Partial<Record<OwaspId, { title: string; findings: number }>>;
    /** Findings at or above `failOn`. */
    failing: number;
    errors: number;
    clearedByJudge: number;
    /** Attacks an attacker model wrote (`--attacker`), sent besides the shipped ones. */
    generatedAttacks: number;
    cancelled: boolean;
  };
  findings: Finding[];
  errors: ProbeError[];
}

/** Whether a severity name is one of ours. */
export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

/**
 * The report of a run.
 *
 * @example const report = buildRedteamReport(run, { provider: 'mock', failOn: 'high' }); report.passed
 */
export function buildRedteamReport(
  run: RedteamRun,
  options: { provider: string; failOn: Severity; createdAt?: Date },
): RedteamReport {
  const bySeverity: Record<Severity, number> = { low: 0, medium: 0, high: 0, critical: 0 };
  const byPlugin: Record<string, number> = {};
  const byOwasp: RedteamReport['summary']['byOwasp'] = {};
  let failing = 0;
  for (const f of run.findings) {
    bySeverity[f.severity]++;
    byPlugin[f.plugin] = (byPlugin[f.plugin] ?? 0) + 1;
    const entry = byOwasp[f.owasp.id] ?? { title: OWASP_LLM_TOP_10[f.owasp.id], findings: 0 };
    entry.findings++;
    byOwasp[f.owasp.id] = entry;
    if (compareSeverity(f.severity, options.failOn) >= 0) failing++;
  }
  return {
    version: 1,
    prompt: run.prompt,
    provider: options.provider,
    injectVar: run.injectVar,
    createdAt: (options.createdAt ?? new Date()).toISOString(),
    durationMs: Math.round(run.durationMs),
    plugins: run.plugins,
    strategies: run.strategies,
    probes: run.probes,
    calls: run.calls,
    failOn: options.failOn,
    passed: failing === 0 && run.errors.length === 0 && !run.cancelled,
    summary: {
      findings: run.findings.length,
      bySeverity,
      byPlugin,
      byOwasp,
      failing,
      errors: run.errors.length,
      clearedByJudge: run.cleared,
      generatedAttacks: run.generated,
      cancelled: run.cancelled,
    },
    findings: run.findings,
    errors: run.errors,
  };
}
