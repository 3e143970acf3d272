/**
 * The red-team gate of environment policies (`requireRedteamPass`): a version may be deployed when
 * its latest completed red-team run has no finding at or above the policy's severity. Built once
 * in app.ts and handed to the deploy service, which runs it inside its transaction (the way the
 * eval gate is), so deploys, approved requests, rollouts, experiments, promotions and scheduled
 * releases all obey it alike.
 */
import { AppError, type RedteamGateState, type Severity } from '@promptline/core';
import type { Db } from '../db/database.ts';
import { createRedteamStore } from './store.ts';
import { failureAt } from './verdict.ts';

/** The run that let a version through (recorded with the deploy). */
export interface RedteamGatePass {
  version: number;
  redteamRunId: number;
}

export type { RedteamGateState };

export function createRedteamGate() {
  const store = createRedteamStore();

  async function state(
    db: Db,
    projectId: number,
    prompt: string,
    version: number,
    failOn: Severity,
  ): Promise<RedteamGateState> {
    const run = await store.latestCompleted(db, projectId, prompt, version);
    if (!run)
      return {
        version,
        failOn,
        runId: null,
        passed: false,
        reason: `no red-team run for version ${version}`,
      };
    const reason = failureAt(run, failOn);
    return { version, failOn, runId: run.id, passed: reason === null, reason };
  }

  return {
    state,
    /**
     * Checks every version of a release; answers the runs that passed them.
     *
     * @throws AppError REDTEAM_GATE_FAILED naming the version, the run and its worst finding.
     */
    async check(
      db: Db,
      projectId: number,
      prompt: string,
      versions: number[],
      failOn: Severity,
    ): Promise<RedteamGatePass[]> {
      const passes: RedteamGatePass[] = [];
      for (const version of [...new Set(versions)]) {
        const s = await state(db, projectId, prompt, version, failOn);
        if (!s.passed || s.runId === null) {
          throw new AppError(
            'REDTEAM_GATE_FAILED',
            `Version ${version} of "${prompt}" cannot be deployed here: ${s.reason ?? 'its red-team run did not pass'} (the policy fails on ${failOn} and above).`,
            {
              details: { prompt, version, runId: s.runId, failOn },
              hint: `Red-team version ${version} with POST /api/v1/prompts/{name}/redteam-runs {"version": ${version}}, or upload a CLI run with \`promptline redteam ${prompt} --version ${version} --upload\`, and fix what it finds.`,
            },
          );
        }
        passes.push({ version, redteamRunId: s.runId });
      }
      return passes;
    },
  };
}

export type RedteamGate = ReturnType<typeof createRedteamGate>;
