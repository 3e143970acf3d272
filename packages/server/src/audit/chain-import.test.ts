import { chainHash, GENESIS_HASH } from '@promptline/core';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { systemClock } from '../clock.ts';
import { forEachDialect } from '../test-helpers/index.ts';
import { createAuditService } from './service.ts';

forEachDialect((_dialect, get) => {
  it('a chain carried from another instance keeps its hashes; local events re-link after it and new ones go on', async () => {
    const database = get();
    const audit = createAuditService({ database, clock: systemClock });
    const projectId = (
      await sql<{
        id: number;
      }>`insert into projects (name, created_at) values ('p', '2026-01-01T00:00:00.000Z') returning id`.execute(
        database.db,
      )
    ).rows[0]?.id as number;
    const event = (action: string) => ({
      projectId,
      actor: 'a',
      action,
      targetType: 't',
      target: 'x',
      data: { n: 1 },
    });
    await database.db.transaction().execute((trx) => audit.append(trx, event('local.one')));

    // An imported chain whose ids (from the other instance) are far above this table's row ids.
    let prev = GENESIS_HASH;
    const imported = [900_001, 900_002, 900_003].map((id) => {
      const content = {
        id,
        actor: 'b',
        action: 'remote',
        targetType: 't',
        target: `r${id}`,
        data: {},
        at: '2026-01-01T00:00:00.000Z',
      };
      const hash = chainHash(prev, content);
      const row = { ...content, prevHash: prev, hash };
      prev = hash;
      return row;
    });
    await database.db.transaction().execute(async (trx) => {
      const local = await audit.detach(trx, projectId);
      expect(local.map((e) => e.action)).toEqual(['local.one']);
      for (const row of imported) {
        await sql`insert into audit_events (project_id, actor, action, target_type, target, data, at, prev_hash, hash, chain_id)
          values (${projectId}, ${row.actor}, ${row.action}, ${row.targetType}, ${row.target}, '{}', ${row.at}, ${row.prevHash}, ${row.hash}, ${row.id})`.execute(
          trx,
        );
      }
      await audit.reattach(trx, projectId, local);
    });
    await database.db.transaction().execute((trx) => audit.append(trx, event('local.two')));

    const verified = await audit.verify(projectId);
    expect(verified).toMatchObject({ ok: true, checked: 5 });
    const { items } = await audit.list(projectId, { limit: 10 });
    expect(items.map((e) => e.action)).toEqual(['local.two', 'local.one', 'remote', 'remote', 'remote']);
    expect(items.find((e) => e.target === 'r900003')?.hash).toBe(prev);

    // Tampering with an imported row is found, and named by the row id a reader can look up.
    const victim = items.find((e) => e.target === 'r900002');
    await database.exec(`update audit_events set actor = 'mallory' where id = ${victim?.id}`);
    expect(await audit.verify(projectId)).toMatchObject({ ok: false, brokenAt: victim?.id });
  });
});
