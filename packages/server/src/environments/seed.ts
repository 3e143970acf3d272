import type { Db } from '../db/database.ts';
import { createEnvironmentStore } from './store.ts';

/** The environments a new project starts with, in promotion order. */
export const DEFAULT_ENVIRONMENTS = [
  { name: 'development', rank: 10, protected: false, description: 'Where prompts are tried out.' },
  { name: 'staging', rank: 20, protected: false, description: 'Pre-production checks.' },
  { name: 'production', rank: 30, protected: true, description: 'What users get.' },
] as const;

/** Creates the default environments of a new project, inside the caller's transaction. */
export async function seedEnvironments(db: Db, projectId: number, at: string): Promise<void> {
  const store = createEnvironmentStore();
  for (const env of DEFAULT_ENVIRONMENTS) {
    await store.insert(db, projectId, { ...env, createdAt: at });
  }
}
