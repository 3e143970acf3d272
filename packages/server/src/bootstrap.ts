import { createAuditService } from './audit/service.ts';
import { createAuthService } from './auth/service.ts';
import { type Clock, systemClock } from './clock.ts';
import { type Database, isUniqueViolation } from './db/database.ts';
import { createEnvironmentService } from './environments/service.ts';
import { createEnvironmentStore } from './environments/store.ts';
import { createLocalChangeFeed } from './live/change-feed.ts';
import { seedDefaults } from './projects/seed.ts';
import { ensureSpanPartitions } from './traces/maintenance.ts';
import { createUserService } from './users/service.ts';

/**
 * First-start setup, idempotent: the `default` project with its environments, and `apiKey` (when
 * given) registered as an admin key. When the project has no key at all and none is given, one
 * is generated and returned so the caller can show it once. A revoked `apiKey` is restored and its
 * id returned as `restoredKeyId` so the caller can log it.
 */
export async function bootstrap(
  database: Database,
  options: { apiKey?: string | undefined; clock?: Clock; generateKeyIfNone?: boolean } = {},
): Promise<{ projectId: number; generatedKey: string | null; restoredKeyId: number | null }> {
  const clock = options.clock ?? systemClock;
  const audit = createAuditService({ database, clock });
  // Nothing listens for changes before the app is built: a local feed is enough here.
  const environments = createEnvironmentService({
    database,
    clock,
    audit,
    changeFeed: createLocalChangeFeed(),
    store: createEnvironmentStore(),
  });
  const projectId = await seedDefaults(database, clock, environments);
  await ensureSpanPartitions(database, clock);
  const users = createUserService({ database, clock, audit });
  const auth = createAuthService({ database, clock, audit, users });
  const apiKey = options.apiKey;
  if (apiKey) {
    const register = () => auth.register(projectId, apiKey, 'admin (PROMPTLINE_API_KEY)', 'admin');
    // setUpDatabase serialises instances; an instance of an older release that does not take the
    // lock may still register the same key between our lookup and insert: then it is there.
    const registered = await register().catch((error: unknown) =>
      isUniqueViolation(error) ? register() : Promise.reject(error),
    );
    return { projectId, generatedKey: null, restoredKeyId: registered.restored ? registered.key.id : null };
  }
  if (options.generateKeyIfNone && (await auth.count(projectId)) === 0) {
    const admin = await database.db
      .transaction()
      .execute((trx) => users.ensureInstanceAdminService(trx, projectId));
    const created = await auth.create(
      projectId,
      { name: 'admin (generated at first start)', role: 'admin' },
      { userId: admin.id, name: 'system' },
    );
    return { projectId, generatedKey: created.key, restoredKeyId: null };
  }
  return { projectId, generatedKey: null, restoredKeyId: null };
}
