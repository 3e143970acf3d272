/**
 * Upload of a finished CLI run (`promptline redteam <prompt> --upload`, or the JSON report
 * `-o report.json` writes): stored as a completed run of a registry prompt version, source
 * `upload`, in one transaction, so CI runs count for the environment gate. The verdict is
 * recomputed from the findings, not taken from the file.
 */
import {
  AppError,
  type Finding,
  type RedteamRunRecord,
  redactSecrets,
  type UploadedRedteamReport,
} from '@promptline/core';
import { isoNow } from '../clock.ts';
import type { RedteamDeps } from './deps.ts';
import { finishRun } from './runs.ts';
import { publicRun, tally } from './views.ts';

/** The report with the project's provider secrets taken out of what a model or provider wrote. */
function withoutSecrets(report: UploadedRedteamReport, secrets: readonly string[]): UploadedRedteamReport {
  if (secrets.length === 0) return report;
  const clean = (text: string) => redactSecrets(text, secrets);
  return {
    ...report,
    findings: report.findings.map((f) => ({
      ...f,
      output: clean(f.output),
      evidence: clean(f.evidence),
      attack: clean(f.attack),
      turns: f.turns.map(clean),
    })),
    errors: report.errors.map((e) => ({ ...e, message: clean(e.message) })),
  };
}

export function createUpload(deps: RedteamDeps) {
  const { database, clock, prompts, store, audit } = deps;
  return {
    /**
     * Stores an uploaded report as a finished run of `prompt` version `version`.
     *
     * @throws AppError PROMPT_NOT_FOUND, VERSION_NOT_FOUND; VALIDATION_FAILED for a report of a cancelled run.
     */
    async importReport(
      projectId: number,
      prompt: string,
      version: number,
      uploaded: UploadedRedteamReport,
      actor: string,
    ): Promise<RedteamRunRecord> {
      await prompts.getVersion(projectId, prompt, version);
      if (uploaded.summary.cancelled) {
        throw new AppError(
          'VALIDATION_FAILED',
          'This report is of a cancelled run, which proves nothing about the prompt: run `promptline redteam` to the end and upload that.',
          { errors: [{ path: 'summary.cancelled', message: 'must be false' }] },
        );
      }
      const report = withoutSecrets(uploaded, await deps.knownSecrets(projectId));
      const findings = report.findings as Finding[];
      const counted = tally(
        {
          findings,
          errors: report.errors,
          plugins: report.plugins,
          strategies: report.strategies,
          probes: report.probes,
          calls: report.calls,
          cleared: report.summary.clearedByJudge,
          durationMs: report.durationMs,
          injectVar: null,
          cancelled: false,
        },
        report.failOn,
      );
      const at = isoNow(clock);
      const run = await database.db.transaction().execute(async (trx) => {
        const stored = await store.insertRun(trx, {
          projectId,
          prompt,
          version,
          source: 'upload',
          status: 'running',
          spec: null,
          provider: report.provider,
          failOn: report.failOn,
          total: report.probes,
          actor,
          at,
        });
        await audit.append(trx, {
          projectId,
          actor,
          action: 'redteam_run.upload',
          targetType: 'redteam_run',
          target: String(stored.id),
          data: {
            after: {
              prompt,
              version,
              provider: report.provider,
              probes: report.probes,
              findings: findings.length,
            },
          },
        });
        await finishRun(deps, trx, stored, {
          status: 'completed',
          done: report.probes,
          findings: findings.length,
          errors: report.errors.length,
          failing: counted.failing,
          bySeverity: counted.bySeverity,
          passed: counted.passed,
          summary: counted.summary,
          costUsd: 0,
          error: null,
          at,
        });
        await store.insertFindings(trx, stored.id, findings);
        return stored.id;
      });
      const stored = await store.find(database.db, projectId, run);
      if (!stored) throw new AppError('INTERNAL', 'The uploaded run vanished.');
      return publicRun(stored);
    },
  };
}
