import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestClient, describeServer, p } from '../test-helpers/index.ts';
import { eventually, startTestReceiver, type TestReceiver } from './test-receiver.ts';

let receiver: TestReceiver;
beforeAll(async () => {
  receiver = await startTestReceiver();
});
afterAll(async () => {
  await receiver.close();
});

/** The Standard Webhooks headers of a received request, as its library reads them. */
const signed = (headers: Record<string, unknown>) => ({
  'webhook-id': String(headers['webhook-id']),
  'webhook-timestamp': String(headers['webhook-timestamp']),
  'webhook-signature': String(headers['webhook-signature']),
});

describeServer(
  (ctx, dialect) => {
    const path = (name: string) => `/${dialect}/${name}`;

    it('signs each event so a Standard Webhooks library verifies it, and logs the delivery with its response code', async () => {
      const { api, server } = ctx();
      const created = await api.post('/api/v1/webhooks', {
        name: 'ci',
        url: `${receiver.url}${path('versions')}?token=abc`,
        events: ['version.created'],
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        kind: 'webhook',
        urlHint: `${receiver.url}${path('versions')}`,
        events: ['version.created'],
        enabled: true,
      });
      const secret: string = created.body.secret;
      expect(secret).toMatch(/^whsec_/);
      expect((await api.get(`/api/v1/webhooks/${created.body.id}`)).body.secret).toBeUndefined();

      // Stored encrypted: neither the URL's token nor the secret is readable in the database.
      const rows = await server.database.db
        .withTables<{ webhooks: { id: number; target: string } }>()
        .selectFrom('webhooks')
        .select('target')
        .where('id', '=', created.body.id)
        .execute();
      expect(rows[0]?.target).toMatch(/^v1:/);
      expect(rows[0]?.target).not.toContain('token=abc');
      expect(rows[0]?.target).not.toContain(secret.slice(6));

      await api.post('/api/v1/prompts', {
        name: 'hook/one',
        version: { type: 'text', template: 'hi {{x}}' },
      });
      const [got] = (
        await receiver.waitFor((r) => r.some((x) => x.path.startsWith(path('versions'))))
      ).filter((x) => x.path.startsWith(path('versions')));
      expect(got?.headers['promptline-event']).toBe('version.created');
      const verified = new StandardWebhook(secret).verify(got?.body ?? '', signed(got?.headers ?? {})) as {
        type: string;
        data: Record<string, unknown>;
        id: string;
      };
      expect(verified).toMatchObject({
        type: 'version.created',
        data: { prompt: 'hook/one', version: 1, semver: '1.0.0' },
      });
      expect(verified.id).toBe(got?.headers['webhook-id']);
      // A body changed on the way fails verification.
      expect(() =>
        new StandardWebhook(secret).verify(
          (got?.body ?? '').replace('hook/one', 'hook/two'),
          signed(got?.headers ?? {}),
        ),
      ).toThrow();

      const log = await eventually(
        () => api.get(`/api/v1/webhooks/${created.body.id}/deliveries`),
        (r) => r.body.items[0]?.status === 'succeeded',
      );
      expect(log.body.items).toHaveLength(1);
      expect(log.body.items[0]).toMatchObject({
        eventType: 'version.created',
        eventId: verified.id,
        attempts: 1,
        responseStatus: 200,
        error: null,
      });
      const detail = await api.get(`/api/v1/webhook-deliveries/${log.body.items[0].id}`);
      expect(detail.body.body).toBe(got?.body);
      expect(detail.body.attemptLog).toEqual([expect.objectContaining({ attempt: 1, responseStatus: 200 })]);
    });

    it('retries after a 500 with the same webhook-id and a valid signature, and logs both attempts', async () => {
      const { api } = ctx();
      const hook = (
        await api.post('/api/v1/webhooks', {
          name: 'deploys',
          url: `${receiver.url}${path('deploys')}`,
          events: ['deployment.changed'],
        })
      ).body;
      await api.post('/api/v1/prompts', { name: 'hook/two', version: { type: 'text', template: 'one' } });
      receiver.script(path('deploys'), 500);
      await api.put(`${p('hook/two')}/deployments/production`, { version: 1, reason: 'first release' });
      const mine = (
        await receiver.waitFor((r) => r.filter((x) => x.path === path('deploys')).length >= 2)
      ).filter((x) => x.path === path('deploys'));
      expect(mine.map((x) => x.answered)).toEqual([500, 200]);
      expect(mine[0]?.headers['webhook-id']).toBe(mine[1]?.headers['webhook-id']);
      for (const request of mine) {
        expect(() =>
          new StandardWebhook(hook.secret).verify(request.body, signed(request.headers)),
        ).not.toThrow();
      }
      expect(JSON.parse(mine[1]?.body ?? '{}')).toMatchObject({
        type: 'deployment.changed',
        data: { prompt: 'hook/two', environment: 'production', action: 'deploy', reason: 'first release' },
      });
      const log = await eventually(
        () => api.get(`/api/v1/webhooks/${hook.id}/deliveries`),
        (r) => r.body.items[0]?.status === 'succeeded',
      );
      const detail = (await api.get(`/api/v1/webhook-deliveries/${log.body.items[0].id}`)).body;
      expect(detail.attemptLog.map((a: { responseStatus: number }) => a.responseStatus)).toEqual([500, 200]);
      expect(detail.attempts).toBe(2);
    });

    it('does not retry a 4xx refusal, and redelivers it on request with the same event id', async () => {
      const { api } = ctx();
      const hook = (
        await api.post('/api/v1/webhooks', {
          name: 'gone',
          url: `${receiver.url}${path('gone')}`,
          events: ['version.created'],
        })
      ).body;
      receiver.script(path('gone'), 410);
      const test = await api.post(`/api/v1/webhooks/${hook.id}/test`);
      expect(test.status).toBe(202);
      expect(test.body).toMatchObject({ eventType: 'webhook.test', status: 'pending' });
      const failed = await eventually(
        () => api.get(`/api/v1/webhook-deliveries/${test.body.id}`),
        (r) => r.body.status === 'failed',
      );
      expect(failed.body).toMatchObject({ attempts: 1, responseStatus: 410 });
      expect(failed.body.error).toMatch(/410/);

      const again = await api.post(`/api/v1/webhook-deliveries/${test.body.id}/redeliver`);
      expect(again.status).toBe(202);
      expect(again.body).toMatchObject({ redeliveryOf: test.body.id, eventId: test.body.eventId });
      await eventually(
        () => api.get(`/api/v1/webhook-deliveries/${again.body.id}`),
        (r) => r.body.status === 'succeeded',
      );
      const sent = receiver.received.filter((x) => x.path === path('gone'));
      expect(sent.map((x) => x.answered)).toEqual([410, 200]);
      expect(sent[0]?.body).toBe(sent[1]?.body);
      const filtered = await api.get(`/api/v1/webhooks/${hook.id}/deliveries?status=failed`);
      expect(filtered.body.items.map((d: { id: number }) => d.id)).toEqual([test.body.id]);
    });

    it('sends Slack-compatible JSON to a slack destination and nothing to disabled or unsubscribed ones', async () => {
      const { api } = ctx();
      const slack = await api.post('/api/v1/webhooks', {
        name: 'channel',
        kind: 'slack',
        url: `${receiver.url}${path('slack')}/T000/B000/XXXX`,
        events: ['deployment.requested', 'deployment.approved'],
      });
      expect(slack.body).toMatchObject({ kind: 'slack', secret: null, urlHint: `${receiver.url}/…` });
      const off = await api.post('/api/v1/webhooks', {
        name: 'off',
        url: `${receiver.url}${path('off')}`,
        events: ['deployment.requested'],
        enabled: false,
      });
      expect(off.body.enabled).toBe(false);

      await api.post('/api/v1/prompts', { name: 'hook/req', version: { type: 'text', template: 'a' } });
      const ann = createTestClient(
        ctx().server.app,
        (await api.post('/api/v1/api-keys', { name: 'ann', role: 'editor', user: 'ann@hooks.test' })).body
          .key,
      );
      const opened = await ann.post(`${p('hook/req')}/deployments/staging/requests`, {
        version: 1,
        reason: 'ship it',
      });
      expect(opened.status).toBe(201);
      await api.post(`/api/v1/deployment-requests/${opened.body.id}/approve`, { comment: 'fine' });

      const texts = (
        await receiver.waitFor((r) => r.filter((x) => x.path.startsWith(path('slack'))).length >= 2)
      )
        .filter((x) => x.path.startsWith(path('slack')))
        .map((x) => {
          expect(x.headers['webhook-signature']).toBeUndefined();
          return JSON.parse(x.body).text as string;
        });
      // Deliveries run concurrently: they may arrive in any order.
      expect(texts).toContain(
        `ann asks to deploy *hook/req* to staging (request #${opened.body.id}): ship it`,
      );
      expect(
        texts.some((t) =>
          new RegExp(`approved request #${opened.body.id} for \\*hook/req\\* in staging \\(1/1\\)`).test(t),
        ),
      ).toBe(true);
      expect(receiver.received.some((x) => x.path === path('off'))).toBe(false);

      // Switched on, it receives the next event.
      await api.patch(`/api/v1/webhooks/${off.body.id}`, { enabled: true });
      await ann.post(`${p('hook/req')}/deployments/staging/requests`, {
        version: 1,
        enabled: false,
        reason: 'off',
      });
      await receiver.waitFor((r) => r.some((x) => x.path === path('off')));
    });

    it('delivers eval.completed when a run ends, with its verdict', async () => {
      const { api } = ctx();
      const hook = (
        await api.post('/api/v1/webhooks', {
          name: 'evals',
          url: `${receiver.url}${path('evals')}`,
          events: ['eval.completed'],
        })
      ).body;
      await api.post('/api/v1/prompts', {
        name: 'hook/eval',
        version: { type: 'text', template: 'Capital of {{country}}?' },
      });
      await api.post('/api/v1/datasets', {
        name: 'hook-capitals',
        items: [{ variables: { country: 'France' } }, { variables: { country: 'Peru' } }],
      });
      const started = await api.post('/api/v1/eval-runs', {
        prompt: 'hook/eval',
        versions: [1],
        dataset: 'hook-capitals',
        models: [{ provider: 'mock', model: 'echo' }],
        assertions: [{ type: 'icontains', value: '{{country}}' }],
      });
      expect(started.status).toBe(202);
      const [sent] = (await receiver.waitFor((r) => r.some((x) => x.path === path('evals')), 20_000)).filter(
        (x) => x.path === path('evals'),
      );
      const event = new StandardWebhook(hook.secret).verify(sent?.body ?? '', signed(sent?.headers ?? {}));
      expect(event).toMatchObject({
        type: 'eval.completed',
        data: { runId: started.body.id, prompt: 'hook/eval', status: 'completed' },
      });
    });

    it('delivers redteam.completed when a red-team run ends, with its verdict', async () => {
      const { api } = ctx();
      const hook = (
        await api.post('/api/v1/webhooks', {
          name: 'redteam',
          url: `${receiver.url}${path('redteam')}`,
          events: ['redteam.completed'],
        })
      ).body;
      await api.post('/api/v1/prompts', {
        name: 'hook/rt',
        version: { type: 'text', template: 'You are a support bot. Answer: {{question}}' },
      });
      // The mock provider repeats its instructions: prompt extraction finds a leak, so the run fails.
      const started = await api.post(`${p('hook/rt')}/redteam-runs`, {
        version: 1,
        plugins: ['prompt-extraction'],
        strategies: ['none'],
      });
      expect(started.status).toBe(202);
      const [sent] = (
        await receiver.waitFor((r) => r.some((x) => x.path === path('redteam')), 20_000)
      ).filter((x) => x.path === path('redteam'));
      const event = new StandardWebhook(hook.secret).verify(sent?.body ?? '', signed(sent?.headers ?? {}));
      expect(event).toMatchObject({
        type: 'redteam.completed',
        data: { runId: started.body.id, prompt: 'hook/rt', version: 1, status: 'completed', passed: false },
      });
      expect((event as { data: { failing: number } }).data.failing).toBeGreaterThan(0);
    });

    it('rotates a secret, refuses bad input with stable codes, and deletes', async () => {
      const { api } = ctx();
      const bad = await api.post('/api/v1/webhooks', {
        name: 'x',
        url: 'ftp://example.com',
        events: ['alert.fired'],
      });
      expect(bad.status).toBe(422);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
      const unknownEvent = await api.post('/api/v1/webhooks', {
        name: 'x',
        url: 'https://example.com/h',
        events: ['prompt.exploded'],
      });
      expect(unknownEvent.body.code).toBe('VALIDATION_FAILED');
      expect((await api.get('/api/v1/webhooks/999999')).body.code).toBe('WEBHOOK_NOT_FOUND');
      expect((await api.get('/api/v1/webhook-deliveries/999999')).body.code).toBe(
        'WEBHOOK_DELIVERY_NOT_FOUND',
      );

      const hook = (
        await api.post('/api/v1/webhooks', {
          name: 'rot',
          url: `${receiver.url}${path('rot')}`,
          events: ['alert.fired'],
        })
      ).body;
      const rotated = await api.patch(`/api/v1/webhooks/${hook.id}`, { rotateSecret: true });
      expect(rotated.body.secret).toMatch(/^whsec_/);
      expect(rotated.body.secret).not.toBe(hook.secret);
      const test = await api.post(`/api/v1/webhooks/${hook.id}/test`);
      const [sent] = (await receiver.waitFor((r) => r.some((x) => x.path === path('rot')))).filter(
        (x) => x.path === path('rot'),
      );
      expect(() =>
        new StandardWebhook(rotated.body.secret).verify(sent?.body ?? '', signed(sent?.headers ?? {})),
      ).not.toThrow();
      expect(() =>
        new StandardWebhook(hook.secret).verify(sent?.body ?? '', signed(sent?.headers ?? {})),
      ).toThrow();
      expect(test.status).toBe(202);

      expect((await api.delete(`/api/v1/webhooks/${hook.id}`)).body).toEqual({ deleted: true });
      expect((await api.get(`/api/v1/webhooks/${hook.id}`)).status).toBe(404);
      const audit = (await api.get('/api/v1/audit?limit=50')).body.items.map(
        (e: { action: string }) => e.action,
      );
      expect(audit).toEqual(expect.arrayContaining(['webhook.create', 'webhook.update', 'webhook.delete']));
      expect(JSON.stringify((await api.get('/api/v1/audit?limit=50')).body)).not.toContain(hook.secret);
    });
  },
  { jobs: { pollMs: 20, backoffMs: 50 } },
);
