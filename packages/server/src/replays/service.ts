/**
 * Replay before release: the last N production calls of the version an environment serves become
 * a dataset snapshot (through the traces → dataset service: each item the span's variables, the
 * recorded output in its metadata, the trace as source), and one eval run evaluates the live
 * version and the candidate on it — outputs side by side, assertion and judge scores, latency and
 * cost, executed by the job runner like any run. No tables of its own: a replay is that dataset
 * revision and that run.
 */
import { AppError, type Replay, type ReplayRequest } from '@promptline/core';
import type { Clock } from '../clock.ts';
import type { TracesToDataset } from '../datasets/from-traces.ts';
import type { Database } from '../db/database.ts';
import type { DeploymentService } from '../deployments/service.ts';
import type { EvalService } from '../evals/service.ts';
import type { PromptService } from '../prompts/service.ts';

export function createReplayService({
  database,
  clock,
  deployments,
  prompts,
  fromTraces,
  evals,
}: {
  database: Database;
  clock: Clock;
  deployments: Pick<DeploymentService, 'locate'>;
  prompts: Pick<PromptService, 'getVersion'>;
  fromTraces: TracesToDataset;
  evals: Pick<EvalService, 'create'>;
}) {
  return {
    /**
     * Snapshots the calls and starts the run (it executes in the background; follow `run.id`).
     *
     * @throws AppError PROMPT_NOT_FOUND, ENVIRONMENT_NOT_FOUND, VERSION_NOT_FOUND, DEPLOYMENT_NOT_FOUND,
     *   VALIDATION_FAILED (no model), REPLAY_NO_TRAFFIC
     */
    async start(projectId: number, name: string, request: ReplayRequest, actor: string): Promise<Replay> {
      const { current, env } = await deployments.locate(database.db, projectId, name, request.env, [
        request.version,
      ]);
      // The live version: the variant serving the largest share.
      const live = current?.variants.reduce((a, b) => (b.weight > a.weight ? b : a))?.version;
      if (!current || live === undefined) {
        throw new AppError(
          'DEPLOYMENT_NOT_FOUND',
          `"${name}" is not served in ${env.name}: there is no production traffic to replay.`,
          {
            hint: `Deploy a version first: PUT /api/v1/prompts/{name}/deployments/${env.name}.`,
          },
        );
      }
      const candidate = await prompts.getVersion(projectId, name, request.version);
      const models =
        request.models ??
        (candidate.config.provider && candidate.config.model
          ? [{ provider: candidate.config.provider, model: candidate.config.model }]
          : undefined);
      if (!models) {
        throw new AppError(
          'VALIDATION_FAILED',
          `Version ${request.version} of "${name}" names no provider and model in its config; say which to replay with.`,
          {
            errors: [
              {
                path: 'models',
                message: 'give models, e.g. [{"provider": "openai", "model": "gpt-4o-mini"}]',
              },
            ],
            hint: 'CLI: promptline replay <prompt> --env <env> --version <n> --model <provider>/<model>.',
          },
        );
      }
      const stamp = clock
        .now()
        .toISOString()
        .replace(/[^0-9]/g, '')
        .slice(0, 14);
      const dataset = `replays/${name}/${env.name}-v${request.version}-${stamp}`;
      const snapshot = await fromTraces.add(
        projectId,
        dataset,
        {
          filter: { prompt: name, env: env.name, version: live },
          limit: request.last,
          create: true,
          description: `Replay of the last ${request.last} calls of v${live} in ${env.name}, for v${request.version}`,
          // No expected answer: an equality with one recorded output would fail every rerun. The
          // recorded output stays in each item's metadata, beside the two fresh ones.
          expected: 'none',
        },
        actor,
      );
      if (snapshot.revision === null || snapshot.items.length === 0) {
        throw new AppError(
          'REPLAY_NO_TRAFFIC',
          `No production call of v${live} of "${name}" in ${env.name} was found to replay.`,
          { hint: 'Calls count once their spans (with the prompt, version and environment) are ingested.' },
        );
      }
      const versions = live === request.version ? [live] : [live, request.version];
      const run = await evals.create(
        projectId,
        {
          prompt: name,
          versions,
          dataset: { name: dataset, revision: snapshot.revision },
          models,
          assertions: request.assertions,
          repeat: 1,
          concurrency: 4,
        },
        actor,
      );
      return {
        prompt: name,
        env: env.name,
        live,
        candidate: request.version,
        dataset: { name: dataset, revision: snapshot.revision },
        calls: snapshot.items.length,
        run,
      };
    },
  };
}

export type ReplayService = ReturnType<typeof createReplayService>;
