/**
 * Targeting over real HTTP on both databases: segments, releases with pins and rules (history,
 * audit, rollback, policies), and resolve/render/snapshot answering by them.
 */
import { expect, it } from 'vitest';
import { describeServer, p } from '../test-helpers/index.ts';

const enterprise = { attribute: 'plan', op: 'eq', value: 'enterprise' };

describeServer((ctx) => {
  async function promptWithVersions(name: string, count: number) {
    const { api } = ctx();
    await api.post('/api/v1/prompts', { name, version: { type: 'text', template: 'v1 {{x}}' } });
    for (let i = 2; i <= count; i++)
      await api.post(`${p(name)}/versions`, { type: 'text', template: `v${i} {{x}}` });
  }
  const resolve = async (name: string, query: string) => {
    const res = await ctx().api.get(`${p(name)}/resolve?env=production&${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as { version: number; variant: number };
  };

  it('segments: create, replace, list, get; refused when malformed or nested; 404 when unknown', async () => {
    const { api } = ctx();
    const created = await api.put('/api/v1/segments/staff', {
      description: 'our people',
      when: { attribute: 'email', op: 'endsWith', value: '@promptline.dev' },
      units: ['u-1', 'u-1', 'u-2'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'staff', description: 'our people', units: ['u-1', 'u-2'] });
    const replaced = await api.put('/api/v1/segments/staff', { units: ['u-3'] });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ description: 'our people', when: null, units: ['u-3'] });
    expect((await api.get('/api/v1/segments')).body.items.map((s: { name: string }) => s.name)).toContain(
      'staff',
    );
    expect((await api.get('/api/v1/segments/staff')).body.units).toEqual(['u-3']);

    const badOp = await api.put('/api/v1/segments/bad', { when: { attribute: 'a', op: 'gt', value: 'x' } });
    expect(badOp.status).toBe(422);
    const nested = await api.put('/api/v1/segments/bad', { when: { not: { segment: 'staff' } } });
    expect(nested.status).toBe(422);
    expect(nested.body.errors[0].path).toBe('when');
    expect((await api.get('/api/v1/segments/ghost')).body.code).toBe('SEGMENT_NOT_FOUND');
    expect((await api.delete('/api/v1/segments/ghost')).status).toBe(404);
    const audit = await api.get('/api/v1/audit?target=staff');
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual([
      'segment.update',
      'segment.create',
    ]);
  });

  it('a release with pins and rules: resolve and render answer by attributes, unit and segment; else the split', async () => {
    const { api } = ctx();
    await promptWithVersions('tg/resolve', 4);
    await api.put('/api/v1/segments/acme', {
      when: { attribute: 'email', op: 'endsWith', value: '@acme.com' },
      units: ['listed-unit'],
    });
    const deployed = await api.put(`${p('tg/resolve')}/deployments/production`, {
      version: 1,
      targeting: {
        rules: [
          { name: 'enterprise', when: enterprise, version: 2 },
          { name: 'acme', when: { segment: 'acme' }, version: 3 },
          {
            when: {
              all: [
                { attribute: 'seats', op: 'gte', value: 100 },
                { not: { attribute: 'country', op: 'in', value: ['fr', 'de'] } },
              ],
            },
            version: 4,
          },
        ],
        pins: [{ unit: 'vip', version: 1 }],
      },
    });
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(200);
    expect(deployed.body.targeting.rules).toHaveLength(3);

    expect(await resolve('tg/resolve', 'unit=u1')).toMatchObject({ version: 1, variant: 0 });
    // Served list: [1 (the variant), 2, 3, 4 (targeted, in rule order)].
    expect(await resolve('tg/resolve', 'unit=u1&attr.plan=enterprise')).toMatchObject({
      version: 2,
      variant: 1,
    });
    expect(await resolve('tg/resolve', 'attr.email=ada%40acme.com')).toMatchObject({
      version: 3,
      variant: 2,
    });
    expect(await resolve('tg/resolve', 'unit=listed-unit')).toMatchObject({ version: 3 });
    expect(await resolve('tg/resolve', 'unit=u1&attr.seats=250&attr.country=us')).toMatchObject({
      version: 4,
      variant: 3,
    });
    expect(await resolve('tg/resolve', 'unit=u1&attr.seats=250&attr.country=fr')).toMatchObject({
      version: 1,
    });
    // A pin beats every rule.
    expect(await resolve('tg/resolve', 'unit=vip&attr.plan=enterprise')).toMatchObject({
      version: 1,
      variant: 0,
    });

    const rendered = await api.post(`${p('tg/resolve')}/render`, {
      env: 'production',
      variables: { x: 'hi' },
      unit: 'u1',
      attributes: { plan: 'enterprise' },
    });
    expect(rendered.body).toMatchObject({ text: 'v2 hi', version: 2, variant: 1 });
    const plain = await api.post(`${p('tg/resolve')}/render`, { env: 'production', variables: { x: 'hi' } });
    expect(plain.body).toMatchObject({ text: 'v1 hi', variant: 0 });
  });

  it('the snapshot carries the targeting and the segments it names, and follows a segment change live', async () => {
    const { api } = ctx();
    await promptWithVersions('tg/snap', 2);
    await api.put('/api/v1/segments/beta', { units: ['b-1'] });
    await api.put(`${p('tg/snap')}/deployments/production`, {
      version: 1,
      targeting: { rules: [{ when: { segment: 'beta' }, version: 2 }] },
    });
    const before = await api.get('/api/v1/environments/production/snapshot');
    expect(before.body.prompts['tg/snap'].targeting.rules[0].version).toBe(2);
    expect(Object.keys(before.body.prompts['tg/snap'].versions).sort()).toEqual(['1', '2']);
    expect(before.body.segments.beta).toEqual({ units: ['b-1'] });
    expect(await resolve('tg/snap', 'unit=b-2')).toMatchObject({ version: 1 });

    await api.put('/api/v1/segments/beta', { units: ['b-1', 'b-2'] });
    const after = await api.get('/api/v1/environments/production/snapshot');
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect(after.body.segments.beta.units).toEqual(['b-1', 'b-2']);
    expect(await resolve('tg/snap', 'unit=b-2')).toMatchObject({ version: 2 });

    const inUse = await api.delete('/api/v1/segments/beta');
    expect(inUse.status).toBe(409);
    expect(inUse.body).toMatchObject({ code: 'SEGMENT_IN_USE', usedBy: ['tg/snap@production'] });
  });

  it('targeting is part of the release: history, no-op redeploy, kept when omitted, cleared by {}, rolled back, sealed', async () => {
    const { api } = ctx();
    await promptWithVersions('tg/history', 3);
    const url = `${p('tg/history')}/deployments/production`;
    const targeting = {
      rules: [{ name: 'ent', when: enterprise, version: 2 }],
      pins: [{ unit: 'qa', version: 3 }],
    };
    await api.put(url, { version: 1 });
    await api.put(url, { version: 1, targeting, reason: 'enterprise first' });
    await api.put(url, { version: 1, targeting });
    let history = (await api.get(`${url}/history`)).body.items;
    expect(history).toHaveLength(2);
    expect(history[0]).toMatchObject({ targeting, previous: { version: 1 }, reason: 'enterprise first' });
    expect(history[0].previous.targeting).toBeUndefined();

    // A deploy that does not mention targeting (a rollout step, a promotion) keeps it.
    const kept = await api.put(url, { version: 3 });
    expect(kept.body.targeting).toEqual(targeting);
    const cleared = await api.put(url, { version: 3, targeting: {} });
    expect(cleared.body.targeting).toBeUndefined();
    expect(await resolve('tg/history', 'attr.plan=enterprise')).toMatchObject({ version: 3 });

    const back = await api.post(`${url}/rollback`, {});
    expect(back.body.targeting).toEqual(targeting);
    expect(await resolve('tg/history', 'attr.plan=enterprise')).toMatchObject({ version: 2 });
    history = (await api.get(`${url}/history`)).body.items;
    expect(history[0]).toMatchObject({ action: 'rollback', targeting, previous: { version: 3 } });

    const events = (await api.get('/api/v1/audit?target=tg%2Fhistory%40production')).body.items;
    expect(events[0].data.after.targeting).toEqual(targeting);
    const verify = await api.get('/api/v1/audit/verify');
    expect(verify.body.ok, JSON.stringify(verify.body)).toBe(true);
  });

  it('refuses unknown segments and versions, double pins and deep conditions, with stable codes', async () => {
    const { api } = ctx();
    await promptWithVersions('tg/errors', 1);
    const url = `${p('tg/errors')}/deployments/production`;
    const ghost = await api.put(url, {
      version: 1,
      targeting: { rules: [{ when: { segment: 'nobody' }, version: 1 }] },
    });
    expect(ghost.status).toBe(404);
    expect(ghost.body).toMatchObject({ code: 'SEGMENT_NOT_FOUND', missing: ['nobody'] });
    const version = await api.put(url, { version: 1, targeting: { pins: [{ unit: 'u', version: 9 }] } });
    expect(version.body).toMatchObject({ code: 'VERSION_NOT_FOUND', missing: [9] });
    const twice = await api.put(url, {
      version: 1,
      targeting: {
        pins: [
          { unit: 'u', version: 1 },
          { unit: 'u', version: 1 },
        ],
      },
    });
    expect(twice.status).toBe(422);
    expect(twice.body).toMatchObject({ code: 'INVALID_TARGETING' });
    let deep: unknown = enterprise;
    for (let i = 0; i < 9; i++) deep = { not: deep };
    const tooDeep = await api.put(url, { version: 1, targeting: { rules: [{ when: deep, version: 1 }] } });
    expect(tooDeep.body.code).toBe('INVALID_TARGETING');
    const badOp = await api.put(url, {
      version: 1,
      targeting: { rules: [{ when: { attribute: 'a', op: 'matches', value: '.*' }, version: 1 }] },
    });
    expect(badOp.status).toBe(422);
    expect((await api.get(`${url}/history`)).status).toBe(200);
    expect((await api.get(`${url}/history`)).body.items).toHaveLength(0);
  });

  it("a targeting change goes through the environment's policy like any deploy", async () => {
    const { api } = ctx();
    await promptWithVersions('tg/policy', 2);
    await api.post('/api/v1/environments', { name: 'guarded' });
    await api.put(`${p('tg/policy')}/deployments/guarded`, { version: 1 });
    await api.patch('/api/v1/environments/guarded', { policy: { requiredApprovals: 1 } });
    const refused = await api.put(`${p('tg/policy')}/deployments/guarded`, {
      version: 1,
      targeting: { rules: [{ when: enterprise, version: 2 }] },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('APPROVAL_REQUIRED');
    // The kill switch stays instant, and keeps the live (empty) targeting.
    const off = await api.put(`${p('tg/policy')}/deployments/guarded`, { version: 1, enabled: false });
    expect(off.status).toBe(200);
    const request = await api.post(`${p('tg/policy')}/deployments/guarded/requests`, {
      version: 1,
      reason: 'rules',
      targeting: { rules: [{ when: enterprise, version: 2 }] },
    });
    expect(request.status).toBe(422);
    expect(request.body.errors[0].path).toBe('targeting');
  });
});
