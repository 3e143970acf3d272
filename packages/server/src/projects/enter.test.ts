/**
 * Instance admins in projects they are not members of (issue 11), on both databases: they list
 * every project, enter one as its admin — by key (`POST /api/v1/projects/{id}/enter`, an expiring
 * admin key) or by moving their browser session — and each entry is audited in that project and in
 * the instance security log. Nobody else enters.
 */
import { expect, it } from 'vitest';
import {
  createManualClock,
  createTestClient,
  describeServer,
  type TestClient,
} from '../test-helpers/index.ts';

const clock = createManualClock(new Date('2026-07-01T10:00:00.000Z'));
const PASSWORD = 'correct horse battery staple';

describeServer(
  (ctx) => {
    /** A project the instance admin (the test key's user) is not a member of, run by Gwen. */
    async function foreignProject(name: string): Promise<{ id: number; gwen: TestClient }> {
      const { api, server } = ctx();
      const created = await api.post('/api/v1/projects', { name });
      expect(created.status).toBe(201);
      const own = createTestClient(server.app, created.body.apiKey.key);
      const gwenKey = await own.post('/api/v1/api-keys', {
        name: 'gwen',
        role: 'admin',
        user: `gwen@${name}.test`,
      });
      expect(gwenKey.status).toBe(201);
      const gwen = createTestClient(server.app, gwenKey.body.key);
      const members = (await gwen.get('/api/v1/members')).body.items as {
        user: { id: number; email: string };
      }[];
      const me = members.find((m) => m.user.email === 'instance-admin@promptline.invalid');
      expect((await gwen.delete(`/api/v1/members/${me?.user.id}`)).status).toBe(204);
      return { id: created.body.project.id, gwen };
    }

    it('lists every project for an instance admin, with role null where not a member', async () => {
      const { api } = ctx();
      const { id } = await foreignProject('far-away');
      const listed = (await api.get('/api/v1/projects')).body.items as { id: number; role: string | null }[];
      expect(listed.find((p) => p.id === id)).toMatchObject({ name: 'far-away', role: null, current: false });
    });

    it('enters a project by key: admin of it, an expiring admin key, audited there and in the security log', async () => {
      const { api, server } = ctx();
      const { id, gwen } = await foreignProject('gamma');
      const in2h = new Date(clock.now().getTime() + 2 * 3_600_000).toISOString();
      const entered = await api.post(`/api/v1/projects/${id}/enter`, { expiresInHours: 2 });
      expect(entered.status).toBe(201);
      expect(entered.body).toMatchObject({
        project: { id, name: 'gamma', role: 'admin', current: false },
        apiKey: { expiresAt: in2h },
      });
      const key = createTestClient(server.app, entered.body.apiKey.key);
      expect((await key.get('/api/v1/session')).body).toMatchObject({
        role: 'admin',
        project: { name: 'gamma' },
      });
      expect((await key.post('/api/v1/prompts', { name: 'entered/by-admin' })).status).toBe(201);
      // Gwen sees who came in: a member, and the access in gamma's audit log.
      const members = (await gwen.get('/api/v1/members')).body.items as {
        role: string;
        user: { email: string };
      }[];
      expect(members).toContainEqual(
        expect.objectContaining({
          role: 'admin',
          user: expect.objectContaining({ email: 'instance-admin@promptline.invalid' }),
        }),
      );
      const audit = (await gwen.get('/api/v1/audit?action=project.instance_admin_access')).body.items;
      expect(audit).toEqual([
        expect.objectContaining({
          target: 'gamma',
          data: { via: 'key', previousRole: null, instanceAdmin: 'instance-admin@promptline.invalid' },
        }),
      ]);
      const security = await api.get('/api/v1/instance/security-events?type=project.instance_admin_access');
      expect(security.body.items[0]).toMatchObject({
        project: 'gamma',
        email: 'instance-admin@promptline.invalid',
      });
      expect((await api.get('/api/v1/projects')).body.items).toContainEqual(
        expect.objectContaining({ id, role: 'admin' }),
      );
      // Entering again (already admin) writes nothing new.
      expect((await api.post(`/api/v1/projects/${id}/enter`, {})).status).toBe(201);
      expect((await gwen.get('/api/v1/audit?action=project.instance_admin_access')).body.items).toHaveLength(
        1,
      );
      // The key stops at its expiry.
      clock.advance(2 * 3_600_000 + 1);
      const expired = await key.get('/api/v1/prompts');
      expect(expired.status).toBe(403);
      expect(expired.body.code).toBe('KEY_EXPIRED');
    });

    it('refuses anyone but an instance admin, an unknown project, and a bad expiry', async () => {
      const { api } = ctx();
      const { id, gwen } = await foreignProject('delta');
      const defaultId = (await api.get('/api/v1/session')).body.project.id as number;
      const refused = await gwen.post(`/api/v1/projects/${defaultId}/enter`, {});
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('INSTANCE_ADMIN_REQUIRED');
      expect((await api.post('/api/v1/projects/999999/enter', {})).body.code).toBe('PROJECT_NOT_FOUND');
      expect((await api.post(`/api/v1/projects/${id}/enter`, { expiresInHours: 0 })).status).toBe(422);
      expect((await api.post(`/api/v1/projects/${id}/enter`, { expiresInHours: 721 })).status).toBe(422);
      // A lesser key of the instance admin stops at the route's role.
      const viewer = await api.post('/api/v1/api-keys', { name: 'enter-viewer', role: 'viewer' });
      const byViewer = await createTestClient(ctx().server.app, viewer.body.key).post(
        `/api/v1/projects/${id}/enter`,
        {},
      );
      expect(byViewer.status).toBe(403);
      expect(byViewer.body.code).toBe('FORBIDDEN');
      expect((await gwen.get('/api/v1/audit?action=project.instance_admin_access')).body.items).toEqual([]);
    });

    it("an instance admin's browser session switches into any project as its admin; another person's does not", async () => {
      const { server } = ctx();
      const { id, gwen } = await foreignProject('epsilon');
      const setup = await server.app.inject({
        method: 'POST',
        url: '/api/v1/setup',
        payload: { email: 'root@example.test', name: 'Ruth Root', password: PASSWORD },
      });
      expect(setup.statusCode).toBe(204);
      const cookie = String(setup.headers['set-cookie']).split(';')[0] ?? '';
      const as = (method: 'GET' | 'PUT', url: string, payload?: Record<string, unknown>) =>
        server.app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });
      const listed = (await as('GET', '/api/v1/projects')).json().items as {
        id: number;
        role: string | null;
      }[];
      expect(listed.find((p) => p.id === id)?.role).toBeNull();
      expect((await as('PUT', '/api/v1/session/project', { projectId: id })).statusCode).toBe(204);
      expect((await as('GET', '/api/v1/session')).json()).toMatchObject({
        user: { email: 'root@example.test', instanceAdmin: true },
        role: 'admin',
        project: { name: 'epsilon' },
      });
      expect((await gwen.get('/api/v1/audit?action=project.instance_admin_access')).body.items).toEqual([
        expect.objectContaining({
          actor: 'root@example.test',
          data: expect.objectContaining({ via: 'session' }),
        }),
      ]);
      // Gwen, admin of epsilon only, cannot switch into the default project.
      await gwen.put('/api/v1/members', { email: 'gwen@epsilon.test', role: 'admin' });
      const gwenUser = (await gwen.get('/api/v1/session')).body.user.id as number;
      expect((await gwen.put(`/api/v1/members/${gwenUser}/password`, { password: PASSWORD })).status).toBe(
        204,
      );
      const gwenIn = await server.app.inject({
        method: 'POST',
        url: '/api/v1/session/password',
        payload: { email: 'gwen@epsilon.test', password: PASSWORD },
      });
      const gwenCookie = String(gwenIn.headers['set-cookie']).split(';')[0] ?? '';
      const defaultId = (await ctx().api.get('/api/v1/session')).body.project.id as number;
      const refused = await server.app.inject({
        method: 'PUT',
        url: '/api/v1/session/project',
        headers: { cookie: gwenCookie },
        payload: { projectId: defaultId },
      });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().code).toBe('PROJECT_NOT_MEMBER');
    });
  },
  { clock },
);
