/**
 * Red-team runs on the server, assembled from their parts: runs (start, cancel, progress,
 * findings, reports — runs.ts; executed by the `redteam.run` job, run-job.ts) and uploads of CLI
 * runs (upload.ts). The environment gate reads the same tables through gate.ts.
 */
import type { AuditService } from '../audit/service.ts';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/database.ts';
import { type EventPublisher, noEvents } from '../events/bus.ts';
import type { JobService } from '../jobs/service.ts';
import type { RedteamDeps } from './deps.ts';
import { createRedteamRunJob } from './run-job.ts';
import { createRuns } from './runs.ts';
import { createRedteamStore } from './store.ts';
import { createUpload } from './upload.ts';

export interface RedteamServiceOptions {
  database: Database;
  clock: Clock;
  audit: AuditService;
  prompts: RedteamDeps['prompts'];
  /** Where runs execute: the service registers the `redteam.run` job kind on it. */
  jobs: JobService;
  resolveProvider: RedteamDeps['resolveProvider'];
  knownSecrets?: RedteamDeps['knownSecrets'];
  /** Runs executing at once in this process (default 2); more wait queued. */
  maxConcurrentRuns?: number;
  /** Told `redteam.completed` when a run ends (webhooks subscribe); none when omitted. */
  events?: EventPublisher;
}

export function createRedteamService(options: RedteamServiceOptions) {
  const deps: RedteamDeps = {
    database: options.database,
    clock: options.clock,
    audit: options.audit,
    prompts: options.prompts,
    jobs: options.jobs,
    store: createRedteamStore(),
    resolveProvider: options.resolveProvider,
    knownSecrets: options.knownSecrets ?? (async () => []),
    maxConcurrentRuns: options.maxConcurrentRuns ?? 2,
    events: options.events ?? noEvents,
  };
  options.jobs.register(createRedteamRunJob(deps));
  const runs = createRuns(deps);
  const uploads = createUpload(deps);
  return { ...runs, importReport: uploads.importReport };
}

export type RedteamService = ReturnType<typeof createRedteamService>;
