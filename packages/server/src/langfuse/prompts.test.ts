import { expect, it } from 'vitest';
import { p } from '../test-helpers/client.ts';
import { describeLangfuse } from './test-helpers/langfuse.ts';

const bearer = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });

describeLangfuse((ctx) => {
  it('createPrompt with a label deploys to that environment; getPrompt serves production by default and compiles', async () => {
    const { server, client } = ctx();
    const langfuse = client();
    const created = await langfuse.createPrompt({
      name: 'support/triage',
      prompt: 'Classify this ticket from {{customer}}: {{ticket}}',
      config: { model: 'gpt-4o', temperature: 0.2 },
      labels: ['production'],
      tags: ['support'],
      commitMessage: 'first cut',
    });
    expect(created.version).toBe(1);
    expect(created.labels).toEqual(['production', 'latest']);

    const prompt = await langfuse.getPrompt('support/triage', undefined, { cacheTtlSeconds: 0 });
    expect(prompt.isFallback).toBe(false);
    expect(prompt).toMatchObject({
      name: 'support/triage',
      version: 1,
      type: 'text',
      tags: ['support'],
      config: { model: 'gpt-4o', temperature: 0.2 },
      commitMessage: 'first cut',
    });
    expect(prompt.compile({ customer: 'Ann', ticket: 'charged twice' })).toBe(
      'Classify this ticket from Ann: charged twice',
    );

    // The label went through the deploy service: production serves v1, with a history entry.
    const deployment = await fetch(`${server.url}${p('support/triage')}/deployments/production`, {
      headers: bearer(server.apiKey),
    }).then((r) => r.json());
    expect(deployment).toMatchObject({ version: 1, environment: 'production' });
  });

  it('getPrompt by version, by `latest` and by label; labels move with updatePrompt (newLabels)', async () => {
    const { server, client } = ctx();
    const langfuse = client();
    await langfuse.createPrompt({ name: 'labels/demo', prompt: 'v1 {{x}}', labels: ['production'] });
    const v2 = await langfuse.createPrompt({ name: 'labels/demo', prompt: 'v2 {{x}}', labels: ['staging'] });
    expect(v2.version).toBe(2);
    const fresh = { cacheTtlSeconds: 0 };

    expect((await langfuse.getPrompt('labels/demo', undefined, fresh)).version).toBe(1);
    expect((await langfuse.getPrompt('labels/demo', undefined, { ...fresh, label: 'staging' })).version).toBe(
      2,
    );
    expect((await langfuse.getPrompt('labels/demo', undefined, { ...fresh, label: 'latest' })).prompt).toBe(
      'v2 {{x}}',
    );
    const v1 = await langfuse.getPrompt('labels/demo', 1, fresh);
    expect(v1.prompt).toBe('v1 {{x}}');
    expect(v1.labels).toEqual(['production']);

    const moved = await langfuse.updatePrompt({ name: 'labels/demo', version: 2, newLabels: ['production'] });
    expect(moved.labels).toEqual(['production', 'staging', 'latest']);
    expect((await langfuse.getPrompt('labels/demo', undefined, fresh)).version).toBe(2);
    expect((await langfuse.getPrompt('labels/demo', 1, fresh)).labels).toEqual([]);

    const history = await fetch(`${server.url}${p('labels/demo')}/deployments/production/history`, {
      headers: bearer(server.apiKey),
    }).then((r) => r.json());
    expect(history.items.map((h: { version: number }) => h.version)).toEqual([2, 1]);
  });

  it('chat prompts keep roles and placeholders; compile fills both', async () => {
    const { client } = ctx();
    const langfuse = client();
    await langfuse.createPrompt({
      name: 'chat/helper',
      type: 'chat',
      prompt: [
        { role: 'system', content: 'You help {{team}}.' },
        { type: 'placeholder', name: 'history' },
        { role: 'user', content: '{{question}}' },
      ],
      labels: ['production'],
    });
    const prompt = await langfuse.getPrompt('chat/helper', undefined, { type: 'chat', cacheTtlSeconds: 0 });
    expect(prompt.type).toBe('chat');
    expect(
      prompt.compile(
        { team: 'billing', question: 'Where is my invoice?' },
        { history: [{ role: 'assistant', content: 'Hello!' }] },
      ),
    ).toEqual([
      { role: 'system', content: 'You help billing.' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'Where is my invoice?' },
    ]);
  });

  it('the SDK cache serves the cached version until its TTL, then refreshes in the background', async () => {
    const { server, client } = ctx();
    const langfuse = client();
    await langfuse.createPrompt({ name: 'cache/demo', prompt: 'one', labels: ['production'] });
    await langfuse.createPrompt({ name: 'cache/demo', prompt: 'two' });
    expect((await langfuse.getPrompt('cache/demo', undefined, { cacheTtlSeconds: 1 })).prompt).toBe('one');

    // Production moves to v2 through the native API: the cached answer stands until it expires.
    const deployed = await fetch(`${server.url}${p('cache/demo')}/deployments/production`, {
      method: 'PUT',
      headers: bearer(server.apiKey),
      body: JSON.stringify({ version: 2 }),
    });
    expect(deployed.status).toBe(200);
    expect((await langfuse.getPrompt('cache/demo', undefined, { cacheTtlSeconds: 1 })).prompt).toBe('one');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    // Expired: the stale value is served once while the refresh runs, then the new one.
    expect((await langfuse.getPrompt('cache/demo', undefined, { cacheTtlSeconds: 1 })).prompt).toBe('one');
    await expect
      .poll(async () => (await langfuse.getPrompt('cache/demo', undefined, { cacheTtlSeconds: 1 })).prompt)
      .toBe('two');
  });

  it('an unknown prompt, label or version is a 404 the SDK reports (and falls back on)', async () => {
    const { client, call } = ctx();
    const langfuse = client();
    await langfuse.createPrompt({ name: 'known', prompt: 'hi' });
    await expect(
      langfuse.getPrompt('nope', undefined, { cacheTtlSeconds: 0, maxRetries: 0 }),
    ).rejects.toThrow(/Prompt not found/);
    const fallback = await langfuse.getPrompt('nope', undefined, { fallback: 'default text', maxRetries: 0 });
    expect(fallback).toMatchObject({ isFallback: true, prompt: 'default text' });

    for (const query of ['', '?label=production', '?label=Not%20An%20Env', '?version=9']) {
      const response = await call(`/api/public/v2/prompts/${query ? 'known' : 'nope'}${query}`);
      expect(response.status, query).toBe(404);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      const body = await response.json();
      expect(body).toMatchObject({ code: 'PROMPT_NOT_FOUND', error: 'LangfuseNotFoundError' });
      expect(body.message).toMatch(/^Prompt not found/);
    }
    const both = await call('/api/public/v2/prompts/known?label=latest&version=1');
    expect(both.status).toBe(400);
  });

  it('authentication: Basic with the key as password (user ignored) or Bearer; anything else is 401', async () => {
    const { server, client, call } = ctx();
    await client().createPrompt({ name: 'auth/demo', prompt: 'x', labels: ['production'] });
    const other = `Basic ${Buffer.from(`anyone:${server.apiKey}`).toString('base64')}`;
    expect((await call('/api/public/v2/prompts/auth%2Fdemo', { auth: other })).status).toBe(200);
    expect(
      (await call('/api/public/v2/prompts/auth%2Fdemo', { auth: `Bearer ${server.apiKey}` })).status,
    ).toBe(200);

    const wrong = await call('/api/public/v2/prompts/auth%2Fdemo', {
      auth: `Basic ${Buffer.from('pk-lf-1:sk-lf-not-a-key-at-all').toString('base64')}`,
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ code: 'UNAUTHORIZED', error: 'UnauthorizedError' });
    const missing = await call('/api/public/v2/prompts/auth%2Fdemo', { auth: null });
    expect(missing.status).toBe(401);
    expect((await missing.json()).message).toMatch(/Basic auth/);
    await expect(
      client({ secretKey: 'sk-lf-wrong' }).getPrompt('auth/demo', undefined, {
        cacheTtlSeconds: 0,
        maxRetries: 0,
      }),
    ).rejects.toThrow(/API key is unknown/);
    // Basic is for the Langfuse routes only: the native API stays Bearer.
    expect((await call('/api/v1/prompts', { auth: other })).status).toBe(401);
  });

  it('POST refuses labels that are not environments, names Promptline cannot hold and `latest` in newLabels, writing nothing', async () => {
    const { call } = ctx();
    const badLabel = await call('/api/public/v2/prompts', {
      body: { name: 'refused/one', type: 'text', prompt: 'x', labels: ['production', 'canary'] },
    });
    expect(badLabel.status).toBe(404);
    expect(await badLabel.json()).toMatchObject({ code: 'ENVIRONMENT_NOT_FOUND', label: 'canary' });
    expect((await call('/api/public/v2/prompts/refused%2Fone?label=latest')).status).toBe(404);

    const badName = await call('/api/public/v2/prompts', { body: { name: 'My Prompt', prompt: 'x' } });
    expect(badName.status).toBe(422);
    expect(await badName.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'name' }] });

    const badRole = await call('/api/public/v2/prompts', {
      body: { name: 'refused/chat', type: 'chat', prompt: [{ role: 'narrator', content: 'x' }] },
    });
    expect(badRole.status).toBe(422);
    expect((await badRole.json()).errors[0].path).toBe('prompt.0.role');

    expect((await call('/api/public/v2/prompts', { body: { name: 'ok/one', prompt: 'x' } })).status).toBe(
      201,
    );
    const latest = await call('/api/public/v2/prompts/ok%2Fone/versions/1', {
      method: 'PATCH',
      body: { newLabels: ['latest'] },
    });
    expect(latest.status).toBe(400);
    expect((await latest.json()).message).toMatch(/latest/);
    const missing = await call('/api/public/v2/prompts/ok%2Fone/versions/7', {
      method: 'PATCH',
      body: { newLabels: ['staging'] },
    });
    expect(missing.status).toBe(404);
  });

  it('an unencoded "/" in the name reaches the same prompt, on GET and PATCH', async () => {
    const { call } = ctx();
    await call('/api/public/v2/prompts', {
      body: { name: 'deep/path/name', prompt: 'x', labels: ['staging'] },
    });
    const got = await call('/api/public/v2/prompts/deep/path/name?label=staging');
    expect(got.status).toBe(200);
    expect((await got.json()).name).toBe('deep/path/name');
    const patched = await call('/api/public/v2/prompts/deep/path/name/versions/1', {
      method: 'PATCH',
      body: { newLabels: ['development'] },
    });
    expect(patched.status).toBe(200);
    expect((await patched.json()).labels).toEqual(['development', 'staging', 'latest']);
  });

  it('lists prompts with versions and labels, filtered by name, label, tag and update time, paged', async () => {
    const { call } = ctx();
    const create = (body: object) => call('/api/public/v2/prompts', { body });
    await create({ name: 'list/a', prompt: 'a1', tags: ['t1'], labels: ['production'] });
    await create({ name: 'list/a', prompt: 'a2', tags: ['t1'], config: { model: 'm2' } });
    await create({ name: 'list/b', type: 'chat', prompt: [{ role: 'user', content: 'b' }], tags: ['t2'] });
    const cut = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await create({ name: 'list/c', prompt: 'c1', tags: ['t1'], labels: ['staging'] });

    const page = async (query: string) => (await call(`/api/public/v2/prompts?${query}`)).json();
    const tagged = await page('tag=t1&limit=50');
    const a = tagged.data.find((x: { name: string }) => x.name === 'list/a');
    expect(a).toMatchObject({
      type: 'text',
      versions: [1, 2],
      labels: ['latest', 'production'],
      tags: ['t1'],
    });
    expect(a.lastConfig).toEqual({ model: 'm2' });
    expect(tagged.data.map((x: { name: string }) => x.name)).toEqual(['list/a', 'list/c']);

    expect((await page('name=list/b')).data).toMatchObject([{ name: 'list/b', type: 'chat', versions: [1] }]);
    const prod = await page('label=production&name=list/a');
    expect(prod.data).toMatchObject([{ name: 'list/a', versions: [1], labels: ['production'] }]);
    expect(prod.data[0].lastConfig).toEqual({});
    const after = await page(`fromUpdatedAt=${encodeURIComponent(cut)}&tag=t1`);
    expect(after.data.map((x: { name: string }) => x.name)).toEqual(['list/c']);

    const first = await page('tag=t1&limit=1&page=1');
    expect(first.meta).toEqual({ page: 1, limit: 1, totalItems: 2, totalPages: 2 });
    expect((await page('tag=t1&limit=1&page=2')).data.map((x: { name: string }) => x.name)).toEqual([
      'list/c',
    ]);
    const invalid = await call('/api/public/v2/prompts?limit=0');
    expect(invalid.status).toBe(422);
    expect((await invalid.json()).message).toMatch(/limit/);
  });

  it('a viewer key reads but cannot create or relabel (403)', async () => {
    const { server, call } = ctx();
    const made = await fetch(`${server.url}/api/v1/api-keys`, {
      method: 'POST',
      headers: bearer(server.apiKey),
      body: JSON.stringify({ name: 'reader', role: 'viewer' }),
    }).then((r) => r.json());
    const viewer = `Basic ${Buffer.from(`pk:${made.key}`).toString('base64')}`;
    await call('/api/public/v2/prompts', {
      body: { name: 'viewer/demo', prompt: 'x', labels: ['production'] },
    });
    expect((await call('/api/public/v2/prompts/viewer%2Fdemo', { auth: viewer })).status).toBe(200);
    const refused = await call('/api/public/v2/prompts', {
      auth: viewer,
      body: { name: 'viewer/two', prompt: 'x' },
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 'FORBIDDEN', error: 'ForbiddenError' });
  });
  it('a label on a protected environment obeys its policy: version saved, label refused with APPROVAL_REQUIRED, nothing deployed', async () => {
    const { server, call } = ctx();
    const v1 = (path: string, method: string, body?: unknown) =>
      fetch(`${server.url}/api/v1${path}`, {
        method,
        headers: bearer(server.apiKey),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    expect((await v1('/environments', 'POST', { name: 'guarded' })).status).toBe(201);
    expect((await v1('/environments/guarded', 'PATCH', { policy: { requiredApprovals: 1 } })).status).toBe(
      200,
    );

    const created = await call('/api/public/v2/prompts', {
      method: 'POST',
      body: { name: 'policy/labelled', type: 'text', prompt: 'Hi {{x}}', labels: ['guarded'] },
    });
    expect(created.status).toBe(409);
    const problem = (await created.json()) as {
      code: string;
      message?: string;
      detail?: string;
      version: number;
    };
    expect(problem.code).toBe('APPROVAL_REQUIRED');
    expect(problem.version).toBe(1);
    expect(JSON.stringify(problem)).toContain('label \\"guarded\\" was not applied');
    expect(
      (await v1(`/prompts/${encodeURIComponent('policy/labelled')}/versions`, 'GET').then((r) => r.json()))
        .items,
    ).toHaveLength(1);
    expect(
      (await v1(`/prompts/${encodeURIComponent('policy/labelled')}/deployments/guarded`, 'GET')).status,
    ).toBe(404);

    // Moving the label onto the saved version is refused the same way.
    const moved = await call(`/api/public/v2/prompts/${encodeURIComponent('policy/labelled')}/versions/1`, {
      method: 'PATCH',
      body: { newLabels: ['guarded'] },
    });
    expect(moved.status).toBe(409);
    expect(((await moved.json()) as { code: string }).code).toBe('APPROVAL_REQUIRED');
    expect(
      (await v1(`/prompts/${encodeURIComponent('policy/labelled')}/deployments/guarded`, 'GET')).status,
    ).toBe(404);
  });
});
