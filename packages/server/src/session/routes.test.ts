import { expect, it } from 'vitest';
import { createManualClock, describeServer } from '../test-helpers/index.ts';
import { SESSION_COOKIE } from './cookie.ts';
import { SESSION_TTL_MS } from './service.ts';

const clock = createManualClock(new Date());

describeServer(
  (ctx) => {
    /** Opens a session with `apiKey` and returns the cookie's token and the raw Set-Cookie header. */
    async function signIn(apiKey: string) {
      const response = await ctx().server.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { apiKey },
      });
      expect(response.statusCode).toBe(204);
      const setCookie = String(response.headers['set-cookie']);
      const token = response.cookies.find((c) => c.name === SESSION_COOKIE)?.value ?? '';
      return { token, setCookie };
    }

    const withCookie = (token: string, extra: Record<string, string> = {}) => ({
      cookie: `${SESSION_COOKIE}=${token}`,
      ...extra,
    });

    it('opens a session with a valid key: an HTTP-only, SameSite=Strict cookie, not the key', async () => {
      const { server } = ctx();
      const { token, setCookie } = await signIn(server.apiKey);
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(setCookie).toContain('HttpOnly');
      expect(setCookie).toContain('SameSite=Strict');
      expect(setCookie).toContain('Path=/');
      expect(setCookie).not.toContain('Secure');
      expect(setCookie).not.toContain(server.apiKey);
    });

    it('refuses a wrong key with 401 problem+json and sets no cookie', async () => {
      const response = await ctx().server.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { apiKey: 'pl_wrong' },
      });
      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('UNAUTHORIZED');
      expect(response.headers['set-cookie']).toBeUndefined();
    });

    it('marks the cookie Secure when the request came over https (through a TLS proxy)', async () => {
      const response = await ctx().server.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        headers: { 'x-forwarded-proto': 'https' },
        payload: { apiKey: ctx().server.apiKey },
      });
      expect(response.statusCode).toBe(204);
      expect(String(response.headers['set-cookie'])).toContain('Secure');
    });

    it('answers who am I through the cookie, and the cookie authenticates API routes and writes', async () => {
      const { server } = ctx();
      const { token } = await signIn(server.apiKey);
      const me = await server.app.inject({ url: '/api/v1/session', headers: withCookie(token) });
      expect(me.statusCode).toBe(200);
      expect(me.json()).toEqual({
        user: {
          id: expect.any(Number),
          email: 'instance-admin@promptline.invalid',
          name: 'Instance admin (API key)',
          initials: 'IK',
          instanceAdmin: true,
        },
        keyName: expect.any(String),
        role: 'admin',
        project: { id: expect.any(Number), name: 'default' },
        via: 'cookie',
      });
      const list = await server.app.inject({ url: '/api/v1/prompts', headers: withCookie(token) });
      expect(list.statusCode).toBe(200);
      const created = await server.app.inject({
        method: 'POST',
        url: '/api/v1/prompts',
        headers: withCookie(token, { origin: 'http://localhost:80' }),
        payload: { name: 'session/by-cookie' },
      });
      expect(created.statusCode).toBe(201);
    });

    it('refuses cookie writes that a foreign page could forge: a form body or a foreign Origin', async () => {
      const { server } = ctx();
      const { token } = await signIn(server.apiKey);
      const form = await server.app.inject({
        method: 'POST',
        url: '/api/v1/prompts',
        headers: withCookie(token, { 'content-type': 'application/x-www-form-urlencoded' }),
        payload: 'name=session%2Fforged',
      });
      expect(form.statusCode).toBe(403);
      expect(form.json().code).toBe('FORBIDDEN');
      const foreign = await server.app.inject({
        method: 'POST',
        url: '/api/v1/prompts',
        headers: withCookie(token, { origin: 'https://evil.example' }),
        payload: { name: 'session/forged' },
      });
      expect(foreign.statusCode).toBe(403);
      const check = await server.app.inject({
        url: `/api/v1/prompts/${encodeURIComponent('session/forged')}`,
        headers: withCookie(token),
      });
      expect(check.statusCode).toBe(404);
    });

    it('accepts a dataset import (CSV, NDJSON) by cookie, but not a text/plain body a form could send', async () => {
      const { server } = ctx();
      const { token } = await signIn(server.apiKey);
      const create = await server.app.inject({
        method: 'POST',
        url: '/api/v1/datasets',
        headers: withCookie(token),
        payload: { name: 'session/imports' },
      });
      expect(create.statusCode).toBe(201);
      const url = `/api/v1/datasets/${encodeURIComponent('session/imports')}/import`;
      const csv = await server.app.inject({
        method: 'POST',
        url,
        headers: withCookie(token, { 'content-type': 'text/csv' }),
        payload: 'q\na\n',
      });
      expect(csv.statusCode).toBe(200);
      const jsonl = await server.app.inject({
        method: 'POST',
        url,
        headers: withCookie(token, { 'content-type': 'application/x-ndjson' }),
        payload: '{"variables":{"q":"b"}}\n',
      });
      expect(jsonl.statusCode).toBe(200);
      const plain = await server.app.inject({
        method: 'POST',
        url,
        headers: withCookie(token, { 'content-type': 'text/plain' }),
        payload: '{"variables":{"q":"c"}}\n',
      });
      expect(plain.statusCode).toBe(403);
      expect(plain.json().code).toBe('FORBIDDEN');
    });

    it('signs out: the cookie is cleared and the old token is refused', async () => {
      const { server } = ctx();
      const { token } = await signIn(server.apiKey);
      const out = await server.app.inject({
        method: 'DELETE',
        url: '/api/v1/session',
        headers: withCookie(token),
      });
      expect(out.statusCode).toBe(204);
      expect(String(out.headers['set-cookie'])).toMatch(
        /promptline_session=;.*(Max-Age=0|Expires=Thu, 01 Jan 1970)/,
      );
      const after = await server.app.inject({ url: '/api/v1/prompts', headers: withCookie(token) });
      expect(after.statusCode).toBe(401);
      expect(after.json().detail).toMatch(/session expired or was signed out/);
      expect(after.json().code).toBe('UNAUTHORIZED');
    });

    it('ends the sessions of a revoked key', async () => {
      const { server, api } = ctx();
      const created = await api.post('/api/v1/api-keys', { name: 'browser', role: 'viewer' });
      const { token } = await signIn(created.body.key);
      expect(
        (await server.app.inject({ url: '/api/v1/prompts', headers: withCookie(token) })).statusCode,
      ).toBe(200);
      expect((await api.delete(`/api/v1/api-keys/${created.body.id}`)).status).toBe(200);
      expect(
        (await server.app.inject({ url: '/api/v1/prompts', headers: withCookie(token) })).statusCode,
      ).toBe(401);
    });

    it('keeps a session in use alive (sliding) and ends one idle for 12 hours', async () => {
      const { server } = ctx();
      const { token } = await signIn(server.apiKey);
      const get = () => server.app.inject({ url: '/api/v1/session', headers: withCookie(token) });
      clock.advance(SESSION_TTL_MS - 60_000);
      expect((await get()).statusCode).toBe(200);
      clock.advance(SESSION_TTL_MS - 60_000);
      expect((await get()).statusCode).toBe(200);
      clock.advance(SESSION_TTL_MS + 1);
      expect((await get()).statusCode).toBe(401);
    });

    it('a viewer session reads but cannot write', async () => {
      const { server, api } = ctx();
      const created = await api.post('/api/v1/api-keys', { name: 'reader', role: 'viewer' });
      const { token } = await signIn(created.body.key);
      const write = await server.app.inject({
        method: 'POST',
        url: '/api/v1/prompts',
        headers: withCookie(token),
        payload: { name: 'session/by-viewer' },
      });
      expect(write.statusCode).toBe(403);
    });
  },
  { clock },
);
