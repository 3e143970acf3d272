/** Whether a finished run passes at a severity: what the run's verdict and the environment gate share. */
import { SEVERITIES, type Severity } from '@promptline/core';
import type { StoredRedteamRun } from './store.ts';

/** Findings at or above `failOn`, from the per-severity counts. */
export function failingAt(bySeverity: Record<Severity, number>, failOn: Severity): number {
  return SEVERITIES.slice(SEVERITIES.indexOf(failOn)).reduce((sum, s) => sum + bySeverity[s], 0);
}

/**
 * Why a completed run does not pass at `failOn`, or null when it passes: no finding at or above
 * it and every probe sent (a probe that errored leaves the prompt untested).
 */
export function failureAt(run: StoredRedteamRun, failOn: Severity): string | null {
  const failing = failingAt(run.bySeverity, failOn);
  if (failing > 0) {
    const worst = run.summary?.worst;
    return `run ${run.id} has ${failing} finding${failing === 1 ? '' : 's'} at or above ${failOn}${worst ? `, the worst ${worst.severity} ${worst.plugin} (${worst.owasp}): ${worst.evidence}` : ''}`;
  }
  if (run.errors > 0) {
    return `run ${run.id} could not send ${run.errors} probe${run.errors === 1 ? '' : 's'}, so the version is not fully tested`;
  }
  return null;
}
