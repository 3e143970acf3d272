import { type Clock, isoNow } from '../clock.ts';
import { encodeBool } from '../db/codecs.ts';
import type { Database } from '../db/database.ts';
import { isUniqueViolation } from '../db/database.ts';
import { createProjectStore } from './store.ts';

/** Name of the project created at first start; every API key belongs to a project. */
export const DEFAULT_PROJECT = 'default';

/** The environments a new project starts with, in promotion order. */
export const DEFAULT_ENVIRONMENTS = [
  { name: 'development', rank: 10, protected: false, description: 'Where prompts are tried out.' },
  { name: 'staging', rank: 20, protected: false, description: 'Pre-production checks.' },
  { name: 'production', rank: 30, protected: true, description: 'What users get.' },
] as const;

/**
 * Creates the `default` project and its environments when missing (idempotent, safe to run on
 * every start and from several instances at once). Returns the project's id.
 */
export async function seedDefaults(database: Database, clock: Clock): Promise<number> {
  const projects = createProjectStore();
  const existing = await projects.findByName(database.db, DEFAULT_PROJECT);
  if (existing) return existing.id;
  try {
    return await database.db.transaction().execute(async (trx) => {
      const at = isoNow(clock);
      const id = await projects.insert(trx, DEFAULT_PROJECT, at);
      await trx
        .insertInto('environments')
        .values(
          DEFAULT_ENVIRONMENTS.map((env) => ({
            project_id: id,
            name: env.name,
            description: env.description,
            rank: env.rank,
            protected: encodeBool(env.protected),
            archived: 0,
            created_at: at,
          })),
        )
        .execute();
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
