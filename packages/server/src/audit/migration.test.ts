import { type AuditEvent, chainHash, GENESIS_HASH } from '@promptline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.ts';
import { generateApiKey } from '../auth/service.ts';
import { bootstrap } from '../bootstrap.ts';
import {
  createTestClient,
  createTestDatabase,
  DIALECTS,
  p,
  type TestDatabase,
} from '../test-helpers/index.ts';
import { sealExistingRowsMigration } from './migration.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: upgrading an install whose chain did not cover versions and history`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase(dialect);
    });
    afterAll(async () => database?.close());

    /**
     * Rewrites the chain as the previous release wrote it: the same events without `sealed` (the
     * schema of later migrations is needed by today's code, so the old data is made, not migrated).
     */
    async function unsealChain(): Promise<void> {
      const events = (await database.db
        .selectFrom('audit_events')
        .selectAll()
        .orderBy('id')
        .execute()) as unknown as { id: number; project_id: number; data: string }[];
      const prev = new Map<number, string>();
      for (const row of events) {
        const data = JSON.parse(row.data) as Record<string, unknown>;
        delete data.sealed;
        const event = row as unknown as AuditEvent & { target_type: string };
        const prevHash = prev.get(row.project_id) ?? GENESIS_HASH;
        const hash = chainHash(prevHash, { ...event, targetType: event.target_type, data });
        await database.db
          .updateTable('audit_events')
          .set({ data: JSON.stringify(data), prev_hash: prevHash, hash })
          .where('id', '=', row.id)
          .execute();
        prev.set(row.project_id, hash);
      }
    }

    it('seals every existing version and history row: verify passes, then catches an edit', async () => {
      const apiKey = generateApiKey();
      await bootstrap(database, { apiKey });
      const app = await buildApp({ db: database, config: { logLevel: 'silent' }, logger: false, web: false });
      const api = createTestClient(app, apiKey);
      try {
        await api.post('/api/v1/prompts', { name: 'old/one', version: { type: 'text', template: 'a' } });
        await api.post(`${p('old/one')}/versions`, { type: 'text', template: 'b' });
        await api.put(`${p('old/one')}/deployments/production`, { version: 1 });
        await api.put(`${p('old/one')}/deployments/production`, { version: 2 });
        await unsealChain();
        const before = (await api.get('/api/v1/audit/verify')).body;
        // The old chain is intact but says nothing about the rows.
        expect(before.brokenAt).toBeNull();
        expect(before.tampered.map((t: { reason: string }) => t.reason)).toHaveLength(4);

        // What migration 0180 runs on an upgraded install.
        await sealExistingRowsMigration().up(database.db);
        const after = (await api.get('/api/v1/audit/verify')).body;
        expect(after).toMatchObject({ ok: true, tampered: [], rowsChecked: 4 });
        const seal = (await api.get('/api/v1/audit?action=audit.seal')).body.items;
        expect(seal).toHaveLength(1);
        expect(seal[0].data.sealed).toHaveLength(4);

        await database.exec(`update versions set template = 'x' where number = 1`);
        const broken = (await api.get('/api/v1/audit/verify')).body;
        expect(broken.tampered).toEqual([
          expect.objectContaining({ table: 'versions', target: 'old/one v1' }),
        ]);
      } finally {
        await app.close();
      }
    });
  });
}
