/**
 * The instance security log on both databases: person sign-ins, refusals, lockouts and sign-outs
 * land in one hash chain of the instance, readable with filters and cursor paging by instance
 * admins only; editing or deleting a stored event is reported by verify.
 */
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { SESSION_COOKIE } from '../session/cookie.ts';
import { createManualClock, createTestClient, describeServer } from '../test-helpers/index.ts';

const clock = createManualClock(new Date('2026-05-01T08:00:00.000Z'));
const PASSWORD = 'correct horse battery staple';
const EVENTS = '/api/v1/instance/security-events';

describeServer(
  (ctx) => {
    const signIn = (email: string, password: string) =>
      ctx().server.app.inject({
        method: 'POST',
        url: '/api/v1/session/password',
        payload: { email, password },
      });
    const tokenOf = (response: { cookies: { name: string; value: string }[] }) =>
      response.cookies.find((c) => c.name === SESSION_COOKIE)?.value ?? '';
    const asSession = (token: string, url: string) =>
      ctx().server.app.inject({ url, cookies: { [SESSION_COOKIE]: token } });

    async function member(api = ctx().api, email: string, role: 'viewer' | 'admin' = 'viewer') {
      const added = await api.put('/api/v1/members', { email, role });
      expect(added.status).toBe(200);
      expect(
        (await api.put(`/api/v1/members/${added.body.user.id}/password`, { password: PASSWORD })).status,
      ).toBe(204);
    }

    it('records sign-ins, refusals, lockouts and sign-outs of people, with their project', async () => {
      const { api, server } = ctx();
      await member(api, 'lee@example.com');
      clock.set('2026-05-01T09:00:00.000Z');
      expect((await signIn('lee@example.com', 'wrong password!')).statusCode).toBe(401);
      clock.set('2026-05-01T10:00:00.000Z');
      const session = await signIn('LEE@example.com', PASSWORD);
      expect(session.statusCode).toBe(204);
      expect(
        (
          await server.app.inject({
            method: 'DELETE',
            url: '/api/v1/session',
            cookies: { [SESSION_COOKIE]: tokenOf(session) },
          })
        ).statusCode,
      ).toBe(204);
      clock.set('2026-05-01T11:00:00.000Z');
      for (let i = 0; i < 5; i++) await signIn('stranger@example.com', `guess number ${i}`);

      const lee = await api.get(`${EVENTS}?email=Lee@Example.com`);
      expect(lee.status).toBe(200);
      expect(lee.body.items.map((e: { type: string }) => e.type)).toEqual([
        'session.sign_out',
        'session.sign_in',
        'session.sign_in_failed',
      ]);
      expect(lee.body.items[1]).toMatchObject({
        email: 'lee@example.com',
        actor: 'lee@example.com',
        project: 'default',
        at: '2026-05-01T10:00:00.000Z',
        data: { method: 'password', role: 'viewer' },
      });
      expect(lee.body.items[2]).toMatchObject({ projectId: null, data: { code: 'INVALID_CREDENTIALS' } });

      const locked = await api.get(`${EVENTS}?type=session.locked`);
      expect(locked.body.items).toEqual([
        expect.objectContaining({
          email: 'stranger@example.com',
          actor: 'system',
          data: expect.objectContaining({ failures: 5 }),
        }),
      ]);
      // from inclusive, to exclusive.
      const window = await api.get(`${EVENTS}?from=2026-05-01T09:00:00Z&to=2026-05-01T11:00:00Z`);
      expect(window.body.items.map((e: { type: string; at: string }) => `${e.type} ${e.at}`)).toEqual([
        'session.sign_out 2026-05-01T10:00:00.000Z',
        'session.sign_in 2026-05-01T10:00:00.000Z',
        'session.sign_in_failed 2026-05-01T09:00:00.000Z',
      ]);
      // Neither the stranger nor the refusals are in the default project's audit log.
      const audit = JSON.stringify((await api.get('/api/v1/audit?limit=500')).body);
      expect(audit).not.toContain('stranger@example.com');
      expect(audit).not.toContain('session.sign_in_failed');
    }, 120_000);

    it('pages newest first with the cursor, and refuses bad filters with 422', async () => {
      const { api } = ctx();
      const all = (await api.get(`${EVENTS}?limit=500`)).body.items as { id: number }[];
      expect(all.length).toBeGreaterThanOrEqual(8);
      const seen: number[] = [];
      let cursor: string | null = '';
      while (cursor !== null) {
        const page = await api.get(`${EVENTS}?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.body.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.body.items.map((e: { id: number }) => e.id));
        cursor = page.body.nextCursor;
      }
      expect(seen).toEqual(all.map((e) => e.id));
      expect([...seen].sort((a, b) => b - a)).toEqual(seen);
      for (const query of ['type=session.nope', 'from=yesterday', 'limit=0', 'cursor=abc']) {
        const refused = await api.get(`${EVENTS}?${query}`);
        expect(refused.status, query).toBe(422);
        expect(refused.headers['content-type']).toContain('application/problem+json');
      }
    });

    it('is read by instance admins only: not by an admin of a project, nor by a lesser key', async () => {
      const { api, server } = ctx();
      const beta = await api.post('/api/v1/projects', { name: 'sec-beta' });
      expect(beta.status).toBe(201);
      const betaAdminKey = createTestClient(server.app, beta.body.apiKey.key);
      await member(betaAdminKey, 'bea@example.com', 'admin');
      const bea = tokenOf(await signIn('bea@example.com', PASSWORD));
      expect((await asSession(bea, '/api/v1/session')).json()).toMatchObject({ role: 'admin' });
      for (const url of [EVENTS, `${EVENTS}/verify`]) {
        const refused = await asSession(bea, url);
        expect(refused.statusCode).toBe(403);
        expect(refused.json().code).toBe('INSTANCE_ADMIN_REQUIRED');
      }
      // A viewer key (acting as the instance admin who made it) stops at the route's role.
      const viewer = await api.post('/api/v1/api-keys', { name: 'sec-viewer', role: 'viewer' });
      const byViewer = await createTestClient(server.app, viewer.body.key).get(EVENTS);
      expect(byViewer.status).toBe(403);
      expect(byViewer.body.code).toBe('FORBIDDEN');
      // The instance admin sees bea's sign-in in sec-beta.
      const seen = await api.get(`${EVENTS}?email=bea@example.com&type=session.sign_in`);
      expect(seen.body.items[0]).toMatchObject({ project: 'sec-beta', data: { role: 'admin' } });
    });

    it('records a browser signing in and out with an API key, naming the key', async () => {
      const { api, server } = ctx();
      const key = await api.post('/api/v1/api-keys', {
        name: 'kiosk',
        role: 'viewer',
        user: 'kiosk@example.com',
        account: 'service',
      });
      const opened = await server.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { apiKey: key.body.key },
      });
      expect(opened.statusCode).toBe(204);
      const out = await server.app.inject({
        method: 'DELETE',
        url: '/api/v1/session',
        cookies: { [SESSION_COOKIE]: tokenOf(opened) },
      });
      expect(out.statusCode).toBe(204);
      const events = (await api.get(`${EVENTS}?email=kiosk@example.com`)).body.items;
      expect(events).toEqual([
        expect.objectContaining({ type: 'session.sign_out', data: { method: 'api_key', key: 'kiosk' } }),
        expect.objectContaining({
          type: 'session.sign_in',
          project: 'default',
          data: { method: 'api_key', key: 'kiosk', role: 'viewer' },
        }),
      ]);
      // A refused key is not recorded (nothing throttles that route).
      const before = (await api.get(`${EVENTS}?limit=500`)).body.items.length;
      const refused = await server.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { apiKey: 'pl_nope' },
      });
      expect(refused.statusCode).toBe(401);
      expect((await api.get(`${EVENTS}?limit=500`)).body.items.length).toBe(before);
    });

    it('verifies the chain, and names an altered or deleted event', async () => {
      const { api, server } = ctx();
      const intact = await api.get(`${EVENTS}/verify`);
      expect(intact.body).toMatchObject({ ok: true, brokenAt: null });
      expect(intact.body.checked).toBeGreaterThanOrEqual(8);
      const events = (await api.get(`${EVENTS}?limit=500`)).body.items as { id: number; hash: string }[];
      expect(intact.body.head).toBe(events[0]?.hash);
      const db = server.database.db;
      const victim = events[3]?.id ?? 0;
      await sql`update security_events set email = 'someone-else@example.com' where id = ${victim}`.execute(
        db,
      );
      const altered = await api.get(`${EVENTS}/verify`);
      expect(altered.body).toMatchObject({ ok: false, brokenAt: victim });
      expect(altered.body.reason).toContain('altered');
      await sql`delete from security_events where id = ${victim}`.execute(db);
      const deleted = await api.get(`${EVENTS}/verify`);
      expect(deleted.body).toMatchObject({ ok: false, brokenAt: events[2]?.id });
      expect(deleted.body.reason).toContain('does not link');
    });
  },
  { clock },
);
