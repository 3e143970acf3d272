/**
 * The authorisation matrix across two projects (issue 11): project A holds a prompt, a deployment,
 * a dataset and a trace carrying a marker; an admin key of project B (a person who is admin of B
 * only) calls every route of the OpenAPI document under /api/v1, /api/public (Langfuse), /gateway and
 * /otel, with A's real names and ids in the path
 * and plausible bodies. No successful answer may contain A's data, and A's audit chain — where
 * every write to A lands — must not move. Plus: creating projects, listing them, and a person's
 * session switching between their projects.
 */
import { expect, it } from 'vitest';
import { createTestClient, describeServer, p, type TestClient } from '../test-helpers/index.ts';

const MARK = 'ALPHA-7731-SECRET';
const PROMPT = 'alpha/secret';
const DATASET = 'alpha-data';
const TRACE = 'a7'.repeat(16);

/** Bodies that would change A's data if a route let B reach it. */
const BODIES: Record<string, unknown> = {
  'PUT /api/v1/prompts/{name}/deployments/{env}': { version: 1 },
  'POST /api/v1/prompts/{name}/versions': { type: 'text', template: 'hijacked' },
  'PATCH /api/v1/prompts/{name}': { owner: 'mallory' },
  'POST /api/v1/prompts/{name}/render': { env: 'production', variables: {} },
  'POST /api/v1/prompts/{name}/deployments/{env}/requests': { version: 1, reason: 'hijack' },
  'POST /api/v1/datasets/{name}/items': { items: [{ variables: { x: 1 } }] },
  'PATCH /api/v1/datasets/{name}': { description: 'hijacked' },
  'POST /api/v1/scores': { traceId: TRACE, name: 'hijack', value: 1 },
  'PUT /api/v1/prompts/{name}/thresholds': { minPassRate: 0.1 },
};

/** Routes left out of the sweep, and why. */
const SKIPPED: Record<string, string> = {
  // Server-sent events stay open: what the stream's first event carries is the snapshot, swept below.
  'GET /api/v1/environments/{env}/stream': 'streams',
};

describeServer((ctx) => {
  it('creates a project (instance admins only), with its environments and an admin key', async () => {
    const { api, server } = ctx();
    const created = await api.post('/api/v1/projects', { name: 'beta' });
    expect(created.status).toBe(201);
    expect(created.body.project).toMatchObject({ name: 'beta', role: 'admin' });
    const b = createTestClient(server.app, created.body.apiKey.key);
    const envs = await b.get('/api/v1/environments');
    expect(envs.body.items.map((e: { name: string }) => e.name).sort()).toEqual([
      'development',
      'production',
      'staging',
    ]);
    expect((await api.post('/api/v1/projects', { name: 'beta' })).body.code).toBe('PROJECT_EXISTS');
    expect((await api.post('/api/v1/projects', { name: 'Bad Name' })).status).toBe(422);
    const listed = await api.get('/api/v1/projects');
    expect(listed.body.items).toEqual([
      expect.objectContaining({ name: 'beta', role: 'admin', current: false }),
      expect.objectContaining({ name: 'default', role: 'admin', current: true }),
    ]);
    // An admin of a project is not an instance admin.
    const projectAdmin = await b.post('/api/v1/api-keys', {
      name: 'beta admin',
      role: 'admin',
      user: 'beta-admin@example.test',
      account: 'service',
    });
    const refused = await createTestClient(server.app, projectAdmin.body.key).post('/api/v1/projects', {
      name: 'gamma',
    });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('INSTANCE_ADMIN_REQUIRED');
  });

  it("every /api/v1 route: an admin key of project B never sees or changes project A's data", async () => {
    const { api: a, server } = ctx();
    // Project A's data, each carrying the marker.
    expect((await a.post('/api/v1/prompts', { name: PROMPT, description: MARK })).status).toBe(201);
    expect((await a.post(`${p(PROMPT)}/versions`, { type: 'text', template: `${MARK} {{x}}` })).status).toBe(
      201,
    );
    expect((await a.put(`${p(PROMPT)}/deployments/production`, { version: 1 })).status).toBe(200);
    const dataset = await a.post('/api/v1/datasets', {
      name: DATASET,
      description: MARK,
      items: [{ variables: { x: MARK }, expected: MARK }],
    });
    expect(dataset.status).toBe(201);
    const items = await a.get(`/api/v1/datasets/${DATASET}/items`);
    const itemId = items.body.items[0].id as number;
    const now = Date.now();
    const span = { traceId: TRACE, spanId: 'b7'.repeat(8), name: MARK, startTime: now - 10, endTime: now };
    // The span names A's prompt, so a metrics read (per prompt, or the project summary) that let B
    // reach A's rollups would answer A's prompt name.
    expect(
      (
        await a.post('/api/v1/traces', {
          spans: [
            {
              ...span,
              status: 'ok',
              output: MARK,
              prompt: { name: PROMPT, version: 1, environment: 'production' },
            },
          ],
        })
      ).status,
    ).toBe(202);
    const aKeys = (await a.get('/api/v1/api-keys')).body.items as { id: number }[];
    const headBefore = (await a.get('/api/v1/audit/head')).body;

    // B: a person who is admin of project B only.
    const beta = (await a.get('/api/v1/projects')).body.items.find(
      (x: { name: string }) => x.name === 'beta',
    );
    expect(beta).toBeDefined();
    const bootstrap = createTestClient(
      server.app,
      (await a.post('/api/v1/projects', { name: 'beta-sweep' })).body.apiKey.key,
    );
    const bAdmin = await bootstrap.post('/api/v1/api-keys', {
      name: 'sweeper',
      role: 'admin',
      user: 'sweeper@example.test',
      account: 'service',
    });
    expect(bAdmin.status).toBe(201);
    const b: TestClient = createTestClient(server.app, bAdmin.body.key);

    const fill = (path: string) =>
      path.replace(/\{(\w+)\}/g, (_, param: string) => {
        if (param === 'name')
          return path.startsWith('/api/v1/datasets/') ? DATASET : encodeURIComponent(PROMPT);
        if (param === 'env') return 'production';
        if (param === 'traceId') return TRACE;
        if (param === 'id') return path.includes('/items/') ? String(itemId) : '1';
        if (param === 'keyId') return String(aKeys[0]?.id ?? 1);
        if (param === 'userId') return '1';
        if (param === 'number') return '1';
        return 'alpha';
      });

    const document = server.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const leaks: string[] = [];
    let swept = 0;
    let langfuse = 0;
    for (const [path, item] of Object.entries(document.paths)) {
      if (!['/api/v1/', '/api/public/', '/gateway/', '/otel/'].some((prefix) => path.startsWith(prefix)))
        continue;
      for (const method of Object.keys(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const route = `${method.toUpperCase()} ${path}`;
        if (route in SKIPPED) continue;
        const url = fill(path);
        const body = BODIES[route] ?? {};
        const response =
          method === 'get'
            ? await b.get(url)
            : method === 'delete'
              ? await b.delete(url)
              : method === 'post'
                ? await b.post(url, body)
                : method === 'put'
                  ? await b.put(url, body)
                  : await b.patch(url, body);
        swept++;
        if (path.startsWith('/api/public/')) langfuse++;
        if (response.status >= 500) leaks.push(`${route}: ${response.status}`);
        // Echoing a name the caller sent is no leak; A's content (MARK) never is in the request.
        const markers = [MARK, PROMPT, DATASET, TRACE].filter((m) => !decodeURIComponent(url).includes(m));
        if (response.status < 300 && markers.some((m) => response.text.includes(m))) {
          leaks.push(`${route}: ${response.status} answered project A's data`);
        }
      }
    }
    expect(leaks).toEqual([]);
    expect(swept).toBeGreaterThan(100);
    expect(langfuse, 'Langfuse-compatible routes swept').toBeGreaterThan(3);
    // Nothing was written to A: every write to a project appends to its audit chain.
    expect((await a.get('/api/v1/audit/head')).body).toEqual(headBefore);
    expect((await a.get(`${p(PROMPT)}/versions`)).body.items).toHaveLength(1);
    expect((await a.get(`/api/v1/datasets/${DATASET}/items`)).body.items).toHaveLength(1);
    expect((await a.get(`${p(PROMPT)}/deployments/production`)).status).toBe(200);
    // And B's own view of the same names is empty.
    expect((await b.get('/api/v1/prompts')).body.items).toEqual([]);
    expect((await b.get('/api/v1/environments/production/snapshot')).body.prompts).toEqual({});
  }, 120_000);

  it("B's live stream (real HTTP) never carries A's prompts, nor A's deploys", async () => {
    const { api: a, server } = ctx();
    const address = (await server.app.listen({ port: 0, host: '127.0.0.1' })).replace(
      'localhost',
      '127.0.0.1',
    );
    const bKey = (await a.post('/api/v1/projects', { name: 'beta-stream' })).body.apiKey.key as string;
    const b = createTestClient(server.app, bKey);
    expect((await b.post('/api/v1/prompts', { name: 'beta/own' })).status).toBe(201);
    expect((await b.post(`${p('beta/own')}/versions`, { type: 'text', template: 'beta' })).status).toBe(201);
    const controller = new AbortController();
    const response = await fetch(`${address}/api/v1/environments/production/stream`, {
      headers: { authorization: `Bearer ${bKey}` },
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
    await readUntil('"reason":"connect"');
    // A deploys a new version to its production; then B deploys: B hears its own change only.
    expect((await a.post(`${p(PROMPT)}/versions`, { type: 'text', template: `${MARK} v2` })).status).toBe(
      201,
    );
    expect((await a.put(`${p(PROMPT)}/deployments/production`, { version: 2 })).status).toBe(200);
    expect((await b.put(`${p('beta/own')}/deployments/production`, { version: 1 })).status).toBe(200);
    await readUntil('beta/own');
    controller.abort();
    expect(text).toContain('"reason":"change"');
    expect(text).not.toContain(MARK);
    expect(text).not.toContain(PROMPT);
  });

  it("a person's session switches between their projects; a key's session cannot", async () => {
    const { api, server } = ctx();
    const password = 'correct horse battery staple';
    const member = await api.put('/api/v1/members', { email: 'pia@example.test', role: 'editor' });
    expect((await api.put(`/api/v1/members/${member.body.user.id}/password`, { password })).status).toBe(204);
    const signIn = await server.app.inject({
      method: 'POST',
      url: '/api/v1/session/password',
      payload: { email: 'pia@example.test', password },
    });
    const cookie = String(signIn.headers['set-cookie']).split(';')[0] ?? '';
    const as = (method: 'GET' | 'PUT', url: string, payload?: unknown) =>
      server.app.inject({
        method,
        url,
        headers: { cookie },
        ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      });
    const beta = (await api.get('/api/v1/projects')).body.items.find(
      (x: { name: string }) => x.name === 'beta',
    );
    const notMember = await as('PUT', '/api/v1/session/project', { projectId: beta.id });
    expect(notMember.statusCode).toBe(403);
    expect(notMember.json().code).toBe('PROJECT_NOT_MEMBER');
    // An admin of beta adds her there as viewer; she switches and sees beta's (empty) registry.
    const betaKey = (await api.post('/api/v1/projects', { name: 'beta-two' })).body.apiKey.key as string;
    const betaTwo = createTestClient(server.app, betaKey);
    expect((await betaTwo.put('/api/v1/members', { email: 'pia@example.test', role: 'viewer' })).status).toBe(
      200,
    );
    const mine = (await as('GET', '/api/v1/projects')).json().items as { name: string; current: boolean }[];
    expect(mine.map((x) => `${x.name}${x.current ? '*' : ''}`)).toEqual(['beta-two', 'default*']);
    const target = (await betaTwo.get('/api/v1/session')).body.project.id as number;
    expect((await as('PUT', '/api/v1/session/project', { projectId: target })).statusCode).toBe(204);
    const who = (await as('GET', '/api/v1/session')).json();
    expect(who).toMatchObject({ project: { name: 'beta-two' }, role: 'viewer' });
    expect((await as('GET', '/api/v1/prompts')).json().items).toEqual([]);
    // A bearer key stays in its project.
    const fixed = await api.put('/api/v1/session/project', { projectId: target });
    expect(fixed.status).toBe(409);
    expect(fixed.body.code).toBe('SESSION_PROJECT_FIXED');
  });
  it("no project admin sees another project's people come, fail, get locked out or go", async () => {
    const { api, server } = ctx();
    const password = 'correct horse battery staple';
    const signIn = (email: string, pass: string) =>
      server.app.inject({
        method: 'POST',
        url: '/api/v1/session/password',
        payload: { email, password: pass },
      });
    const cookieOf = (response: { headers: Record<string, unknown> }) =>
      String(response.headers['set-cookie']).split(';')[0] ?? '';
    // Dana administers the default project (a person, not an instance admin).
    const dana = await api.put('/api/v1/members', { email: 'dana@example.test', role: 'admin' });
    expect((await api.put(`/api/v1/members/${dana.body.user.id}/password`, { password })).status).toBe(204);
    const danaCookie = cookieOf(await signIn('dana@example.test', password));
    const asDana = (url: string) => server.app.inject({ url, headers: { cookie: danaCookie } });
    expect((await asDana('/api/v1/session')).json()).toMatchObject({
      role: 'admin',
      project: { name: 'default' },
    });
    // Omar belongs to another project only: he signs in, out, fails, and gets locked out.
    const other = createTestClient(
      server.app,
      (await api.post('/api/v1/projects', { name: 'omega-people' })).body.apiKey.key,
    );
    const omar = await other.put('/api/v1/members', { email: 'omar@example.test', role: 'editor' });
    expect((await other.put(`/api/v1/members/${omar.body.user.id}/password`, { password })).status).toBe(204);
    const omarIn = await signIn('omar@example.test', password);
    expect(omarIn.statusCode).toBe(204);
    await server.app.inject({
      method: 'DELETE',
      url: '/api/v1/session',
      headers: { cookie: cookieOf(omarIn) },
    });
    for (let i = 0; i < 5; i++)
      expect((await signIn('omar@example.test', `wrong guess ${i}`)).statusCode).toBe(401);
    expect((await signIn('omar@example.test', password)).statusCode).toBe(423);
    // Nothing of Omar reaches the default project's admin: not its audit log, not its members, not the security log.
    const audit = await asDana('/api/v1/audit?limit=500');
    expect(audit.statusCode).toBe(200);
    expect(audit.body).not.toContain('omar@example.test');
    expect((await asDana('/api/v1/members')).body).not.toContain('omar@example.test');
    for (const url of [
      '/api/v1/instance/security-events',
      '/api/v1/instance/security-events?email=omar@example.test',
    ]) {
      const refused = await asDana(url);
      expect(refused.statusCode).toBe(403);
      expect(refused.json().code).toBe('INSTANCE_ADMIN_REQUIRED');
      expect(refused.body).not.toContain('omar@example.test');
    }
    // Omega's own audit log sees its member's sign-in and sign-out, not the refusals.
    const omega = (await other.get('/api/v1/audit?limit=500')).body.items as {
      action: string;
      actor: string;
    }[];
    expect(omega.filter((e) => e.actor === 'omar@example.test').map((e) => e.action)).toEqual([
      'session.sign_out',
      'session.sign_in',
    ]);
    // The instance admin sees it all, in the security log.
    const seen = (await api.get('/api/v1/instance/security-events?email=omar@example.test')).body.items as {
      type: string;
    }[];
    // Newest first: the refusal while locked, the fifth failure, the lockout it caused, four more, out, in.
    expect(seen.map((e) => e.type)).toEqual([
      'session.sign_in_failed',
      'session.sign_in_failed',
      'session.locked',
      ...Array(4).fill('session.sign_in_failed'),
      'session.sign_out',
      'session.sign_in',
    ]);
    // Eleven scrypt checks (tens of milliseconds each, far more on a loaded machine).
  }, 120_000);
});
