/** Scheduled releases over real HTTP on both databases, applied by the real job runner. */
import { expect, it } from 'vitest';
import { describeServer, p } from '../test-helpers/index.ts';

describeServer(
  (ctx) => {
    async function until<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const value = await read();
        if (done(value) || Date.now() > deadline) return value;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const schedules = async () =>
      (await ctx().api.get('/api/v1/scheduled-releases')).body.items as {
        id: number;
        status: string;
        historyId: number | null;
        error: string | null;
      }[];

    it('goes live at its time as a history entry naming the schedule; cancel stops one; bad input refused', async () => {
      const { api } = ctx();
      await api.post('/api/v1/prompts', { name: 'sch/one', version: { type: 'text', template: 'v1' } });
      await api.post(`${p('sch/one')}/versions`, { type: 'text', template: 'v2' });
      await api.put(`${p('sch/one')}/deployments/production`, { version: 1 });
      const at = new Date(Date.now() + 1_500).toISOString();
      const created = await api.post(`${p('sch/one')}/deployments/production/schedule`, {
        version: 2,
        reason: 'launch',
        at,
        targeting: { pins: [{ unit: 'qa', version: 1 }] },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body).toMatchObject({ status: 'pending', prompt: 'sch/one', environment: 'production' });
      const later = await api.post(`${p('sch/one')}/deployments/production/schedule`, {
        version: 1,
        at: new Date(Date.now() + 3_600_000).toISOString(),
      });
      expect((await api.get(`${p('sch/one')}/resolve?env=production`)).body.version).toBe(1);

      const applied = await until(
        schedules,
        (items) => items.find((s) => s.id === created.body.id)?.status !== 'pending',
      );
      const mine = applied.find((s) => s.id === created.body.id);
      expect(mine?.status).toBe('applied');
      const history = (await api.get(`${p('sch/one')}/deployments/production/history`)).body.items;
      expect(history[0]).toMatchObject({
        id: mine?.historyId,
        version: 2,
        reason: `scheduled release #${created.body.id}: launch`,
      });
      expect(history[0].actor).toContain(`(schedule #${created.body.id})`);
      expect((await api.get(`${p('sch/one')}/resolve?env=production&unit=qa`)).body.version).toBe(1);
      expect((await api.get(`${p('sch/one')}/resolve?env=production&unit=x`)).body.version).toBe(2);

      const cancelled = await api.post(`/api/v1/scheduled-releases/${later.body.id}/cancel`, {});
      expect(cancelled.body.status).toBe('cancelled');
      const again = await api.post(`/api/v1/scheduled-releases/${later.body.id}/cancel`, {});
      expect(again.body.code).toBe('SCHEDULE_NOT_PENDING');
      expect((await api.post('/api/v1/scheduled-releases/99999/cancel', {})).body.code).toBe(
        'SCHEDULE_NOT_FOUND',
      );
      const noVersion = await api.post(`${p('sch/one')}/deployments/production/schedule`, { version: 9, at });
      expect(noVersion.body.code).toBe('VERSION_NOT_FOUND');
      const noAt = await api.post(`${p('sch/one')}/deployments/production/schedule`, { version: 2 });
      expect(noAt.status).toBe(422);
    });

    it('is refused at apply time, and recorded, when the policy no longer allows it', async () => {
      const { api } = ctx();
      await api.post('/api/v1/prompts', { name: 'sch/two', version: { type: 'text', template: 'v1' } });
      await api.post(`${p('sch/two')}/versions`, { type: 'text', template: 'v2' });
      await api.post('/api/v1/environments', { name: 'sched-guarded' });
      await api.put(`${p('sch/two')}/deployments/sched-guarded`, { version: 1 });
      const created = await api.post(`${p('sch/two')}/deployments/sched-guarded/schedule`, {
        version: 2,
        at: new Date(Date.now() + 1_500).toISOString(),
      });
      expect(created.status).toBe(201);
      await api.patch('/api/v1/environments/sched-guarded', { policy: { requiredApprovals: 1 } });
      const items = await until(
        schedules,
        (all) => all.find((s) => s.id === created.body.id)?.status !== 'pending',
      );
      const mine = items.find((s) => s.id === created.body.id);
      expect(mine?.status).toBe('refused');
      expect(mine?.error).toMatch(/^APPROVAL_REQUIRED/);
      expect((await api.get(`${p('sch/two')}/resolve?env=sched-guarded`)).body.version).toBe(1);
      const audit = (await api.get('/api/v1/audit?action=deployment.schedule.refused')).body.items;
      expect(audit[0].data.scheduleId).toBe(created.body.id);
      // Scheduling into it now is refused at once.
      const now = await api.post(`${p('sch/two')}/deployments/sched-guarded/schedule`, {
        version: 2,
        at: new Date(Date.now() + 1_000).toISOString(),
      });
      expect(now.body.code).toBe('APPROVAL_REQUIRED');
    });
  },
  { scheduleEverySeconds: 1 },
);
