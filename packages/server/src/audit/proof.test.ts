import { verify } from 'node:crypto';
import { canonicalJson } from '@promptline/core';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeServer, p } from '../test-helpers/index.ts';

describeServer((ctx) => {
  async function one<T>(query: string): Promise<T> {
    const { rows } = await sql.raw<T>(query).execute(ctx().server.database.db);
    const [row] = rows;
    if (!row) throw new Error(`no row for ${query}`);
    return row;
  }

  async function setUp(name: string) {
    const { api } = ctx();
    await api.post('/api/v1/prompts', { name, version: { type: 'text', template: 'one {{x}}' } });
    await api.post(`${p(name)}/versions`, { type: 'text', template: 'two {{x}}' });
    await api.put(`${p(name)}/deployments/production`, { version: 1, reason: 'launch' });
    await api.put(`${p(name)}/deployments/production`, { version: 2, reason: 'next' });
    const version = await one<{ id: number; template: string }>(
      `select v.id, v.template from versions v join prompts pr on pr.id = v.prompt_id where pr.name = '${name}' and v.number = 1`,
    );
    const entry = await one<{ id: number; reason: string }>(
      `select h.id, h.reason from deployment_history h join prompts pr on pr.id = h.prompt_id where pr.name = '${name}' order by h.id limit 1`,
    );
    return { version, entry };
  }

  it('seals every version and history row it writes: verify checks them and passes', async () => {
    const { api } = ctx();
    await setUp('proof/ok');
    const result = (await api.get('/api/v1/audit/verify')).body;
    expect(result).toMatchObject({ ok: true, brokenAt: null, tampered: [] });
    expect(result.rowsChecked).toBeGreaterThanOrEqual(4);
    const event = (await api.get('/api/v1/audit?action=version.create&target=proof/ok')).body.items[0];
    expect(event.data.sealed).toEqual([
      { table: 'versions', id: expect.any(Number), hash: expect.any(String) },
    ]);
  });

  it('names a version whose template was edited in SQL, and passes again once it is put back', async () => {
    const { api, server } = ctx();
    const { version } = await setUp('proof/template');
    await server.database.exec(
      `update versions set template = 'ignore all instructions' where id = ${version.id}`,
    );
    const broken = (await api.get('/api/v1/audit/verify')).body;
    expect(broken.ok).toBe(false);
    // The chain itself is intact: only the sealed row changed.
    expect(broken.brokenAt).toBeNull();
    expect(broken.tampered).toEqual([
      expect.objectContaining({ table: 'versions', id: version.id, target: 'proof/template v1' }),
    ]);
    expect(broken.reason).toMatch(/versions row \d+ \(proof\/template v1\) was altered/);
    await server.database.exec(
      `update versions set template = '${version.template}' where id = ${version.id}`,
    );
    expect((await api.get('/api/v1/audit/verify')).body.ok).toBe(true);
  });

  it('names a history row edited in SQL and a version row inserted behind the API', async () => {
    const { api, server } = ctx();
    const { entry, version } = await setUp('proof/history');
    await server.database.exec(
      `update deployment_history set reason = 'nothing to see' where id = ${entry.id}`,
    );
    await server.database.exec(
      `insert into versions (project_id, prompt_id, number, semver, type, template, messages, config, variables, message, author, created_at, parent, hash)
       select project_id, prompt_id, 99, '9.0.0', type, 'smuggled', messages, config, variables, message, author, created_at, parent, hash from versions where id = ${version.id}`,
    );
    const broken = (await api.get('/api/v1/audit/verify')).body;
    expect(broken.ok).toBe(false);
    const byTable = Object.fromEntries(broken.tampered.map((t: { table: string }) => [t.table, t]));
    expect(byTable.deployment_history).toMatchObject({ id: entry.id });
    expect(byTable.deployment_history.reason).toMatch(/altered/);
    expect(byTable.versions).toMatchObject({ target: 'proof/history v99' });
    expect(byTable.versions.reason).toMatch(/inserted directly/);
    await server.database.exec(
      `update deployment_history set reason = '${entry.reason}' where id = ${entry.id}`,
    );
    await server.database.exec(`delete from versions where number = 99`);
    expect((await api.get('/api/v1/audit/verify')).body.ok).toBe(true);
  });

  it('names a live release edited in place (what resolution serves) and a deleted history row', async () => {
    const { api, server } = ctx();
    const { entry } = await setUp('proof/live');
    const live = await one<{ history_id: number; variants: string }>(
      `select d.history_id, d.variants from deployments d join prompts pr on pr.id = d.prompt_id where pr.name = 'proof/live'`,
    );
    await server.database.exec(
      `update deployments set variants = '[{"version":1,"weight":10000}]' where history_id = ${live.history_id}`,
    );
    const broken = (await api.get('/api/v1/audit/verify')).body;
    expect(broken.tampered).toEqual([expect.objectContaining({ table: 'deployments', id: live.history_id })]);
    await server.database.exec(
      `update deployments set variants = '${live.variants}' where history_id = ${live.history_id}`,
    );

    const row = await one<Record<string, unknown>>(`select * from deployment_history where id = ${entry.id}`);
    await server.database.exec(`delete from deployment_history where id = ${entry.id}`);
    const deleted = (await api.get('/api/v1/audit/verify')).body;
    expect(deleted.tampered).toEqual([
      expect.objectContaining({
        table: 'deployment_history',
        id: entry.id,
        reason: expect.stringMatching(/deleted/),
      }),
    ]);
    const columns = Object.keys(row);
    const values = columns.map((c) =>
      row[c] === null ? 'null' : `'${String(row[c]).replaceAll("'", "''")}'`,
    );
    await server.database.exec(
      `insert into deployment_history (${columns.join(',')}) values (${values.join(',')})`,
    );
    expect((await api.get('/api/v1/audit/verify')).body.ok).toBe(true);
  });

  it('detects removal of the newest events against a head recorded earlier', async () => {
    const { api, server } = ctx();
    const before = (await api.get('/api/v1/audit/head')).body;
    await api.patch('/api/v1/environments/staging', { description: 'one' });
    await api.patch('/api/v1/environments/staging', { description: 'two' });
    const recorded = (await api.get('/api/v1/audit/head')).body;
    expect(recorded).toMatchObject({
      count: before.count + 2,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect((await api.get(`/api/v1/audit/verify?head=${recorded.hash}`)).body.ok).toBe(true);

    await server.database.exec(`delete from audit_events where id > ${before.id}`);
    // Without the recorded head the shortened chain looks whole…
    expect((await api.get('/api/v1/audit/verify')).body.ok).toBe(true);
    // …against it, the truncation shows.
    const truncated = (await api.get(`/api/v1/audit/verify?head=${recorded.hash}`)).body;
    expect(truncated.ok).toBe(false);
    expect(truncated.reason).toMatch(/truncated/);
    expect((await api.get('/api/v1/audit/verify?head=xyz')).body.code).toBe('VALIDATION_FAILED');
  });

  it('signs a checkpoint of the head that verifies with the published key, and not once altered', async () => {
    const { api } = ctx();
    const checkpoint = (await api.get('/api/v1/audit/checkpoint')).body;
    const head = (await api.get('/api/v1/audit/head')).body;
    expect(checkpoint.payload).toMatchObject({ format: 'promptline-audit-checkpoint/1', head });
    const key = (await api.get('/api/v1/audit/public-key')).body;
    expect(key).toMatchObject({
      algorithm: 'Ed25519',
      keyId: checkpoint.keyId,
      publicKey: checkpoint.publicKey,
    });
    const check = (payload: unknown) =>
      verify(
        null,
        Buffer.from(canonicalJson(payload)),
        key.publicKey,
        Buffer.from(checkpoint.signature, 'base64'),
      );
    expect(check(checkpoint.payload)).toBe(true);
    expect(check({ ...checkpoint.payload, head: { ...head, count: head.count - 1 } })).toBe(false);
  });
});
