/**
 * Password sign-in on both databases: scrypt hashes with a salt each, one answer for every wrong
 * credential, lockout after repeated failures (also for unknown emails), admin reset, and the
 * per-address throttle.
 */
import { expect, it } from 'vitest';
import { SESSION_COOKIE } from '../session/cookie.ts';
import { createManualClock, describeServer } from '../test-helpers/index.ts';

const clock = createManualClock(new Date('2026-03-01T10:00:00.000Z'));
const PASSWORD = 'correct horse battery staple';

describeServer(
  (ctx) => {
    const signIn = (email: string, password: string) =>
      ctx().server.app.inject({
        method: 'POST',
        url: '/api/v1/session/password',
        payload: { email, password },
      });
    const tokenOf = (response: { cookies: { name: string; value: string }[] }) =>
      response.cookies.find((c) => c.name === SESSION_COOKIE)?.value;
    const me = (token: string) =>
      ctx().server.app.inject({ url: '/api/v1/session', cookies: { [SESSION_COOKIE]: token } });

    async function member(email: string, role: 'viewer' | 'editor' = 'editor', password = PASSWORD) {
      const { api } = ctx();
      const added = await api.put('/api/v1/members', { email, role });
      expect(added.status).toBe(200);
      const id = added.body.user.id as number;
      expect((await api.put(`/api/v1/members/${id}/password`, { password })).status).toBe(204);
      return id;
    }

    async function lastAudit(action: string) {
      const page = await ctx().api.get(`/api/v1/audit?action=${action}&limit=1`);
      return page.body.items[0];
    }

    /** The newest event of a type in the instance security log (the test key is an instance admin's). */
    async function lastSecurity(type: string) {
      const page = await ctx().api.get(`/api/v1/instance/security-events?type=${type}&limit=1`);
      expect(page.status).toBe(200);
      return page.body.items[0];
    }

    it('signs a member in with the password an admin set: a session as that person, audited', async () => {
      await member('pat@example.com');
      const response = await signIn('Pat@Example.com', PASSWORD);
      expect(response.statusCode).toBe(204);
      expect(response.cookies.find((c) => c.name === SESSION_COOKIE)).toMatchObject({
        httpOnly: true,
        sameSite: 'Strict',
      });
      const who = await me(tokenOf(response) ?? '');
      expect(who.json()).toMatchObject({ user: { email: 'pat@example.com' }, keyName: null, role: 'editor' });
      expect(await lastAudit('session.sign_in')).toMatchObject({
        actor: 'pat@example.com',
        data: { method: 'password', firstAdmin: false },
      });
      expect(await lastSecurity('session.sign_in')).toMatchObject({
        email: 'pat@example.com',
        project: 'default',
        data: { method: 'password', role: 'editor', address: '127.0.0.1' },
      });
      expect(await lastAudit('user.password_set')).toMatchObject({ target: 'pat@example.com' });
    });

    it('stores only a salted scrypt hash: the same password twice gives two different hashes', async () => {
      await member('quinn@example.com', 'viewer');
      const rows = await ctx()
        .server.database.db.selectFrom('user_passwords' as never)
        .select(['hash' as never])
        .execute();
      const hashes = (rows as { hash: string }[]).map((r) => r.hash);
      expect(hashes.length).toBeGreaterThanOrEqual(2);
      for (const hash of hashes) {
        expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{88}$/);
        expect(hash).not.toContain(PASSWORD);
      }
      expect(new Set(hashes).size).toBe(hashes.length);
    });

    it('answers a wrong password and an unknown email alike, and audits both', async () => {
      const wrong = await signIn('pat@example.com', 'not the password');
      const unknown = await signIn('nobody@example.com', PASSWORD);
      for (const response of [wrong, unknown]) {
        expect(response.statusCode).toBe(401);
        expect(response.json().code).toBe('INVALID_CREDENTIALS');
        expect(tokenOf(response)).toBeUndefined();
      }
      expect(wrong.json().detail).toBe(unknown.json().detail);
      expect(await lastSecurity('session.sign_in_failed')).toMatchObject({
        actor: 'nobody@example.com',
        email: 'nobody@example.com',
        projectId: null,
        data: { method: 'password', code: 'INVALID_CREDENTIALS', address: '127.0.0.1' },
      });
      // Refusals name people of any project, or none: never in the default project's audit log.
      expect(await lastAudit('session.sign_in_failed')).toBeUndefined();
      // A success resets the count: pat's earlier failure does not add up to a lockout.
      expect((await signIn('pat@example.com', PASSWORD)).statusCode).toBe(204);
    });

    it('refuses a password shorter than 12 characters, and a password for a service account', async () => {
      const { api } = ctx();
      const short = await api.put('/api/v1/members/1/password', { password: 'short' });
      expect(short.status).toBe(422);
      const members = await api.get('/api/v1/members');
      const service = members.body.items.find(
        (m: { user: { status: string } }) => m.user.status === 'service',
      );
      const refused = await api.put(`/api/v1/members/${service.user.id}/password`, { password: PASSWORD });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('ACCOUNT_NOT_ALLOWED');
    });

    it('locks an email after 5 failures in a row, even against the right password, until the lockout ends', async () => {
      clock.advance(60_000); // a fresh window of the address throttle
      await member('rey@example.com');
      for (let i = 0; i < 5; i++)
        expect((await signIn('rey@example.com', `guess ${i}`)).statusCode).toBe(401);
      const locked = await signIn('rey@example.com', PASSWORD);
      expect(locked.statusCode).toBe(423);
      expect(locked.json().code).toBe('ACCOUNT_LOCKED');
      expect(await lastSecurity('session.locked')).toMatchObject({
        email: 'rey@example.com',
        actor: 'system',
        data: { failures: 5 },
      });
      expect(await lastAudit('session.locked')).toBeUndefined();
      // An unknown email locks the same way: the lockout tells nothing about which accounts exist.
      for (let i = 0; i < 5; i++) await signIn('ghost@example.com', `guess ${i}`);
      expect((await signIn('ghost@example.com', PASSWORD)).json().code).toBe('ACCOUNT_LOCKED');
      clock.advance(15 * 60_000 + 1);
      expect((await signIn('rey@example.com', PASSWORD)).statusCode).toBe(204);
    });

    it("an admin's new password lifts a lockout and ends the person's sessions", async () => {
      const id = await member('sam@example.com');
      const before = tokenOf(await signIn('sam@example.com', PASSWORD)) ?? '';
      expect((await me(before)).statusCode).toBe(200);
      for (let i = 0; i < 5; i++) await signIn('sam@example.com', `guess ${i}`);
      expect((await signIn('sam@example.com', PASSWORD)).statusCode).toBe(423);
      expect(
        (await ctx().api.put(`/api/v1/members/${id}/password`, { password: 'a brand new passphrase' }))
          .status,
      ).toBe(204);
      expect((await me(before)).statusCode).toBe(401);
      expect((await signIn('sam@example.com', PASSWORD)).statusCode).toBe(401);
      expect((await signIn('sam@example.com', 'a brand new passphrase')).statusCode).toBe(204);
    });

    it('throttles one address: 15 attempts a minute here, then 429 RATE_LIMITED until the window ends', async () => {
      clock.advance(60_000);
      const answers: number[] = [];
      for (let i = 0; i < 15; i++) answers.push((await signIn(`flood${i}@example.com`, 'x')).statusCode);
      expect(answers.every((s) => s === 401)).toBe(true);
      const limited = await signIn('pat@example.com', PASSWORD);
      expect(limited.statusCode).toBe(429);
      expect(limited.json().code).toBe('RATE_LIMITED');
      clock.advance(60_000);
      expect((await signIn('pat@example.com', PASSWORD)).statusCode).toBe(204);
    }, 60_000);
  },
  { clock, passwords: { maxFailures: 5, lockoutMs: 15 * 60_000, perAddress: { max: 15, windowMs: 60_000 } } },
);
