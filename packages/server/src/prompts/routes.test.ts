import { expect, it } from 'vitest';
import { describeServer, p } from '../test-helpers/index.ts';

describeServer((ctx) => {
  it('registers a prompt with tags and lists and gets it', async () => {
    const { api } = ctx();
    const created = await api.post('/api/v1/prompts', {
      name: 'crud/one',
      description: 'first',
      owner: 'ada',
      tags: ['support', 'beta'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'crud/one',
      owner: 'ada',
      tags: ['support', 'beta'],
      latestVersion: null,
    });

    const got = await api.get(p('crud/one'));
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ name: 'crud/one', description: 'first', deployments: {} });

    const list = await api.get('/api/v1/prompts?tag=beta');
    expect(list.body.items.map((x: { name: string }) => x.name)).toEqual(['crud/one']);
    expect((await api.get('/api/v1/prompts?tag=nope')).body.items).toEqual([]);

    const updated = await api.patch(p('crud/one'), { description: 'second', tags: ['x'] });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ description: 'second', owner: 'ada', tags: ['x'] });
  });

  it('rejects a duplicate name with 409 PROMPT_EXISTS', async () => {
    const { api } = ctx();
    expect((await api.post('/api/v1/prompts', { name: 'dup' })).status).toBe(201);
    const again = await api.post('/api/v1/prompts', { name: 'dup' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('PROMPT_EXISTS');
  });

  it('validates names: uppercase, spaces and empty segments are 422 with the field named', async () => {
    const { api } = ctx();
    for (const name of ['Upper', 'has space', 'a//b', '/lead', 'trail/']) {
      const response = await api.post('/api/v1/prompts', { name });
      expect(response.status, name).toBe(422);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.errors.map((e: { path: string }) => e.path)).toContain('name');
    }
    expect((await api.post('/api/v1/prompts', { name: 'ok-1/a_b.c' })).status).toBe(201);
  });

  it('404s an unknown prompt with PROMPT_NOT_FOUND', async () => {
    const response = await ctx().api.get(p('no/such'));
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('PROMPT_NOT_FOUND');
  });

  it('decodes %2F into one name, and accepts an unencoded name too', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', {
      name: 'support/triage',
      version: { type: 'text', template: 'Hi {{name}}' },
    });
    expect((await api.get('/api/v1/prompts/support%2Ftriage')).body.name).toBe('support/triage');
    expect((await api.get('/api/v1/prompts/support%2ftriage/versions/1')).body.number).toBe(1);
    expect((await api.get('/api/v1/prompts/support/triage')).body.name).toBe('support/triage');
    expect((await api.get('/api/v1/prompts/support/triage/versions')).body.items).toHaveLength(1);
  });

  it('saves versions: numbers, inferred semver, author, parent, hash; identical content is 200 with the head', async () => {
    const { api } = ctx();
    const first = await api.post('/api/v1/prompts', {
      name: 'ver/a',
      version: { type: 'text', template: 'Hello {{name}}', message: 'first' },
    });
    expect(first.body.latestVersion).toBe(1);
    const v1 = (await api.get(`${p('ver/a')}/versions/1`)).body;
    expect(v1).toMatchObject({
      number: 1,
      semver: '1.0.0',
      type: 'text',
      variables: ['name'],
      parent: null,
      message: 'first',
    });
    expect(v1.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(v1.author).toContain('admin');

    const minor = await api.post(`${p('ver/a')}/versions`, {
      type: 'text',
      template: 'Hello there {{name}}',
      parent: 1,
    });
    expect(minor.status).toBe(201);
    expect(minor.body).toMatchObject({ number: 2, semver: '1.1.0', parent: 1 });

    const same = await api.post(`${p('ver/a')}/versions`, { type: 'text', template: 'Hello there {{name}}' });
    expect(same.status).toBe(200);
    expect(same.body.number).toBe(2);

    const patch = await api.post(`${p('ver/a')}/versions`, {
      type: 'text',
      template: 'Hello  there {{name}}',
    });
    expect(patch.body).toMatchObject({ number: 3, semver: '1.1.1' });

    const major = await api.post(`${p('ver/a')}/versions`, {
      type: 'text',
      template: 'Hello {{name}} from {{team}}',
    });
    expect(major.body).toMatchObject({ number: 4, semver: '2.0.0', variables: ['name', 'team'] });

    const tooLow = await api.post(`${p('ver/a')}/versions`, {
      type: 'text',
      template: 'Hi {{name}}',
      bump: 'patch',
    });
    expect(tooLow.status).toBe(422);
    expect(tooLow.body.code).toBe('SEMVER_BUMP_TOO_LOW');

    const chat = await api.post(`${p('ver/a')}/versions`, {
      type: 'chat',
      messages: [
        { role: 'system', content: 'Be {{tone}}' },
        { type: 'placeholder', name: 'history' },
      ],
      config: { model: 'gpt-x', parameters: { temperature: 0.2 } },
    });
    expect(chat.status).toBe(201);
    expect(chat.body).toMatchObject({
      number: 5,
      semver: '3.0.0',
      type: 'chat',
      variables: ['history', 'tone'],
    });
    expect(chat.body.config).toEqual({ model: 'gpt-x', parameters: { temperature: 0.2 } });

    const list = await api.get(`${p('ver/a')}/versions`);
    expect(list.body.items.map((v: { number: number }) => v.number)).toEqual([5, 4, 3, 2, 1]);
    expect((await api.get(`${p('ver/a')}/versions/9`)).body.code).toBe('VERSION_NOT_FOUND');
  });

  it('answers 409 VERSION_CONFLICT when parent is not the head', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', { name: 'ver/conflict', version: { type: 'text', template: 'a' } });
    await api.post(`${p('ver/conflict')}/versions`, { type: 'text', template: 'b', parent: 1 });
    const stale = await api.post(`${p('ver/conflict')}/versions`, { type: 'text', template: 'c', parent: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('VERSION_CONFLICT');
    expect(stale.body.detail).toMatch(/re-apply/);
  });

  it('rejects a template with a syntax error as 422 TEMPLATE_SYNTAX', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', { name: 'ver/syntax' });
    const bad = await api.post(`${p('ver/syntax')}/versions`, {
      type: 'text',
      template: 'Hi {{#open}} never closed',
    });
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe('TEMPLATE_SYNTAX');
  });

  it('diffs two versions', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', { name: 'diffed', version: { type: 'text', template: 'Hello world' } });
    await api.post(`${p('diffed')}/versions`, {
      type: 'text',
      template: 'Hello brave world',
      config: { model: 'm' },
    });
    const diff = await api.get(`${p('diffed')}/diff?from=1&to=2`);
    expect(diff.status).toBe(200);
    expect(diff.body).toMatchObject({
      from: 1,
      to: 2,
      fromSemver: '1.0.0',
      toSemver: '1.1.0',
      typeChanged: false,
    });
    expect(
      diff.body.text.some(
        (part: { op: string; text: string }) => part.op === 'insert' && part.text.includes('brave'),
      ),
    ).toBe(true);
    expect(diff.body.config).toEqual([{ key: 'model', op: 'added', to: 'm' }]);
    expect((await api.get(`${p('diffed')}/diff?from=1&to=7`)).body.code).toBe('VERSION_NOT_FOUND');
    expect((await api.get(`${p('diffed')}/diff?from=x&to=2`)).status).toBe(422);
  });
});
