/**
 * Limited API keys (issue 11): read-only application keys, environments, a prompt prefix, an
 * expiry and rotation — enforced by the auth hook on every route, on both databases.
 */
import { expect, it } from 'vitest';
import {
  createManualClock,
  createTestClient,
  describeServer,
  p,
  type TestClient,
} from '../test-helpers/index.ts';

const clock = createManualClock(new Date('2026-06-01T10:00:00.000Z'));
const span = (traceId: string) => ({
  traceId,
  spanId: '1'.repeat(16),
  name: 'call',
  startTime: clock.now().getTime() - 1000,
  endTime: clock.now().getTime(),
  status: 'ok',
});

describeServer(
  (ctx) => {
    const keyOf = async (body: Record<string, unknown>) => {
      const created = await ctx().api.post('/api/v1/api-keys', body);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return {
        ...(created.body as { id: number; key: string; role: string }),
        client: createTestClient(ctx().server.app, created.body.key),
      };
    };
    const refusedAs = async (
      response: Promise<{ status: number; body: { code?: string } }>,
      code: string,
    ) => {
      const answer = await response;
      expect(answer.status, JSON.stringify(answer.body)).toBe(403);
      expect(answer.body.code).toBe(code);
    };
    const through = async (response: Promise<{ status: number; body: unknown }>, status: number) => {
      const answer = await response;
      expect(answer.status, JSON.stringify(answer.body)).toBe(status);
    };

    it('sets up prompts under two prefixes, deployed to production and staging', async () => {
      const { api } = ctx();
      for (const name of ['support/triage', 'billing/refund']) {
        await through(api.post('/api/v1/prompts', { name }), 201);
        await through(api.post(`${p(name)}/versions`, { type: 'text', template: 'Hi {{who}}' }), 201);
        for (const env of ['production', 'staging']) {
          await through(api.put(`${p(name)}/deployments/${env}`, { version: 1 }), 200);
        }
      }
    });

    it('a read-only application key reads what its environments serve and sends traces and scores, nothing else', async () => {
      const app = await keyOf({
        name: 'web app',
        role: 'admin',
        readOnly: true,
        environments: ['production'],
      });
      expect(app.role).toBe('viewer');
      const c = app.client;
      await through(c.get('/api/v1/environments/production/snapshot'), 200);
      await through(c.get(`${p('support/triage')}/resolve?env=production&unit=u1`), 200);
      await through(
        c.post(`${p('support/triage')}/render`, { env: 'production', variables: { who: 'x' } }),
        200,
      );
      await through(c.post('/api/v1/traces', { spans: [span('a'.repeat(32))] }), 202);
      const score = await c.post('/api/v1/scores', { traceId: 'a'.repeat(32), name: 'thumbs', value: true });
      expect([201, 202]).toContain(score.status);
      // Langfuse SDKs' getPrompt: a label is an environment; by version it is refused.
      const basic = { authorization: `Basic ${Buffer.from(`pk-lf:${app.key}`).toString('base64')}` };
      const langfuse = (query: string) =>
        ctx().server.app.inject({
          url: `/api/public/v2/prompts/${encodeURIComponent('support/triage')}${query}`,
          headers: basic,
        });
      expect((await langfuse('')).statusCode).toBe(200);
      expect((await langfuse('?label=production')).statusCode).toBe(200);
      const ingest = await ctx().server.app.inject({
        method: 'POST',
        url: '/api/public/ingestion',
        headers: basic,
        payload: { batch: [] },
      });
      expect(ingest.statusCode, ingest.body).toBeLessThan(300);
      for (const query of ['?label=staging', '?label=latest', '?version=1']) {
        const refused = await langfuse(query);
        expect(refused.statusCode, query).toBe(403);
        expect(refused.json().code).toBe('KEY_SCOPE');
      }
      // Other environments, rendering by version, and every other route are out of scope.
      await refusedAs(c.get('/api/v1/environments/staging/snapshot'), 'KEY_SCOPE');
      await refusedAs(c.get('/api/v1/environments/staging/stream'), 'KEY_SCOPE');
      await refusedAs(c.get(`${p('support/triage')}/resolve?env=staging`), 'KEY_SCOPE');
      await refusedAs(
        c.post(`${p('support/triage')}/render`, { env: 'staging', variables: {} }),
        'KEY_SCOPE',
      );
      await refusedAs(c.post(`${p('support/triage')}/render`, { version: 1, variables: {} }), 'KEY_SCOPE');
      await refusedAs(c.get('/api/v1/prompts'), 'KEY_SCOPE');
      await refusedAs(c.get(`${p('support/triage')}/versions`), 'KEY_SCOPE');
      await refusedAs(c.get('/api/v1/traces'), 'KEY_SCOPE');
      await refusedAs(c.put(`${p('support/triage')}/deployments/production`, { version: 1 }), 'KEY_SCOPE');
      await refusedAs(c.get('/api/v1/api-keys'), 'KEY_SCOPE');
      // Nor the instance's Prometheus metrics (asked from another machine, where a key is needed).
      const scrape = (key: string) =>
        ctx().server.app.inject({
          url: '/metrics',
          remoteAddress: '10.0.0.9',
          headers: { authorization: `Bearer ${key}` },
        });
      const metrics = await scrape(app.key);
      expect(metrics.statusCode).toBe(403);
      expect(metrics.json().code).toBe('KEY_SCOPE');
      expect((await scrape(ctx().server.apiKey)).statusCode).toBe(200);
    });

    it('a key limited to environments deploys only there', async () => {
      const { key, client } = await keyOf({
        name: 'staging deployer',
        role: 'editor',
        environments: ['staging'],
      });
      expect(key).toMatch(/^pl_/);
      await through(client.put(`${p('support/triage')}/deployments/staging`, { version: 1 }), 200);
      await refusedAs(
        client.put(`${p('support/triage')}/deployments/production`, { version: 1 }),
        'KEY_SCOPE',
      );
      await refusedAs(client.post(`${p('support/triage')}/deployments/production/rollback`, {}), 'KEY_SCOPE');
      // Environments named elsewhere in a body: a promotion's target, Langfuse labels.
      await refusedAs(
        client.post(`${p('support/triage')}/promote`, { from: 'staging', to: 'production' }),
        'KEY_SCOPE',
      );
      const basic = { authorization: `Basic ${Buffer.from(`pk:${key}`).toString('base64')}` };
      const labelled = await ctx().server.app.inject({
        method: 'POST',
        url: '/api/public/v2/prompts',
        headers: basic,
        payload: { name: 'support/triage', type: 'text', prompt: 'via labels', labels: ['production'] },
      });
      expect(labelled.statusCode, labelled.body).toBe(403);
      expect(labelled.json().code).toBe('KEY_SCOPE');
      const relabel = await ctx().server.app.inject({
        method: 'PATCH',
        url: `/api/public/v2/prompts/${encodeURIComponent('support/triage')}/versions/1`,
        headers: basic,
        payload: { newLabels: ['production'] },
      });
      expect(relabel.json().code).toBe('KEY_SCOPE');
      // Routes that name no environment are not limited by it.
      await through(client.get('/api/v1/prompts'), 200);
      const unknown = await ctx().api.post('/api/v1/api-keys', { name: 'x', environments: ['nowhere'] });
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('ENVIRONMENT_NOT_FOUND');
    });

    it('a key limited to a prompt prefix sees and changes only those prompts', async () => {
      const { client } = await keyOf({ name: 'support team', role: 'editor', promptPrefix: 'support/*' });
      const list = await client.get('/api/v1/prompts');
      expect(list.body.items.map((x: { name: string }) => x.name)).toEqual(['support/triage']);
      await through(client.get(p('support/triage')), 200);
      await through(
        client.post(`${p('support/triage')}/versions`, { type: 'text', template: 'Hello {{who}}' }),
        201,
      );
      await through(client.post('/api/v1/prompts', { name: 'support/new' }), 201);
      await refusedAs(client.post('/api/v1/prompts', { name: 'billing/new' }), 'KEY_SCOPE');
      await refusedAs(client.get(p('billing/refund')), 'KEY_SCOPE');
      await refusedAs(client.put(`${p('billing/refund')}/deployments/staging`, { version: 1 }), 'KEY_SCOPE');
      // Project-wide reads would show other prompts' data.
      await refusedAs(client.get('/api/v1/datasets'), 'KEY_SCOPE');
      await refusedAs(client.get('/api/v1/audit'), 'KEY_SCOPE');
      const snapshot = await client.get('/api/v1/environments/production/snapshot');
      expect(Object.keys(snapshot.body.prompts)).toEqual(['support/triage']);
      const whole = await ctx().api.get('/api/v1/environments/production/snapshot');
      expect(Object.keys(whole.body.prompts).sort()).toEqual(['billing/refund', 'support/triage']);
      expect(snapshot.headers.etag).not.toBe(whole.headers.etag);
      expect(snapshot.body.etag).toBe(snapshot.headers.etag);
      const again = await client.get('/api/v1/environments/production/snapshot', {
        'if-none-match': String(snapshot.headers.etag),
      });
      expect(again.status).toBe(304);
      // An exact name (no "*") is that prompt alone.
      const one = await keyOf({ name: 'one prompt', role: 'viewer', promptPrefix: 'billing/refund' });
      await through(one.client.get(p('billing/refund')), 200);
      await refusedAs(one.client.get(p('billing/refund-v2')), 'KEY_SCOPE');
    });

    it("a prompt-scoped key's live stream (real HTTP) carries only its prompts, under the snapshot's ETag", async () => {
      const { api, server } = ctx();
      const { key, client } = await keyOf({
        name: 'support stream',
        role: 'viewer',
        promptPrefix: 'support/*',
      });
      const address = (await server.app.listen({ port: 0, host: '127.0.0.1' })).replace(
        'localhost',
        '127.0.0.1',
      );
      const controller = new AbortController();
      const response = await fetch(`${address}/api/v1/environments/staging/stream`, {
        headers: { authorization: `Bearer ${key}` },
        signal: controller.signal,
      });
      expect(response.status).toBe(200);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let text = '';
      const readUntil = async (needle: string) => {
        while (!text.includes(needle)) {
          const { value, done } = await reader.read();
          if (done) break;
          text += decoder.decode(value, { stream: true });
        }
      };
      await readUntil('\n\n');
      await readUntil('"reason":"connect"');
      const snapshot = await client.get('/api/v1/environments/staging/snapshot');
      expect(text).toContain(`"etag":${JSON.stringify(snapshot.headers.etag)}`);
      expect(text).toContain('support/triage');
      // A change outside the scope is not announced; one inside is, as a delta of its prompts only.
      await through(api.post(`${p('billing/refund')}/versions`, { type: 'text', template: 'v2' }), 201);
      await through(api.put(`${p('billing/refund')}/deployments/staging`, { version: 2 }), 200);
      await through(
        api.post(`${p('support/triage')}/versions`, { type: 'text', template: 'v-next {{who}}' }),
        201,
      );
      const head = (await api.get(`${p('support/triage')}/versions`)).body.items.length as number;
      await through(api.put(`${p('support/triage')}/deployments/staging`, { version: head }), 200);
      await readUntil('"reason":"change"');
      await readUntil('\n\n');
      controller.abort();
      expect(text).not.toContain('billing/refund');
      const after = await client.get('/api/v1/environments/staging/snapshot');
      expect(text).toContain(`"etag":${JSON.stringify(after.headers.etag)}`);
    });

    it('an expired key is refused with KEY_EXPIRED; an expiry in the past is refused at creation', async () => {
      const inHour = new Date(clock.now().getTime() + 3_600_000).toISOString();
      const { client } = await keyOf({ name: 'temp', role: 'viewer', expiresAt: inHour });
      await through(client.get('/api/v1/prompts'), 200);
      clock.advance(3_600_000);
      await refusedAs(client.get('/api/v1/prompts'), 'KEY_EXPIRED');
      const { key } = await keyOf({
        name: 'later',
        role: 'viewer',
        expiresAt: new Date(clock.now().getTime() + 1000).toISOString(),
      });
      clock.advance(1000);
      const session = await ctx().server.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { apiKey: key },
      });
      expect(session.statusCode).toBe(403);
      expect(session.json().code).toBe('KEY_EXPIRED');
      const past = await ctx().api.post('/api/v1/api-keys', { name: 'late', expiresAt: inHour });
      expect(past.status).toBe(422);
      expect(past.body.code).toBe('VALIDATION_FAILED');
    });

    it('rotation: a new secret with the same limits; the old one works for the grace period only', async () => {
      const { api } = ctx();
      const old = await keyOf({
        name: 'ci',
        role: 'editor',
        environments: ['staging'],
        promptPrefix: 'support/*',
      });
      const rotated = await api.post(`/api/v1/api-keys/${old.id}/rotate`, { graceSeconds: 60 });
      expect(rotated.status).toBe(201);
      expect(rotated.body).toMatchObject({
        name: 'ci',
        role: 'editor',
        environments: ['staging'],
        promptPrefix: 'support/*',
        rotatedFrom: old.id,
        expiresAt: null,
      });
      expect(rotated.body.key).not.toBe(old.key);
      const fresh: TestClient = createTestClient(ctx().server.app, rotated.body.key);
      await through(old.client.get(p('support/triage')), 200);
      await through(fresh.get(p('support/triage')), 200);
      await refusedAs(fresh.get(p('billing/refund')), 'KEY_SCOPE');
      clock.advance(61_000);
      await refusedAs(old.client.get(p('support/triage')), 'KEY_EXPIRED');
      await through(fresh.get(p('support/triage')), 200);
      // Nothing left to rotate on an expired key; grace 0 ends the old key at once.
      await refusedAs(api.post(`/api/v1/api-keys/${old.id}/rotate`, { graceSeconds: 0 }), 'KEY_EXPIRED');
      const now = await api.post(`/api/v1/api-keys/${rotated.body.id}/rotate`, { graceSeconds: 0 });
      expect(now.status).toBe(201);
      await refusedAs(fresh.get(p('support/triage')), 'KEY_EXPIRED');
      const audit = await api.get('/api/v1/audit?action=api_key.rotate');
      expect(audit.status).toBe(200);
      expect(JSON.stringify(audit.body)).toContain('api_key.rotate');
    });

    it("a rotated key past its grace period does not count as the project's admin key", async () => {
      const project = await ctx().api.post('/api/v1/projects', { name: 'rotation' });
      expect(project.status).toBe(201);
      const only = createTestClient(ctx().server.app, project.body.apiKey.key);
      const rotated = await only.post(`/api/v1/api-keys/${project.body.apiKey.id}/rotate`, {
        graceSeconds: 0,
      });
      expect(rotated.status).toBe(201);
      const fresh = createTestClient(ctx().server.app, rotated.body.key);
      const revoke = await fresh.delete(`/api/v1/api-keys/${rotated.body.id}`);
      expect(revoke.status).toBe(409);
      expect(revoke.body.code).toBe('LAST_ADMIN_KEY');
    });

    it('a browser session opened with a limited key keeps its limits', async () => {
      const { key } = await keyOf({ name: 'app in browser', readOnly: true, environments: ['production'] });
      const opened = await ctx().server.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { apiKey: key },
      });
      expect(opened.statusCode).toBe(204);
      const cookie = String(opened.headers['set-cookie']).split(';')[0] ?? '';
      const inject = (url: string) => ctx().server.app.inject({ url, headers: { cookie } });
      expect((await inject('/api/v1/environments/production/snapshot')).statusCode).toBe(200);
      const refused = await inject('/api/v1/prompts');
      expect(refused.statusCode).toBe(403);
      expect(refused.json().code).toBe('KEY_SCOPE');
    });
  },
  { clock },
);
