/**
 * Red-team runs started on the server: creation (version, model, plugins and strategies resolved
 * and frozen, the job enqueued in the same transaction), listing, findings, cancellation, reports,
 * and how a run ends. Execution is the `redteam.run` job (run-job.ts).
 */
import {
  AppError,
  type CreateRedteamRunRequest,
  formatRedteamReport,
  generateProbes,
  PLUGINS,
  preparePrompt,
  type RedteamCatalog,
  type RedteamFindingPage,
  type RedteamFindingRow,
  type RedteamReportFormatName,
  type RedteamRunDetail,
  type RedteamRunPage,
  type RedteamRunRecord,
  type RedteamRunSpec,
  STRATEGIES,
  selectPlugins,
  selectStrategies,
  toolNamesOf,
  type Version,
} from '@promptline/core';
import type { z } from 'zod';
import { isoNow } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { cursorId, nextCursor } from '../paging.ts';
import { REDTEAM_RUN_JOB, type RedteamDeps, requireRun, runJobKey } from './deps.ts';
import { FINAL_STATUSES, type RunEnd, type StoredRedteamRun } from './store.ts';
import { detailOf, publicRun, reportOf } from './views.ts';

/** The prompt under attack, as core's engine takes it. */
export function redteamPromptOf(
  name: string,
  version: Version,
  partials: Map<string, string>,
  injectVar: string | null,
) {
  const content =
    version.type === 'text'
      ? { type: 'text' as const, template: version.template }
      : { type: 'chat' as const, messages: version.messages };
  return {
    name: `${name}@v${version.number}`,
    content,
    partials: Object.fromEntries(partials),
    ...(version.config.tools ? { tools: version.config.tools as unknown[] } : {}),
    ...(injectVar ? { injectVar } : {}),
  };
}

/** Ends an unfinished run with its audit entry, in `trx`; nothing when it had already ended. */
export async function finishRun(
  deps: RedteamDeps,
  trx: Db,
  run: StoredRedteamRun,
  end: RunEnd,
): Promise<boolean> {
  const ended = await deps.store.finish(trx, run.id, end);
  if (!ended) return false;
  await deps.audit.append(trx, {
    projectId: run.projectId,
    actor: 'system',
    action: `redteam_run.${end.status === 'completed' ? 'complete' : end.status === 'cancelled' ? 'cancel' : 'fail'}`,
    targetType: 'redteam_run',
    target: String(run.id),
    data: {
      after: {
        prompt: run.prompt,
        version: run.version,
        status: end.status,
        passed: end.passed,
        bySeverity: end.bySeverity,
        ...(end.error ? { error: end.error } : {}),
      },
    },
  });
  await deps.events.publish(trx, {
    type: 'redteam.completed',
    projectId: run.projectId,
    data: {
      runId: run.id,
      prompt: run.prompt,
      version: run.version,
      status: end.status,
      passed: end.passed,
      failing: end.failing,
      bySeverity: end.bySeverity,
      ...(end.error ? { error: end.error } : {}),
    },
  });
  return true;
}

/** The end of a run that stopped before grading anything more. */
export function stoppedEnd(
  run: StoredRedteamRun,
  status: 'cancelled' | 'failed',
  at: string,
  error: string | null,
): RunEnd {
  return {
    status,
    done: run.done,
    findings: 0,
    errors: run.errors,
    failing: 0,
    bySeverity: { low: 0, medium: 0, high: 0, critical: 0 },
    passed: null,
    summary: null,
    costUsd: run.costUsd,
    error,
    at,
  };
}

export function createRuns(deps: RedteamDeps) {
  const { database, clock, audit, prompts, store, jobs } = deps;

  async function allFindings(runId: number): Promise<RedteamFindingRow[]> {
    const all: RedteamFindingRow[] = [];
    for (let after = 0; ; ) {
      const page = await store.findings(database.db, runId, { after, limit: 500 });
      all.push(...page);
      const last = page.at(-1);
      if (page.length < 500 || !last) return all;
      after = last.id;
    }
  }

  return {
    /**
     * Queues a run of one version. The model, plugins and strategies are resolved and frozen now
     * (and the probe count computed), so a bad selection is a 422 here, not a failed run later.
     *
     * @throws AppError PROMPT_NOT_FOUND, VERSION_NOT_FOUND, PROVIDER_NOT_CONFIGURED, CONFIG_INVALID, VALIDATION_FAILED.
     */
    async create(
      projectId: number,
      prompt: string,
      request: z.output<typeof CreateRedteamRunRequest>,
      actor: string,
    ): Promise<RedteamRunRecord> {
      let version: Version;
      if (request.version !== undefined)
        version = await prompts.getVersion(projectId, prompt, request.version);
      else {
        const latest = await prompts.latestVersion(projectId, prompt);
        // getVersion names the missing prompt (PROMPT_NOT_FOUND) when there is none at all.
        if (!latest) await prompts.getVersion(projectId, prompt, 1);
        if (!latest)
          throw new AppError('VERSION_NOT_FOUND', `"${prompt}" has no versions yet. Save one first.`);
        version = latest;
      }
      const provider = request.provider ?? version.config.provider ?? 'mock';
      const model =
        request.model ?? (provider === 'mock' ? (version.config.model ?? 'mock') : version.config.model);
      if (!model) {
        throw new AppError(
          'VALIDATION_FAILED',
          `Version ${version.number} of "${prompt}" names provider "${provider}" but no model: pass "model".`,
          { errors: [{ path: 'model', message: 'required when the version names none' }] },
        );
      }
      await deps.resolveProvider(projectId, provider);
      if (request.judge) await deps.resolveProvider(projectId, request.judge.provider);
      const toolNames = toolNamesOf(version.config.tools as unknown[] | undefined);
      // Resolved now: the run is reproducible, and an unknown id is refused before anything runs.
      const plugins = selectPlugins(request.plugins, toolNames.length > 0).map((p) => p.id);
      const strategies = selectStrategies(request.strategies).map((s) => s.id);
      preparePrompt(redteamPromptOf(prompt, version, new Map(), request.injectVar ?? null));
      const total = generateProbes({ plugins, strategies, toolNames }).length;
      const spec: RedteamRunSpec = {
        provider,
        model,
        plugins,
        strategies,
        judge: request.judge ?? null,
        injectVar: request.injectVar ?? null,
        concurrency: request.concurrency ?? 4,
      };
      const run = await database.db.transaction().execute(async (trx) => {
        const stored = await store.insertRun(trx, {
          projectId,
          prompt,
          version: version.number,
          source: 'server',
          status: 'queued',
          spec,
          provider: `${provider}:${model}`,
          failOn: request.failOn,
          total,
          actor,
          at: isoNow(clock),
        });
        // The job is committed with the run: a run never exists without the work that executes it.
        await jobs.enqueue(trx, {
          kind: REDTEAM_RUN_JOB,
          key: runJobKey(stored.id),
          projectId,
          payload: { projectId, runId: stored.id },
        });
        await audit.append(trx, {
          projectId,
          actor,
          action: 'redteam_run.create',
          targetType: 'redteam_run',
          target: String(stored.id),
          data: {
            after: {
              prompt,
              version: version.number,
              provider: stored.provider,
              failOn: request.failOn,
              probes: total,
            },
          },
        });
        return stored;
      });
      jobs.wake();
      return publicRun(run);
    },

    async list(
      projectId: number,
      prompt: string,
      query: {
        version?: number | undefined;
        status?: string | undefined;
        limit: number;
        cursor?: string | undefined;
      },
    ): Promise<RedteamRunPage> {
      const runs = await store.list(database.db, projectId, {
        prompt,
        version: query.version,
        status: query.status,
        before: cursorId(query.cursor),
        limit: query.limit,
      });
      return { items: runs.map(publicRun), nextCursor: nextCursor(runs, query.limit) };
    },

    async get(projectId: number, id: number): Promise<RedteamRunDetail> {
      return detailOf(await requireRun(deps, projectId, id));
    },

    async findings(
      projectId: number,
      id: number,
      query: {
        severity?: string | undefined;
        plugin?: string | undefined;
        limit: number;
        cursor?: string | undefined;
      },
    ): Promise<RedteamFindingPage> {
      await requireRun(deps, projectId, id);
      const items = await store.findings(database.db, id, {
        severity: query.severity,
        plugin: query.plugin,
        after: cursorId(query.cursor) ?? 0,
        limit: query.limit,
      });
      return { items, nextCursor: nextCursor(items, query.limit) };
    },

    /** The run's report in one of the CLI's formats, with the file name to save it as. */
    async report(
      projectId: number,
      id: number,
      format: RedteamReportFormatName,
    ): Promise<{ body: string; fileName: string }> {
      const run = await requireRun(deps, projectId, id);
      const body = formatRedteamReport(reportOf(run, await allFindings(id)), format);
      const ext = { json: 'json', junit: 'xml', markdown: 'md', html: 'html' }[format];
      return { body, fileName: `redteam-${id}.${ext}` };
    },

    catalog(): RedteamCatalog {
      return {
        plugins: PLUGINS.map((p) => ({
          id: p.id,
          title: p.title,
          severity: p.severity,
          owasp: p.owasp,
          needsTools: p.needsTools === true,
        })),
        strategies: STRATEGIES.map((s) => ({ id: s.id, title: s.title, default: s.default })),
      };
    },

    /**
     * Cancels a run: a queued one at once; a running one at its next progress write or lease
     * renewal, on whichever instance runs it (at once when it is this one). Findings so far are kept.
     *
     * @throws AppError REDTEAM_RUN_NOT_FOUND; REDTEAM_RUN_FINISHED when it has already ended.
     */
    async cancel(projectId: number, id: number, actor: string): Promise<RedteamRunRecord> {
      const run = await requireRun(deps, projectId, id);
      if (FINAL_STATUSES.includes(run.status)) {
        throw new AppError(
          'REDTEAM_RUN_FINISHED',
          `Red-team run ${id} has already ${run.status === 'completed' ? 'completed' : `been ${run.status}`}: there is nothing to cancel.`,
        );
      }
      await jobs.cancelWith(runJobKey(id), async (trx, job) => {
        await store.requestCancel(trx, id);
        await audit.append(trx, {
          projectId,
          actor,
          action: 'redteam_run.cancel_request',
          targetType: 'redteam_run',
          target: String(id),
          data: { before: { status: run.status } },
        });
        // Not running anywhere (still queued, or a run without a job): it ends here and now.
        if (job !== 'requested')
          await finishRun(deps, trx, run, stoppedEnd(run, 'cancelled', isoNow(clock), null));
      });
      return publicRun(await requireRun(deps, projectId, id));
    },
  };
}
