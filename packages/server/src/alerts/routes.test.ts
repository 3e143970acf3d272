import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeServer } from '../test-helpers/index.ts';
import { testSpan } from '../traces/test-spans.ts';
import { eventually, startTestReceiver, type TestReceiver } from '../webhooks/test-receiver.ts';

let receiver: TestReceiver;
beforeAll(async () => {
  receiver = await startTestReceiver();
});
afterAll(async () => {
  await receiver.close();
});

const prompt = { name: 'alert/triage', version: 1, environment: 'production' };
const spans = (ok: number, errors: number) => [
  ...Array.from({ length: ok }, () => testSpan({ prompt }, 5_000)),
  ...Array.from({ length: errors }, () => testSpan({ prompt, status: 'error' }, 5_000)),
];

describeServer(
  (ctx, dialect) => {
    it('rule → firing → signed webhook and notification → resolved once the rate is back under the resolve level', async () => {
      const { api } = ctx();
      const hook = (
        await api.post('/api/v1/webhooks', {
          name: 'on-call',
          url: `${receiver.url}/${dialect}/alerts`,
          events: ['alert.fired', 'alert.resolved'],
        })
      ).body;
      const created = await api.post('/api/v1/alerts', {
        name: 'triage errors',
        prompt: 'alert/triage',
        metric: 'errorRate',
        windowMinutes: 5,
        condition: { type: 'threshold', operator: 'gt', value: 0.2 },
        minSamples: 10,
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ state: 'ok', minSamples: 10, windowMinutes: 5, version: null });
      const id = created.body.id;

      // Too few samples: 3 errors out of 3 decide nothing.
      await api.post('/api/v1/traces', { spans: spans(0, 3) });
      await eventually(
        () => api.get(`/api/v1/alerts/${id}`),
        (r) => r.body.lastEvaluatedAt !== null && r.body.lastValue === 1,
      );
      expect((await api.get(`/api/v1/alerts/${id}`)).body.state).toBe('ok');

      // 10 errors of 20: 50 % > 20 %.
      await api.post('/api/v1/traces', { spans: spans(10, 7) });
      const fired = await eventually(
        () => api.get(`/api/v1/alerts/${id}`),
        (r) => r.body.state === 'firing',
      );
      expect(fired.body.lastValue).toBeCloseTo(0.5);
      const [request] = (
        await receiver.waitFor((r) => r.some((x) => x.path === `/${dialect}/alerts`))
      ).filter((x) => x.path === `/${dialect}/alerts`);
      const event = new StandardWebhook(hook.secret).verify(request?.body ?? '', {
        'webhook-id': String(request?.headers['webhook-id']),
        'webhook-timestamp': String(request?.headers['webhook-timestamp']),
        'webhook-signature': String(request?.headers['webhook-signature']),
      });
      expect(event).toMatchObject({
        type: 'alert.fired',
        data: {
          ruleId: id,
          rule: 'triage errors',
          metric: 'errorRate',
          value: 0.5,
          samples: 20,
          condition: '> 0.2 over 5 min',
          scope: { prompt: 'alert/triage', version: null, environment: null },
        },
      });

      // 10 errors of 190 ≈ 5.3 %: under the resolve level (90 % of the threshold).
      await api.post('/api/v1/traces', { spans: spans(170, 0) });
      const resolved = await eventually(
        () => api.get(`/api/v1/alerts/${id}`),
        (r) => r.body.state === 'resolved',
      );
      expect(resolved.body.transitions.map((t: { from: string; to: string }) => `${t.from}→${t.to}`)).toEqual(
        ['firing→resolved', 'ok→firing'],
      );
      expect(resolved.body.transitions[1]).toMatchObject({ value: 0.5, samples: 20 });
      const received = await receiver.waitFor(
        (r) => r.filter((x) => x.path === `/${dialect}/alerts`).length >= 2,
      );
      expect(
        received.filter((x) => x.path === `/${dialect}/alerts`).map((x) => JSON.parse(x.body).type),
      ).toEqual(['alert.fired', 'alert.resolved']);

      const inbox = await api.get('/api/v1/notifications');
      expect(inbox.body.unread).toBe(2);
      expect(inbox.body.items.map((n: { kind: string }) => n.kind)).toEqual([
        'alert.resolved',
        'alert.fired',
      ]);
      expect(inbox.body.items[1].title).toBe('Alert firing: triage errors');
      const read = await api.post(`/api/v1/notifications/${inbox.body.items[1].id}/read`);
      expect(read.body.readAt).not.toBeNull();
      expect((await api.get('/api/v1/notifications?unread=true')).body.items).toHaveLength(1);
    });

    it('fires on a volume drop against the previous window and refuses malformed rules', async () => {
      const { api } = ctx();
      const bad = await api.post('/api/v1/alerts', {
        name: 'x',
        metric: 'scoreMean',
        condition: { type: 'threshold', operator: 'lt', value: 0.5, resolveAt: 0.1 },
      });
      expect(bad.status).toBe(422);
      expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
        'condition.resolveAt',
        'score',
      ]);
      expect((await api.get('/api/v1/alerts/999999')).body.code).toBe('ALERT_RULE_NOT_FOUND');

      // 30 spans 2–3 minutes ago, none in the last 2 minutes: a drop of 100 %.
      const drop = { name: 'alert/drop', version: 1 };
      await api.post('/api/v1/traces', {
        spans: Array.from({ length: 30 }, () => testSpan({ prompt: drop }, 150_000)),
      });
      const rule = (
        await api.post('/api/v1/alerts', {
          name: 'traffic fell',
          prompt: 'alert/drop',
          version: 1,
          metric: 'volume',
          windowMinutes: 2,
          condition: { type: 'change', direction: 'decrease', percent: 50 },
          minSamples: 10,
        })
      ).body;
      const fired = await eventually(
        () => api.get(`/api/v1/alerts/${rule.id}`),
        (r) => r.body.state === 'firing',
      );
      expect(fired.body.transitions[0]).toMatchObject({ from: 'ok', to: 'firing', baseline: 30, value: 0 });

      const disabled = await api.patch(`/api/v1/alerts/${rule.id}`, { enabled: false });
      expect(disabled.body.enabled).toBe(false);
      expect((await api.delete(`/api/v1/alerts/${rule.id}`)).body).toEqual({ deleted: true });
      expect((await api.get(`/api/v1/alerts/${rule.id}`)).status).toBe(404);
    });

    it('edits a rule’s metric, condition, window and minimum sample, audited before and after; refuses what does not fit', async () => {
      const { api } = ctx();
      const rule = (
        await api.post('/api/v1/alerts', {
          name: 'slow answers',
          prompt: 'alert/edit',
          metric: 'latencyP95',
          condition: { type: 'threshold', operator: 'gt', value: 2000 },
          enabled: false,
        })
      ).body;
      const edited = await api.patch(`/api/v1/alerts/${rule.id}`, {
        metric: 'scoreMean',
        score: 'helpfulness',
        condition: { type: 'change', direction: 'decrease', percent: 20 },
        windowMinutes: 60,
        minSamples: 5,
      });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({
        name: 'slow answers',
        prompt: 'alert/edit',
        metric: 'scoreMean',
        score: 'helpfulness',
        condition: { type: 'change', direction: 'decrease', percent: 20 },
        windowMinutes: 60,
        minSamples: 5,
        enabled: false,
        state: 'ok',
      });
      // Off scoreMean, the score name goes with it.
      const back = await api.patch(`/api/v1/alerts/${rule.id}`, { metric: 'errorRate' });
      expect(back.body).toMatchObject({ metric: 'errorRate', score: null });
      expect((await api.get(`/api/v1/alerts/${rule.id}`)).body).toMatchObject({
        metric: 'errorRate',
        score: null,
        windowMinutes: 60,
      });

      const refusals = [
        [{ metric: 'scoreMean' }, 'score'],
        [{ score: 'helpfulness' }, 'score'],
        [{ metric: 'volume', score: 'x' }, 'score'],
        [
          { condition: { type: 'threshold', operator: 'gt', value: 0.1, resolveAt: 0.2 } },
          'condition.resolveAt',
        ],
        [{ windowMinutes: 0 }, 'windowMinutes'],
        [{ prompt: 'alert/other' }, ''],
      ] as const;
      for (const [body, path] of refusals) {
        const refused = await api.patch(`/api/v1/alerts/${rule.id}`, body);
        expect(refused.status, JSON.stringify(body)).toBe(422);
        expect(refused.body.code).toBe('VALIDATION_FAILED');
        expect(refused.body.errors.map((e: { path: string }) => e.path)).toContain(path);
      }
      expect((await api.patch('/api/v1/alerts/999999', { minSamples: 3 })).body.code).toBe(
        'ALERT_RULE_NOT_FOUND',
      );
      // Nothing refused was written.
      expect((await api.get(`/api/v1/alerts/${rule.id}`)).body).toMatchObject({
        metric: 'errorRate',
        score: null,
        condition: { type: 'change', direction: 'decrease', percent: 20 },
        windowMinutes: 60,
        minSamples: 5,
      });

      const audit = (await api.get('/api/v1/audit?action=alert_rule.update')).body.items.filter(
        (e: { target: string }) => e.target === String(rule.id),
      );
      expect(audit.map((e: { data: unknown }) => e.data)).toEqual([
        {
          before: { metric: 'scoreMean', score: 'helpfulness' },
          after: { metric: 'errorRate', score: null },
        },
        {
          before: {
            metric: 'latencyP95',
            score: null,
            condition: { type: 'threshold', operator: 'gt', value: 2000 },
            windowMinutes: 15,
            minSamples: 20,
          },
          after: {
            metric: 'scoreMean',
            score: 'helpfulness',
            condition: { type: 'change', direction: 'decrease', percent: 20 },
            windowMinutes: 60,
            minSamples: 5,
          },
        },
      ]);
    });
  },
  { jobs: { pollMs: 20, backoffMs: 50 }, alerts: { everySeconds: 1 } },
);
