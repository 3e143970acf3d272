import { expect, it } from 'vitest';
import { createManualClock, describeServer, p } from '../test-helpers/index.ts';

const clock = createManualClock();

describeServer(
  (ctx) => {
    async function promptWithVersions(name: string, count: number) {
      const { api } = ctx();
      await api.post('/api/v1/prompts', { name, version: { type: 'text', template: 'v1 {{x}}' } });
      for (let i = 2; i <= count; i++)
        await api.post(`${p(name)}/versions`, { type: 'text', template: `v${i} {{x}}` });
    }
    const live = async (name: string, env = 'production') =>
      (await ctx().api.get(`${p(name)}/deployments/${env}`)).body;

    it('deploys one version, then weighted variants; lists deployments per environment', async () => {
      const { api } = ctx();
      await promptWithVersions('dep/basic', 2);
      const one = await api.put(`${p('dep/basic')}/deployments/staging`, { version: 1, reason: 'first' });
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({
        prompt: 'dep/basic',
        environment: 'staging',
        version: 1,
        enabled: true,
      });
      expect(one.body.variants).toEqual([{ version: 1, weight: 10_000 }]);

      const split = await api.put(`${p('dep/basic')}/deployments/production`, {
        variants: [
          { version: 2, weight: 2500 },
          { version: 1, weight: 7500 },
        ],
      });
      expect(split.body).toMatchObject({
        version: null,
        variants: [
          { version: 2, weight: 2500 },
          { version: 1, weight: 7500 },
        ],
      });
      const all = await api.get(`${p('dep/basic')}/deployments`);
      expect(all.body.items.map((d: { environment: string }) => d.environment)).toEqual([
        'staging',
        'production',
      ]);
      const prompt = await api.get(p('dep/basic'));
      expect(prompt.body.deployments.staging).toEqual({
        variants: [{ version: 1, weight: 10_000 }],
        enabled: true,
      });
    });

    it('rejects bad weights (422 INVALID_WEIGHTS with fields), unknown versions (404) and unknown environments (404)', async () => {
      const { api } = ctx();
      await promptWithVersions('dep/errors', 2);
      const sum = await api.put(`${p('dep/errors')}/deployments/production`, {
        variants: [
          { version: 1, weight: 5000 },
          { version: 2, weight: 4000 },
        ],
      });
      expect(sum.status).toBe(422);
      expect(sum.body.code).toBe('INVALID_WEIGHTS');
      expect(sum.body.errors[0].path).toBe('variants');
      const dup = await api.put(`${p('dep/errors')}/deployments/production`, {
        variants: [
          { version: 1, weight: 5000 },
          { version: 1, weight: 5000 },
        ],
      });
      expect(dup.body.code).toBe('INVALID_WEIGHTS');
      const over = await api.put(`${p('dep/errors')}/deployments/production`, {
        variants: [{ version: 1, weight: 10_001 }],
      });
      expect(over.status).toBe(422);
      const missing = await api.put(`${p('dep/errors')}/deployments/production`, { version: 9 });
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('VERSION_NOT_FOUND');
      const env = await api.put(`${p('dep/errors')}/deployments/nowhere`, { version: 1 });
      expect(env.body.code).toBe('ENVIRONMENT_NOT_FOUND');
      expect((await api.get(`${p('dep/errors')}/deployments/production`)).body.code).toBe(
        'DEPLOYMENT_NOT_FOUND',
      );
    });

    it('refuses to deploy to an archived environment with 409 ENVIRONMENT_ARCHIVED', async () => {
      const { api } = ctx();
      await promptWithVersions('dep/archived', 1);
      await api.post('/api/v1/environments', { name: 'old' });
      await api.patch('/api/v1/environments/old', { archived: true });
      const response = await api.put(`${p('dep/archived')}/deployments/old`, { version: 1 });
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('ENVIRONMENT_ARCHIVED');
    });

    it('rolls back step by step: A, B, C → B → A, then nothing left', async () => {
      const { api } = ctx();
      await promptWithVersions('dep/chain', 3);
      for (const version of [1, 2, 3]) await api.put(`${p('dep/chain')}/deployments/production`, { version });
      const toB = await api.post(`${p('dep/chain')}/deployments/production/rollback`, { reason: 'C is bad' });
      expect(toB.status).toBe(200);
      expect(toB.body.version).toBe(2);
      const toA = await api.post(`${p('dep/chain')}/deployments/production/rollback`);
      expect(toA.body.version).toBe(1);
      const none = await api.post(`${p('dep/chain')}/deployments/production/rollback`, {});
      expect(none.status).toBe(409);
      expect(none.body.code).toBe('NOTHING_TO_ROLL_BACK');

      const history = (await api.get(`${p('dep/chain')}/deployments/production/history`)).body.items;
      expect(history.map((e: { action: string; version: number }) => `${e.action}:${e.version}`)).toEqual([
        'rollback:1',
        'rollback:2',
        'deploy:3',
        'deploy:2',
        'deploy:1',
      ]);
      expect(history[1]).toMatchObject({
        reason: 'C is bad',
        restoredFrom: history[3].id,
        previous: { version: 3 },
      });
      expect(history[0].restoredFrom).toBe(history[4].id);
      expect(history[4].previous).toBeNull();
    });

    it('after a rollback, a new deploy rolls back to the rolled-back-to release', async () => {
      const { api } = ctx();
      await promptWithVersions('dep/redeploy', 3);
      await api.put(`${p('dep/redeploy')}/deployments/production`, { version: 1 });
      await api.put(`${p('dep/redeploy')}/deployments/production`, { version: 2 });
      await api.post(`${p('dep/redeploy')}/deployments/production/rollback`);
      await api.put(`${p('dep/redeploy')}/deployments/production`, { version: 3 });
      expect((await api.post(`${p('dep/redeploy')}/deployments/production/rollback`)).body.version).toBe(1);
    });

    it('rolls back to a chosen history entry with {to}; foreign or live entries are refused', async () => {
      const { api } = ctx();
      await promptWithVersions('dep/to', 3);
      const first = await api.put(`${p('dep/to')}/deployments/production`, { version: 1 });
      await api.put(`${p('dep/to')}/deployments/production`, { version: 2 });
      const third = await api.put(`${p('dep/to')}/deployments/production`, { version: 3 });
      const restored = await api.post(`${p('dep/to')}/deployments/production/rollback`, {
        to: first.body.historyId,
      });
      expect(restored.body.version).toBe(1);
      const entry = (await api.get(`${p('dep/to')}/deployments/production/history`)).body.items[0];
      expect(entry).toMatchObject({ action: 'rollback', restoredFrom: first.body.historyId, version: 1 });
      expect(
        (await api.post(`${p('dep/to')}/deployments/production/rollback`, { to: 999_999 })).body.code,
      ).toBe('HISTORY_ENTRY_NOT_FOUND');
      const live = await api.post(`${p('dep/to')}/deployments/production/rollback`, {
        to: restored.body.historyId,
      });
      expect(live.body.code).toBe('NOTHING_TO_ROLL_BACK');
      expect(third.body.historyId).toBeGreaterThan(first.body.historyId);
    });

    it('answers ?at= with the entry live at that instant, and 404 before the first deploy', async () => {
      const { api } = ctx();
      await promptWithVersions('dep/at', 2);
      clock.set('2026-03-01T10:00:00.000Z');
      await api.put(`${p('dep/at')}/deployments/production`, { version: 1 });
      clock.set('2026-03-01T12:00:00.000Z');
      await api.put(`${p('dep/at')}/deployments/production`, { version: 2, reason: 'better' });
      clock.set('2026-03-02T08:00:00.000Z');
      await api.post(`${p('dep/at')}/deployments/production/rollback`);

      const at = async (iso: string) =>
        api.get(`${p('dep/at')}/deployments/production/history?at=${encodeURIComponent(iso)}`);
      expect((await at('2026-03-01T09:59:59.999Z')).body.code).toBe('DEPLOYMENT_NOT_FOUND');
      expect((await at('2026-03-01T10:00:00.000Z')).body.version).toBe(1);
      expect((await at('2026-03-01T11:00Z')).body.version).toBe(1);
      const noon = (await at('2026-03-01T13:00:00+01:00')).body;
      expect(noon).toMatchObject({
        version: 2,
        action: 'deploy',
        reason: 'better',
        at: '2026-03-01T12:00:00.000Z',
      });
      expect(noon.actor).toContain('admin');
      expect((await at('2026-03-05T00:00:00Z')).body).toMatchObject({ version: 1, action: 'rollback' });
      expect((await at('yesterday')).status).toBe(422);
    });

    it('kill switch: deploying with enabled false keeps the release but disables it; redeploying the same is a no-op', async () => {
      const { api } = ctx();
      await promptWithVersions('dep/kill', 1);
      await api.put(`${p('dep/kill')}/deployments/production`, { version: 1 });
      const again = await api.put(`${p('dep/kill')}/deployments/production`, { version: 1 });
      expect((await api.get(`${p('dep/kill')}/deployments/production/history`)).body.items).toHaveLength(1);
      const off = await api.put(`${p('dep/kill')}/deployments/production`, { version: 1, enabled: false });
      expect(off.body).toMatchObject({ enabled: false, version: 1 });
      expect(off.body.historyId).toBeGreaterThan(again.body.historyId);
      expect((await live('dep/kill')).enabled).toBe(false);
      // Undoing the kill switch is a rollback.
      expect((await api.post(`${p('dep/kill')}/deployments/production/rollback`)).body.enabled).toBe(true);
    });
  },
  { clock },
);
