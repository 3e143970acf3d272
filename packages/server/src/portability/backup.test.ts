import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditService } from '../audit/service.ts';
import { systemClock } from '../clock.ts';
import { createDatabase } from '../db/database.ts';
import { createTestClient, p, startTestServer, type TestServer } from '../test-helpers/index.ts';

describe('sqlite', () => {
  let server: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'promptline-backup-test-'));

  beforeAll(async () => {
    server = await startTestServer({ dialect: 'sqlite' });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes consistent copies under concurrent write load: each opens, passes integrity_check and audit verify', async () => {
    const api = createTestClient(server.app, server.apiKey);
    let writing = true;
    let written = 0;
    // Writers over real HTTP while the backups are taken: prompts, versions, deploys, each audited.
    const writer = async (w: number) => {
      for (let i = 0; writing; i++) {
        const name = `load/w${w}-${i}`;
        await api.post('/api/v1/prompts', { name, version: { type: 'text', template: `v1 {{x}} ${i}` } });
        await api.post(`${p(name)}/versions`, { type: 'text', template: `v2 {{x}} ${i}` });
        await api.put(`${p(name)}/deployments/staging`, { version: 2 });
        written++;
      }
    };
    const writers = [0, 1, 2].map(writer);
    const copies: string[] = [];
    try {
      for (let n = 0; n < 3; n++) {
        await new Promise((r) => setTimeout(r, 150));
        const response = await fetch(`${server.url}/api/v1/backup`, {
          headers: { authorization: `Bearer ${server.apiKey}` },
        });
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('application/vnd.sqlite3');
        expect(response.headers.get('content-disposition')).toMatch(
          /attachment; filename="promptline-.*\.db"/,
        );
        const file = join(dir, `copy-${n}.db`);
        writeFileSync(file, Buffer.from(await response.arrayBuffer()));
        copies.push(file);
      }
    } finally {
      writing = false;
      await Promise.all(writers);
    }
    expect(written).toBeGreaterThan(3);

    const counts: number[] = [];
    for (const [n, file] of copies.entries()) {
      const raw = new DatabaseSync(file, { readOnly: true });
      expect(raw.prepare('pragma integrity_check').all()).toEqual([{ integrity_check: 'ok' }]);
      const versions = raw.prepare("select count(*) as n from versions where template like 'v2%'").get() as {
        n: number;
      };
      const deployed = raw.prepare('select count(*) as n from deployments').get() as { n: number };
      raw.close();
      counts.push(versions.n);
      // One moment: no half-made write (a deploy without its version) is in the copy.
      expect(deployed.n).toBeLessThanOrEqual(versions.n);

      // The copy is a working database: opened as a data dir, its audit chain verifies.
      const dataDir = join(dir, `restore-${n}`);
      rmSync(dataDir, { recursive: true, force: true });
      const restored = createDatabase({ dataDir });
      await restored.close();
      copyFileSync(file, join(dataDir, 'promptline.db'));
      const database = createDatabase({ dataDir });
      try {
        const verified = await createAuditService({ database, clock: systemClock }).verify(1);
        expect(verified.ok).toBe(true);
        expect(verified.checked).toBeGreaterThan(0);
      } finally {
        await database.close();
      }
    }
    // Taken at increasing moments while writes went on.
    expect(counts[2]).toBeGreaterThanOrEqual(counts[0] ?? 0);
  }, 60_000);
});

describe('postgres', () => {
  it('answers BACKUP_NOT_SUPPORTED pointing to pg_dump', async () => {
    const server = await startTestServer({ dialect: 'postgres', listen: false });
    try {
      const response = await createTestClient(server.app, server.apiKey).get('/api/v1/backup');
      expect([response.status, response.body.code]).toEqual([409, 'BACKUP_NOT_SUPPORTED']);
      expect(response.body.detail).toContain('pg_dump');
    } finally {
      await server.close();
    }
  });
});
