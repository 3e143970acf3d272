import { AppError } from '@promptline/core';
import type { FastifyBaseLogger } from 'fastify';
import type { AuditService } from '../audit/service.ts';
import type { Clock } from '../clock.ts';
import type { DatasetService } from '../datasets/service.ts';
import type { Database } from '../db/database.ts';
import type { DeploymentService } from '../deployments/service.ts';
import type { EventPublisher } from '../events/bus.ts';
import type { JobService } from '../jobs/service.ts';
import type { PromptService } from '../prompts/service.ts';
import type { PromptStore } from '../prompts/store.ts';
import type { ProviderResolver } from './execute.ts';
import type { EvalStore, StoredRun } from './store.ts';

/** What the parts of the eval feature (runs, comparison, import, thresholds) are built from. */
export interface EvalDeps {
  database: Database;
  clock: Clock;
  audit: AuditService;
  prompts: PromptService;
  datasets: DatasetService;
  /** What an environment serves (`env` runs and `env:` baselines). */
  deployments: Pick<DeploymentService, 'releasesOfPrompts'>;
  jobs: JobService;
  store: EvalStore;
  promptStore: PromptStore;
  resolveProvider: ProviderResolver;
  /** The project's stored provider secrets, redacted from the error text of uploaded runs. */
  knownSecrets?: ((projectId: number) => Promise<readonly string[]>) | undefined;
  /** Runs executing at once in this process. */
  maxConcurrentRuns: number;
  logger?: FastifyBaseLogger | undefined;
  /** Told `eval.completed` in the transaction that ends a run. */
  events: EventPublisher;
}

/** The versions an environment's release of a prompt serves (empty when it serves none or is switched off). */
export async function servedVersions(
  deps: EvalDeps,
  projectId: number,
  promptId: number,
  environment: string,
): Promise<number[]> {
  const release = (await deps.deployments.releasesOfPrompts(projectId, [promptId])).get(promptId)?.[
    environment
  ];
  return release?.enabled ? release.variants.map((v) => v.version) : [];
}

export function runNotFound(id: number): AppError {
  return new AppError('EVAL_RUN_NOT_FOUND', `No eval run ${id}. List runs with GET /api/v1/eval-runs.`);
}

/** The run, or EVAL_RUN_NOT_FOUND. */
export async function requireRun(deps: EvalDeps, projectId: number, id: number): Promise<StoredRun> {
  const run = await deps.store.findRun(deps.database.db, projectId, id);
  if (!run) throw runNotFound(id);
  return run;
}
