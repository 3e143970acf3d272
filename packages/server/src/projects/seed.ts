import { type Clock, isoNow } from '../clock.ts';
import type { Database } from '../db/database.ts';
import { isUniqueViolation } from '../db/database.ts';
import type { EnvironmentService } from '../environments/service.ts';
import { createProjectStore } from './store.ts';

/** Name of the project created at first start; every API key belongs to a project. */
export const DEFAULT_PROJECT = 'default';

/**
 * Creates the `default` project and its environments when missing (idempotent, safe to run on
 * every start and from several instances at once). Returns the project's id.
 */
export async function seedDefaults(
  database: Database,
  clock: Clock,
  environments: Pick<EnvironmentService, 'seedDefaults'>,
): Promise<number> {
  const projects = createProjectStore();
  const existing = await projects.findByName(database.db, DEFAULT_PROJECT);
  if (existing) return existing.id;
  try {
    return await database.db.transaction().execute(async (trx) => {
      const at = isoNow(clock);
      const id = await projects.insert(trx, DEFAULT_PROJECT, at);
      await environments.seedDefaults(trx, id, at);
      return id;
    });
  } catch (error) {
    // Another instance seeded first.
    if (!isUniqueViolation(error)) throw error;
    const raced = await projects.findByName(database.db, DEFAULT_PROJECT);
    if (!raced) throw error;
    return raced.id;
  }
}
