import { expect, it } from 'vitest';
import { createAuditService } from '../audit/service.ts';
import { bootstrap } from '../bootstrap.ts';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/database.ts';
import { forEachDialect } from '../test-helpers/database.ts';
import { createManualClock } from '../test-helpers/index.ts';
import { createUserService } from '../users/service.ts';
import { createAuthService } from './service.ts';

function authServiceOn(database: Database, clock: Clock) {
  const audit = createAuditService({ database, clock });
  return createAuthService({ database, clock, audit, users: createUserService({ database, clock, audit }) });
}

forEachDialect((_dialect, get) => {
  it('PROMPTLINE_API_KEY at start restores the key when it was revoked, audited', async () => {
    const database = get();
    const clock = createManualClock();
    const apiKey = 'pl_restore-me-0123456789';
    const { projectId } = await bootstrap(database, { apiKey, clock });
    const auth = authServiceOn(database, clock);
    // Another admin exists, so revoking the configured one is allowed.
    const [configured] = (await auth.list(projectId)).filter((k) => k.name.includes('PROMPTLINE_API_KEY'));
    if (!configured) throw new Error('the configured key was not registered');
    await auth.create(
      projectId,
      { name: 'second admin', role: 'admin' },
      { userId: configured.user.id, name: 'test' },
    );
    await auth.revoke(projectId, configured.id, 'test');
    expect(await auth.authenticate(apiKey)).toBeNull();

    const again = await bootstrap(database, { apiKey, clock });
    expect(again.restoredKeyId).toBe(configured.id);
    const fresh = authServiceOn(database, clock);
    expect(await fresh.authenticate(apiKey)).toMatchObject({ keyId: configured.id, role: 'admin' });
    const keys = await fresh.list(projectId);
    expect(keys.filter((k) => k.name.includes('PROMPTLINE_API_KEY'))).toHaveLength(1);
    const actions = await database.db
      .selectFrom('audit_events')
      .select('action')
      .where('target', '=', String(configured.id))
      .orderBy('id')
      .execute();
    expect(actions.map((a) => a.action)).toEqual(['api_key.create', 'api_key.revoke', 'api_key.restore']);
    // Active already: nothing restored.
    expect((await bootstrap(database, { apiKey, clock })).restoredKeyId).toBeNull();
  });

  it('"last used" is written on first use and again once ~5 s passed, not per request', async () => {
    const database = get();
    const clock = createManualClock(new Date('2026-03-01T10:00:00.000Z'));
    const { projectId } = await bootstrap(database, { clock, generateKeyIfNone: true });
    const auth = authServiceOn(database, clock);
    const [admin] = await auth.list(projectId);
    if (!admin) throw new Error('no key was generated at first start');
    const created = await auth.create(
      projectId,
      { name: 'ci', role: 'editor' },
      { userId: admin.user.id, name: 'test' },
    );
    const lastUsed = async () => (await auth.list(projectId)).find((k) => k.id === created.id)?.lastUsedAt;
    expect(await lastUsed()).toBeNull();

    await auth.authenticate(created.key);
    await expect.poll(lastUsed).toBe('2026-03-01T10:00:00.000Z');
    clock.advance(1_000);
    await auth.authenticate(created.key);
    clock.advance(5_000);
    await auth.authenticate(created.key);
    await expect.poll(lastUsed).toBe('2026-03-01T10:00:06.000Z');
  });
});
