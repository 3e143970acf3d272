import { bucketOf } from '@promptline/core';
import { expect, it } from 'vitest';
import { describeServer, p } from '../test-helpers/index.ts';

describeServer((ctx) => {
  async function deployed(name: string, templates: string[], body: unknown, env = 'production') {
    const { api } = ctx();
    await api.post('/api/v1/prompts', { name, version: { type: 'text', template: templates[0] } });
    for (const template of templates.slice(1))
      await api.post(`${p(name)}/versions`, { type: 'text', template });
    const response = await api.put(`${p(name)}/deployments/${env}`, body);
    expect(response.status).toBe(200);
  }

  it('resolves the variant deterministically per unit (MurmurHash3 bucket against cumulative weights)', async () => {
    const { api } = ctx();
    await deployed('res/ab', ['A {{x}}', 'B {{x}}'], {
      variants: [
        { version: 2, weight: 3000 },
        { version: 1, weight: 7000 },
      ],
    });
    const seen = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const unit = `user-${i}`;
      const first = await api.get(`${p('res/ab')}/resolve?env=production&unit=${unit}`);
      expect(first.status).toBe(200);
      const expected = bucketOf('res/ab', unit) < 3000 ? 0 : 1;
      expect(first.body.variant).toBe(expected);
      expect(first.body.version).toBe(expected === 0 ? 2 : 1);
      const again = await api.get(`${p('res/ab')}/resolve?env=production&unit=${unit}`);
      expect(again.body.variant).toBe(first.body.variant);
      seen.add(first.body.variant);
    }
    expect(seen).toEqual(new Set([0, 1]));
    const one = (await api.get(`${p('res/ab')}/resolve?env=production&unit=user-1`)).body;
    expect(Object.keys(one).sort()).toEqual(
      [
        'config',
        'environment',
        'hash',
        'number',
        'prompt',
        'semver',
        'template',
        'type',
        'variables',
        'variant',
        'version',
      ].sort(),
    );
  });

  it('resolve errors: unknown prompt, not deployed, unknown env, disabled release', async () => {
    const { api } = ctx();
    await deployed('res/err', ['x'], { version: 1 });
    expect((await api.get(`${p('res/none')}/resolve?env=production`)).body.code).toBe('PROMPT_NOT_FOUND');
    expect((await api.get(`${p('res/err')}/resolve?env=staging`)).body.code).toBe('DEPLOYMENT_NOT_FOUND');
    expect((await api.get(`${p('res/err')}/resolve?env=mars`)).body.code).toBe('ENVIRONMENT_NOT_FOUND');
    expect((await api.get(`${p('res/err')}/resolve`)).status).toBe(422);
    await api.put(`${p('res/err')}/deployments/production`, { version: 1, enabled: false });
    const disabled = await api.get(`${p('res/err')}/resolve?env=production`);
    expect(disabled.status).toBe(404);
    expect(disabled.body.code).toBe('DEPLOYMENT_NOT_FOUND');
    expect(disabled.body.detail).toMatch(/disabled/);
  });

  it('sees a new deployment at once (the cache is invalidated on change)', async () => {
    const { api } = ctx();
    await deployed('res/fresh', ['one', 'two'], { version: 1 });
    expect((await api.get(`${p('res/fresh')}/resolve?env=production`)).body.version).toBe(1);
    await api.put(`${p('res/fresh')}/deployments/production`, { version: 2 });
    expect((await api.get(`${p('res/fresh')}/resolve?env=production`)).body.version).toBe(2);
    await api.post(`${p('res/fresh')}/deployments/production/rollback`);
    expect((await api.get(`${p('res/fresh')}/resolve?env=production`)).body.version).toBe(1);
  });

  it('renders text for an env; strict mode lists every missing variable (422); strict false renders empty', async () => {
    const { api } = ctx();
    await deployed('res/render', ['Dear {{name}}, about {{topic}}: {{#urgent}}URGENT{{/urgent}}'], {
      version: 1,
    });
    const ok = await api.post(`${p('res/render')}/render`, {
      env: 'production',
      variables: { name: 'Ada', topic: 'billing', urgent: true },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      prompt: 'res/render',
      text: 'Dear Ada, about billing: URGENT',
      version: 1,
      semver: '1.0.0',
      environment: 'production',
      variant: 0,
      config: {},
    });
    const missing = await api.post(`${p('res/render')}/render`, { env: 'production', variables: {} });
    expect(missing.status).toBe(422);
    expect(missing.body.code).toBe('TEMPLATE_VARIABLE_MISSING');
    expect(missing.body.missing).toEqual(expect.arrayContaining(['name', 'topic']));
    expect(missing.body.detail).toContain('name');
    expect(missing.body.detail).toContain('topic');
    const lax = await api.post(`${p('res/render')}/render`, {
      env: 'production',
      variables: {},
      strict: false,
    });
    expect(lax.body.text).toBe('Dear , about : ');
    const neither = await api.post(`${p('res/render')}/render`, { variables: {} });
    expect(neither.status).toBe(422);
    expect(neither.body.code).toBe('VALIDATION_FAILED');
  });

  it('renders chat messages with a placeholder, by version', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', {
      name: 'res/chat',
      version: {
        type: 'chat',
        messages: [
          { role: 'system', content: 'Be {{tone}}.' },
          { type: 'placeholder', name: 'history' },
        ],
        config: { model: 'gpt-test' },
      },
    });
    const rendered = await api.post(`${p('res/chat')}/render`, {
      version: 1,
      variables: { tone: 'brief', history: [{ role: 'user', content: 'Hi' }] },
    });
    expect(rendered.status).toBe(200);
    expect(rendered.body).toMatchObject({
      type: 'chat',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      config: { model: 'gpt-test' },
      environment: null,
      variant: null,
    });
  });

  it('resolves partials from what the same environment serves; a version render uses their latest', async () => {
    const { api } = ctx();
    await deployed('shared/footer', ['-- staging footer', '-- prod footer'], { version: 1 }, 'staging');
    await api.put(`${p('shared/footer')}/deployments/production`, { version: 2 });
    await api.post(`${p('shared/footer')}/versions`, { type: 'text', template: '-- newest footer' });
    await deployed('res/letter', ['Hello {{name}}\n{{> shared/footer}}'], { version: 1 });
    await api.put(`${p('res/letter')}/deployments/staging`, { version: 1 });

    const prod = await api.post(`${p('res/letter')}/render`, {
      env: 'production',
      variables: { name: 'Ada' },
    });
    expect(prod.body.text).toBe('Hello Ada\n-- prod footer');
    const staging = await api.post(`${p('res/letter')}/render`, {
      env: 'staging',
      variables: { name: 'Ada' },
    });
    expect(staging.body.text).toBe('Hello Ada\n-- staging footer');
    const byVersion = await api.post(`${p('res/letter')}/render`, { version: 1, variables: { name: 'Ada' } });
    expect(byVersion.body.text).toBe('Hello Ada\n-- newest footer');

    // Deploying it is refused (see deployments/partial-check.test.ts); forced, renders meet the gap.
    await deployed('res/orphan', ['{{> shared/absent}}!'], { version: 1, force: true });
    const absent = await api.post(`${p('res/orphan')}/render`, { env: 'production', variables: {} });
    expect(absent.status).toBe(422);
    expect(absent.body.code).toBe('TEMPLATE_PARTIAL_NOT_FOUND');
    const lenient = await api.post(`${p('res/orphan')}/render`, {
      env: 'production',
      variables: {},
      strict: false,
    });
    expect(lenient.body.text).toBe('!');
  });

  it('serves a snapshot with content and a strong ETag; 304 on If-None-Match; the ETag changes on deploy', async () => {
    const { api } = ctx();
    await deployed('snap/a', ['alpha {{x}}', 'beta {{x}}'], { version: 1 }, 'development');
    const first = await api.get('/api/v1/environments/development/snapshot');
    expect(first.status).toBe(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(first.body.etag).toBe(etag);
    expect(first.body.prompts['snap/a']).toMatchObject({
      variants: [{ version: 1, weight: 10_000 }],
      enabled: true,
      versions: {
        '1': { type: 'text', template: 'alpha {{x}}', number: 1, semver: '1.0.0', variables: ['x'] },
      },
    });
    const cached = await api.get('/api/v1/environments/development/snapshot', { 'if-none-match': etag });
    expect(cached.status).toBe(304);
    expect(cached.text).toBe('');
    expect(
      (await api.get('/api/v1/environments/development/snapshot', { 'if-none-match': `W/${etag}` })).status,
    ).toBe(304);

    await api.put(`${p('snap/a')}/deployments/development`, { version: 2, enabled: false });
    const changed = await api.get('/api/v1/environments/development/snapshot', { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(changed.body.prompts['snap/a'].enabled).toBe(false);
    expect(Object.keys(changed.body.prompts['snap/a'].versions)).toEqual(['2']);
    expect((await api.get('/api/v1/environments/mars/snapshot')).body.code).toBe('ENVIRONMENT_NOT_FOUND');
  });

  it('computes the same ETag from the same content (stable across instances)', async () => {
    const { api, server } = ctx();
    const { buildApp } = await import('../app.ts');
    const other = await buildApp({ db: server.database, config: { logLevel: 'silent' }, logger: false });
    try {
      const mine = await api.get('/api/v1/environments/production/snapshot');
      const theirs = await other.inject({
        method: 'GET',
        url: '/api/v1/environments/production/snapshot',
        headers: { authorization: `Bearer ${server.apiKey}` },
      });
      // Both undefined would also be equal: the ETag must be there, and be a content hash.
      expect(mine.headers.etag).toMatch(/^"[0-9a-f]{64}"$/);
      expect(theirs.headers.etag).toBe(mine.headers.etag);
    } finally {
      await other.close();
    }
  });
});
