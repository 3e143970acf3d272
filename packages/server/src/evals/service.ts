/**
 * Eval runs on the server, assembled from their parts: runs (start, cancel, progress, results —
 * runs.ts; executed by the `eval.run` job, run-job.ts), comparison (comparison.ts), upload import
 * (import.ts) and thresholds (thresholds.ts).
 */
import type { FastifyBaseLogger } from 'fastify';
import type { AuditService } from '../audit/service.ts';
import type { Clock } from '../clock.ts';
import type { DatasetService } from '../datasets/service.ts';
import type { Database } from '../db/database.ts';
import type { DeploymentService } from '../deployments/service.ts';
import { type EventPublisher, noEvents } from '../events/bus.ts';
import type { JobService } from '../jobs/service.ts';
import type { PromptService } from '../prompts/service.ts';
import type { PromptStore } from '../prompts/store.ts';
import { createComparison } from './comparison.ts';
import type { EvalDeps } from './deps.ts';
import { defaultProviderResolver, type ProviderResolver } from './execute.ts';
import { createImport } from './import.ts';
import { createRunJob } from './run-job.ts';
import { createRuns, publicRun } from './runs.ts';
import { createEvalStore } from './store.ts';
import { createThresholds } from './thresholds.ts';

export interface EvalServiceOptions {
  database: Database;
  clock: Clock;
  audit: AuditService;
  prompts: PromptService;
  datasets: DatasetService;
  deployments: Pick<DeploymentService, 'releasesOfPrompts'>;
  /** The prompts' store, built once in app.ts (thresholds are keyed by prompt row). */
  promptStore: PromptStore;
  /** Where runs execute: the service registers the `eval.run` job kind on it. */
  jobs: JobService;
  /** Provider settings for a model of a run; default: `mock` and explicit `baseUrl` only. */
  resolveProvider?: ProviderResolver;
  /** The project's stored provider secrets, redacted from uploaded runs (default: none). */
  knownSecrets?: (projectId: number) => Promise<readonly string[]>;
  /** Runs executing at once in this process (default 2); more wait queued. */
  maxConcurrentRuns?: number;
  logger?: FastifyBaseLogger;
  /** Told `eval.completed` when a run ends (webhooks subscribe). */
  events?: EventPublisher;
}

export function createEvalService(options: EvalServiceOptions) {
  const deps: EvalDeps = {
    database: options.database,
    clock: options.clock,
    audit: options.audit,
    prompts: options.prompts,
    datasets: options.datasets,
    deployments: options.deployments,
    jobs: options.jobs,
    store: createEvalStore(),
    promptStore: options.promptStore,
    resolveProvider: options.resolveProvider ?? defaultProviderResolver,
    knownSecrets: options.knownSecrets,
    maxConcurrentRuns: options.maxConcurrentRuns ?? 2,
    logger: options.logger,
    events: options.events ?? noEvents,
  };
  const thresholds = createThresholds(deps);
  const comparison = createComparison(deps);
  options.jobs.register(createRunJob(deps, comparison));
  const runs = createRuns(deps, thresholds);
  const uploads = createImport(deps, thresholds, publicRun);
  return {
    create: runs.create,
    list: runs.list,
    get: runs.get,
    results: runs.results,
    resultsAfter: runs.resultsAfter,
    cancel: runs.cancel,
    compare: comparison.compare,
    importCliRun: uploads.importCliRun,
    getThresholds: thresholds.getThresholds,
    putThresholds: thresholds.putThresholds,
  };
}

export type EvalService = ReturnType<typeof createEvalService>;
