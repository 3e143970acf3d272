/**
 * Invitations, the first-run screen's API and changing one's own password (issue 11), over
 * app.inject on both databases.
 */
import { expect, it } from 'vitest';
import { createManualClock, createTestClient, describeServer } from '../test-helpers/index.ts';

const clock = createManualClock(new Date('2026-06-01T10:00:00.000Z'));
const PASSWORD = 'correct horse battery staple';

describeServer(
  (ctx) => {
    const post = (url: string, payload: unknown, extra: { cookie?: string; remoteAddress?: string } = {}) =>
      ctx().server.app.inject({
        method: 'POST',
        url,
        payload: payload as Record<string, unknown>,
        ...(extra.remoteAddress ? { remoteAddress: extra.remoteAddress } : {}),
        headers: extra.cookie ? { cookie: extra.cookie } : {},
      });
    const cookieOf = (response: { headers: Record<string, unknown> }) =>
      String(response.headers['set-cookie']).split(';')[0] ?? '';
    const whoami = async (cookie: string) =>
      ctx().server.app.inject({ url: '/api/v1/session', headers: { cookie } });

    it('first run: open while no person is admin; from elsewhere only with the bootstrap key; works once', async () => {
      const anonymous = createTestClient(ctx().server.app, undefined);
      expect((await anonymous.get('/api/v1/setup')).body).toEqual({ needed: true });
      const body = { email: 'Root@Example.test', name: 'Ruth Root', password: PASSWORD };
      const remote = await post('/api/v1/setup', body, { remoteAddress: '10.1.2.3' });
      expect(remote.statusCode).toBe(403);
      expect(remote.json().code).toBe('SETUP_NOT_ALLOWED');
      const wrongKey = await post(
        '/api/v1/setup',
        { ...body, bootstrapKey: 'pl_nope' },
        { remoteAddress: '10.1.2.3' },
      );
      expect(wrongKey.json().code).toBe('SETUP_NOT_ALLOWED');
      const done = await post(
        '/api/v1/setup',
        { ...body, bootstrapKey: ctx().server.apiKey },
        { remoteAddress: '10.1.2.3' },
      );
      expect(done.statusCode).toBe(204);
      const me = await whoami(cookieOf(done));
      expect(me.json()).toMatchObject({
        user: { email: 'root@example.test', name: 'Ruth Root' },
        role: 'admin',
      });
      const firstSignIn = await ctx().api.get('/api/v1/instance/security-events?email=root@example.test');
      expect(firstSignIn.body.items).toEqual([
        expect.objectContaining({
          type: 'session.sign_in',
          data: expect.objectContaining({ via: 'setup', firstAdmin: true, address: '10.1.2.3' }),
        }),
      ]);
      expect((await anonymous.get('/api/v1/setup')).body).toEqual({ needed: false });
      const again = await post('/api/v1/setup', { ...body, email: 'other@example.test' });
      expect(again.statusCode).toBe(409);
      expect(again.json().code).toBe('SETUP_DONE');
      const signIn = await post('/api/v1/session/password', {
        email: 'root@example.test',
        password: PASSWORD,
      });
      expect(signIn.statusCode).toBe(204);
    });

    it('an invitation link sets a password and joins the project with its role, once', async () => {
      const { api } = ctx();
      const created = await api.post('/api/v1/invitations', { email: 'Bob@Example.test', role: 'editor' });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ email: 'bob@example.test', role: 'editor', status: 'pending' });
      expect(created.body.path).toBe(`/invite/${created.body.token}`);
      const list = await api.get('/api/v1/invitations');
      expect(list.text).not.toContain(created.body.token);
      expect(list.body.items[0]).toMatchObject({ email: 'bob@example.test', status: 'pending' });
      const token = created.body.token as string;
      const preview = await post('/api/v1/invitations/inspect', { token });
      expect(preview.json()).toMatchObject({
        email: 'bob@example.test',
        role: 'editor',
        project: 'default',
        hasAccount: false,
      });
      const short = await post('/api/v1/invitations/accept', { token, password: 'short' });
      expect(short.statusCode).toBe(422);
      const accepted = await post('/api/v1/invitations/accept', {
        token,
        password: PASSWORD,
        name: 'Bob Builder',
      });
      expect(accepted.statusCode).toBe(204);
      expect((await whoami(cookieOf(accepted))).json()).toMatchObject({
        user: { email: 'bob@example.test', name: 'Bob Builder' },
        role: 'editor',
        keyName: null,
      });
      // Accepting signs Bob in: recorded in the instance security log.
      const signIns = await api.get(
        '/api/v1/instance/security-events?type=session.sign_in&email=bob@example.test',
      );
      expect(signIns.body.items).toEqual([
        expect.objectContaining({
          project: 'default',
          data: { method: 'password', via: 'invitation', role: 'editor' },
        }),
      ]);
      const twice = await post('/api/v1/invitations/accept', { token, password: PASSWORD });
      expect(twice.statusCode).toBe(410);
      expect(twice.json().code).toBe('INVITATION_INVALID');
      expect((await post('/api/v1/invitations/inspect', { token })).statusCode).toBe(410);
      expect((await api.get('/api/v1/invitations')).body.items[0].status).toBe('accepted');
      const members = await api.get('/api/v1/members');
      expect(members.body.items).toContainEqual(
        expect.objectContaining({
          role: 'editor',
          user: expect.objectContaining({ email: 'bob@example.test', status: 'active' }),
        }),
      );
      const audit = JSON.stringify((await api.get('/api/v1/audit?limit=200')).body);
      expect(audit).toContain('invitation.create');
      expect(audit).toContain('invitation.accept');
    });

    it('a revoked or expired invitation link is refused', async () => {
      const { api } = ctx();
      const revoked = (await api.post('/api/v1/invitations', { email: 'carol@example.test' })).body;
      expect((await api.delete(`/api/v1/invitations/${revoked.id}`)).body.status).toBe('revoked');
      const late = await post('/api/v1/invitations/accept', { token: revoked.token, password: PASSWORD });
      expect(late.json().code).toBe('INVITATION_INVALID');
      expect((await api.delete(`/api/v1/invitations/${revoked.id}`)).status).toBe(410);
      const expiring = (
        await api.post('/api/v1/invitations', { email: 'dave@example.test', expiresInHours: 1 })
      ).body;
      clock.advance(3_600_001);
      const expired = await post('/api/v1/invitations/accept', { token: expiring.token, password: PASSWORD });
      expect(expired.json().code).toBe('INVITATION_INVALID');
      const listed = (await api.get('/api/v1/invitations')).body.items;
      expect(listed.find((i: { id: number }) => i.id === expiring.id).status).toBe('expired');
    });

    it('a person changes their own password with the current one; other sessions end', async () => {
      const first = await post('/api/v1/session/password', { email: 'bob@example.test', password: PASSWORD });
      const second = await post('/api/v1/session/password', {
        email: 'bob@example.test',
        password: PASSWORD,
      });
      const cookie = cookieOf(first);
      const change = (currentPassword: string, newPassword: string) =>
        ctx().server.app.inject({
          method: 'PUT',
          url: '/api/v1/me/password',
          headers: { cookie },
          payload: { currentPassword, newPassword },
        });
      const wrong = await change('not my password', 'a brand new passphrase');
      expect(wrong.statusCode).toBe(403);
      expect(wrong.json().code).toBe('WRONG_PASSWORD');
      const changed = await change(PASSWORD, 'a brand new passphrase');
      expect(changed.statusCode).toBe(204);
      expect((await whoami(cookieOf(changed))).statusCode).toBe(200);
      expect((await whoami(cookieOf(second))).statusCode).toBe(401);
      const old = await post('/api/v1/session/password', { email: 'bob@example.test', password: PASSWORD });
      expect(old.statusCode).toBe(401);
      const fresh = await post('/api/v1/session/password', {
        email: 'bob@example.test',
        password: 'a brand new passphrase',
      });
      expect(fresh.statusCode).toBe(204);
      const audit = JSON.stringify((await ctx().api.get('/api/v1/audit?limit=200')).body);
      expect(audit).toContain('user.password_changed');
      expect(audit).toContain('user.password_change_failed');
    });

    it('an invitation link never takes over an existing account', async () => {
      const { api, server } = ctx();
      const other = createTestClient(
        server.app,
        (await api.post('/api/v1/projects', { name: 'other' })).body.apiKey.key,
      );
      // Bob has a password: the link needs it, and leaves it as it is.
      const bob = (await other.post('/api/v1/invitations', { email: 'bob@example.test', role: 'viewer' }))
        .body;
      const preview = await post('/api/v1/invitations/inspect', { token: bob.token });
      expect(preview.json().hasAccount).toBe(true);
      const takeover = await post('/api/v1/invitations/accept', {
        token: bob.token,
        password: 'attacker passphrase',
      });
      expect(takeover.statusCode).toBe(403);
      expect(takeover.json().code).toBe('WRONG_PASSWORD');
      const joined = await post('/api/v1/invitations/accept', {
        token: bob.token,
        password: 'a brand new passphrase',
      });
      expect(joined.statusCode).toBe(204);
      expect((await whoami(cookieOf(joined))).json()).toMatchObject({
        project: { name: 'other' },
        role: 'viewer',
      });
      const attacker = await post('/api/v1/session/password', {
        email: 'bob@example.test',
        password: 'attacker passphrase',
      });
      expect(attacker.statusCode).toBe(401);
      // Ivy is a member elsewhere without a password: she accepts by signing in, not through the link.
      expect((await api.put('/api/v1/members', { email: 'ivy@example.test', role: 'editor' })).status).toBe(
        200,
      );
      const ivy = (await other.post('/api/v1/invitations', { email: 'ivy@example.test' })).body;
      const refused = await post('/api/v1/invitations/accept', { token: ivy.token, password: PASSWORD });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().code).toBe('ACCOUNT_EXISTS');
      expect((await post('/api/v1/invitations/inspect', { token: ivy.token })).statusCode).toBe(200);
      // Nor may an admin of one project set the password of a person who belongs to another.
      const otherAdmin = await other.post('/api/v1/api-keys', {
        name: 'other admin',
        role: 'admin',
        user: 'olga@example.test',
        account: 'service',
      });
      const olga = createTestClient(server.app, otherAdmin.body.key);
      const bobId = (await olga.get('/api/v1/members')).body.items.find(
        (m: { user: { email: string } }) => m.user.email === 'bob@example.test',
      ).user.id as number;
      const reset = await olga.put(`/api/v1/members/${bobId}/password`, { password: 'attacker passphrase' });
      expect(reset.status).toBe(403);
      expect(reset.body.code).toBe('INSTANCE_ADMIN_REQUIRED');
      // The instance admin may.
      expect(
        (await other.put(`/api/v1/members/${bobId}/password`, { password: 'a brand new passphrase' })).status,
      ).toBe(204);
    });

    it('guessing an existing password through an invitation link counts towards the lockout', async () => {
      const { api, server } = ctx();
      const kim = await api.put('/api/v1/members', { email: 'kim@example.test', role: 'viewer' });
      expect(
        (await api.put(`/api/v1/members/${kim.body.user.id}/password`, { password: PASSWORD })).status,
      ).toBe(204);
      const elsewhere = createTestClient(
        server.app,
        (await api.post('/api/v1/projects', { name: 'guessers' })).body.apiKey.key,
      );
      const link = (await elsewhere.post('/api/v1/invitations', { email: 'kim@example.test' })).body
        .token as string;
      const from = { remoteAddress: '10.9.9.9' };
      for (let i = 0; i < 5; i++) {
        const guess = await post(
          '/api/v1/invitations/accept',
          { token: link, password: `guess number ${i}!` },
          from,
        );
        expect(guess.statusCode).toBe(403);
        expect(guess.json().code).toBe('WRONG_PASSWORD');
      }
      // Locked: the right password no longer opens the link, nor the sign-in page.
      const locked = await post('/api/v1/invitations/accept', { token: link, password: PASSWORD }, from);
      expect(locked.statusCode).toBe(423);
      expect(locked.json().code).toBe('ACCOUNT_LOCKED');
      const signIn = await post('/api/v1/session/password', {
        email: 'kim@example.test',
        password: PASSWORD,
      });
      expect(signIn.json().code).toBe('ACCOUNT_LOCKED');
      const refusals = await api.get('/api/v1/instance/security-events?email=kim@example.test&limit=20');
      const types = refusals.body.items.map(
        (e: { type: string; data: { code?: string } }) => `${e.type} ${e.data.code ?? ''}`,
      );
      expect(types.filter((t: string) => t === 'session.sign_in_failed WRONG_PASSWORD')).toHaveLength(5);
      expect(types).toContain('session.locked ');
      expect(refusals.body.items[0].data).toMatchObject({ code: 'ACCOUNT_LOCKED' });
      // After the lockout the link still works with the right password.
      clock.advance(15 * 60_000 + 1);
      expect(
        (await post('/api/v1/invitations/accept', { token: link, password: PASSWORD }, from)).statusCode,
      ).toBe(204);
    });
  },
  { clock },
);
