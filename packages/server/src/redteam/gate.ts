/**
 * The red-team gate of environment policies (`requireRedteamPass`): a version may be deployed when
 * its latest completed red-team run has no finding at or above the policy's severity. Built once
 * in app.ts and handed to the deploy service, which runs it inside its transaction (the way the
 * eval gate is), so deploys, approved requests, rollouts, experiments, promotions and scheduled
 * releases all obey it alike. A rule naming `plugins` also asks that the run attacked with each of
 * them, so a run of one harmless plugin does not pass for a thorough one.
 */
import { AppError, PLUGINS, type RedteamGateState, type RedteamRule } from '@promptline/core';
import type { Db } from '../db/database.ts';
import type { PromptStore } from '../prompts/store.ts';
import { createRedteamStore, type StoredRedteamRun } from './store.ts';
import { failureAt } from './verdict.ts';

/** The run that let a version through (recorded with the deploy). */
export interface RedteamGatePass {
  version: number;
  redteamRunId: number;
}

export type { RedteamGateState };

/** The plugin ids a rule asks for (`harmful` expanded), each with whether it needs tools. */
function requiredPlugins(rule: RedteamRule) {
  const ids = rule.plugins ?? [];
  return PLUGINS.filter(
    (p) => ids.includes(p.id) || (ids.includes('harmful') && p.id.startsWith('harmful:')),
  );
}

export function createRedteamGate({
  promptStore,
}: {
  promptStore: Pick<PromptStore, 'findByName' | 'findVersion'>;
}) {
  const store = createRedteamStore();

  /** Required plugins the run did not attack with; tool plugins count only for versions with tools. */
  async function missingPlugins(
    db: Db,
    projectId: number,
    prompt: string,
    run: StoredRedteamRun,
    rule: RedteamRule,
  ) {
    const ran = new Set(run.summary?.plugins ?? []);
    const missing = requiredPlugins(rule).filter((p) => !ran.has(p.id));
    if (!missing.some((p) => p.needsTools)) return missing.map((p) => p.id);
    const row = await promptStore.findByName(db, projectId, prompt);
    const version = row ? await promptStore.findVersion(db, row, run.version) : undefined;
    const hasTools = (version?.config.tools?.length ?? 0) > 0;
    return missing.filter((p) => hasTools || !p.needsTools).map((p) => p.id);
  }

  async function state(
    db: Db,
    projectId: number,
    prompt: string,
    version: number,
    rule: RedteamRule,
  ): Promise<RedteamGateState> {
    const { failOn } = rule;
    const run = await store.latestCompleted(db, projectId, prompt, version);
    if (!run)
      return {
        version,
        failOn,
        runId: null,
        passed: false,
        reason: `no red-team run for version ${version}`,
      };
    const missing = rule.plugins ? await missingPlugins(db, projectId, prompt, run, rule) : [];
    const reason =
      failureAt(run, failOn) ??
      (missing.length > 0
        ? `run ${run.id} did not attack with ${missing.join(', ')}, which the policy requires`
        : null);
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
      rule: RedteamRule,
    ): Promise<RedteamGatePass[]> {
      const { failOn } = rule;
      const passes: RedteamGatePass[] = [];
      for (const version of [...new Set(versions)]) {
        const s = await state(db, projectId, prompt, version, rule);
        if (!s.passed || s.runId === null) {
          throw new AppError(
            'REDTEAM_GATE_FAILED',
            `Version ${version} of "${prompt}" cannot be deployed here: ${s.reason ?? 'its red-team run did not pass'} (the policy fails on ${failOn} and above).`,
            {
              details: {
                prompt,
                version,
                runId: s.runId,
                failOn,
                ...(rule.plugins ? { plugins: rule.plugins } : {}),
              },
              hint: `Red-team version ${version} with POST /api/v1/prompts/{name}/redteam-runs {"version": ${version}${rule.plugins ? `, "plugins": ${JSON.stringify(rule.plugins)}` : ''}}, or upload a CLI run with \`promptline redteam ${prompt} --version ${version}${rule.plugins ? ` --plugins ${rule.plugins.join(',')}` : ''} --upload\`, and fix what it finds.`,
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
