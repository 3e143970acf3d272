import { AppError, type ProviderSettings } from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/database.ts';
import type { EventPublisher } from '../events/bus.ts';
import type { JobService } from '../jobs/service.ts';
import type { PromptService } from '../prompts/service.ts';
import type { RedteamStore, StoredRedteamRun } from './store.ts';

/** What the parts of the red-team feature (runs, the job, uploads) are built from. */
export interface RedteamDeps {
  database: Database;
  clock: Clock;
  audit: AuditService;
  prompts: Pick<PromptService, 'getVersion' | 'latestVersion'>;
  jobs: JobService;
  store: RedteamStore;
  /** Settings of a provider configured in the project (or `mock`); PROVIDER_NOT_CONFIGURED otherwise. */
  resolveProvider: (projectId: number, provider: string) => Promise<ProviderSettings>;
  /** The project's stored provider secrets, redacted from uploaded reports. */
  knownSecrets: (projectId: number) => Promise<readonly string[]>;
  /** Runs executing at once in this process. */
  maxConcurrentRuns: number;
  /** Told `redteam.completed` in the transaction that ends a run (webhooks subscribe). */
  events: EventPublisher;
}

export function runNotFound(id: number): AppError {
  return new AppError(
    'REDTEAM_RUN_NOT_FOUND',
    `No red-team run ${id}. List a prompt's runs with GET /api/v1/prompts/{name}/redteam-runs.`,
  );
}

export async function requireRun(
  deps: RedteamDeps,
  projectId: number,
  id: number,
): Promise<StoredRedteamRun> {
  const run = await deps.store.find(deps.database.db, projectId, id);
  if (!run) throw runNotFound(id);
  return run;
}

/** The job kind that executes a run, and the key naming a run's job. */
export const REDTEAM_RUN_JOB = 'redteam.run';
export const runJobKey = (id: number) => `${REDTEAM_RUN_JOB}:${id}`;
