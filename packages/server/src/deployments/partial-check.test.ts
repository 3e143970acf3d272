import { expect, it } from 'vitest';
import { describeServer, p } from '../test-helpers/index.ts';

describeServer((ctx) => {
  /** Creates a prompt whose versions have these templates (v1, v2, …). */
  async function prompt(name: string, ...templates: string[]) {
    const { api } = ctx();
    const [first = '', ...rest] = templates;
    const created = await api.post('/api/v1/prompts', { name, version: { type: 'text', template: first } });
    expect(created.status).toBe(201);
    for (const template of rest) await api.post(`${p(name)}/versions`, { type: 'text', template });
  }
  const deploy = (name: string, body: Record<string, unknown>, env = 'production') =>
    ctx().api.put(`${p(name)}/deployments/${env}`, body);
  const rollback = (name: string, body: Record<string, unknown> = {}, env = 'production') =>
    ctx().api.post(`${p(name)}/deployments/${env}/rollback`, body);
  const render = (name: string, env = 'production') =>
    ctx().api.post(`${p(name)}/render`, { env, variables: {} });

  it('refuses to deploy a prompt whose partial the environment does not serve, naming it; then accepts once it is served', async () => {
    await prompt('pg1/main', 'Hi. {{> pg1/tone}}');
    await prompt('pg1/tone', 'Be kind.');
    const refused = await deploy('pg1/main', { version: 1 });
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body.code).toBe('DEPLOY_PARTIAL_MISSING');
    expect(refused.body.detail).toContain(
      '"pg1/main" includes {{> pg1/tone}}, which production would not serve',
    );
    expect(refused.body.detail).toContain('Deploy "pg1/tone" to production first');
    expect(refused.body.hint).toBe('Send "force": true to make the change anyway (recorded in the history).');
    expect(refused.body.missing).toEqual([
      { partial: 'pg1/tone', reason: 'not-deployed', includedBy: ['pg1/main'] },
    ]);
    // Nothing was written: not live, no history.
    expect((await ctx().api.get(`${p('pg1/main')}/deployments/production`)).status).toBe(404);

    expect((await deploy('pg1/tone', { version: 1 })).status).toBe(200);
    expect((await deploy('pg1/main', { version: 1 })).status).toBe(200);
    expect((await render('pg1/main')).body.text).toBe('Hi. Be kind.');
  });

  it('refuses a version that closes a partial cycle and names the cycle', async () => {
    await prompt('pg2/a', 'A {{> pg2/b}}');
    await prompt('pg2/b', 'B', 'B {{> pg2/a}}');
    expect((await deploy('pg2/b', { version: 1 })).status).toBe(200);
    expect((await deploy('pg2/a', { version: 1 })).status).toBe(200);
    const refused = await deploy('pg2/b', { version: 2 });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('DEPLOY_PARTIAL_CYCLE');
    expect(refused.body.cycles).toEqual([['pg2/a', 'pg2/b', 'pg2/a']]);
    expect(refused.body.detail).toContain('cycle: pg2/a → pg2/b → pg2/a');
    expect((await render('pg2/a')).body.text).toBe('A B');
  });

  it('checks every variant with a weight, in other environments independently', async () => {
    await prompt('pg3/main', 'plain', 'with {{> pg3/extra}}');
    await prompt('pg3/extra', 'extra');
    // A zero-weight variant is never picked, so it cannot break a render.
    const dormant = await deploy('pg3/main', {
      variants: [
        { version: 2, weight: 0 },
        { version: 1, weight: 10_000 },
      ],
    });
    expect(dormant.status).toBe(200);
    const split = await deploy('pg3/main', {
      variants: [
        { version: 2, weight: 500 },
        { version: 1, weight: 9500 },
      ],
    });
    expect(split.status).toBe(409);
    expect(split.body.code).toBe('DEPLOY_PARTIAL_MISSING');
    expect((await deploy('pg3/extra', { version: 1 }, 'staging')).status).toBe(200);
    // Served in staging is not served in production.
    expect((await deploy('pg3/main', { version: 2 })).status).toBe(409);
    expect((await deploy('pg3/main', { version: 2 }, 'staging')).status).toBe(200);
  });

  it('refuses the kill switch of a partial that served prompts include, names them; force overrides and is recorded', async () => {
    await prompt('pg4/tone', 'Be kind.');
    await prompt('pg4/x', 'X {{> pg4/tone}}');
    await prompt('pg4/y', 'Y {{> pg4/tone}}');
    await prompt('pg4/alone', 'nobody includes me');
    for (const name of ['pg4/tone', 'pg4/x', 'pg4/y', 'pg4/alone'])
      expect((await deploy(name, { version: 1 })).status).toBe(200);

    expect((await deploy('pg4/alone', { version: 1, enabled: false })).status).toBe(200);
    const refused = await deploy('pg4/tone', { version: 1, enabled: false });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('DEPLOY_PARTIAL_MISSING');
    expect(refused.body.missing).toEqual([
      { partial: 'pg4/tone', reason: 'disabled', includedBy: ['pg4/x', 'pg4/y'] },
    ]);
    expect(refused.body.detail).toContain('"pg4/x" and "pg4/y" include {{> pg4/tone}}');
    expect(refused.body.detail).toContain(
      'Deploy versions of "pg4/x" and "pg4/y" without {{> pg4/tone}} first.',
    );
    expect((await render('pg4/x')).body.text).toBe('X Be kind.');

    const forced = await deploy('pg4/tone', { version: 1, enabled: false, force: true, reason: 'leaks' });
    expect(forced.status).toBe(200);
    expect(forced.body.enabled).toBe(false);
    const [entry] = (await ctx().api.get(`${p('pg4/tone')}/deployments/production/history`)).body.items;
    expect(entry).toMatchObject({ forced: true, enabled: false, reason: 'leaks' });
    const audit = await ctx().api.get(
      `/api/v1/audit?action=deployment.deploy&target=${encodeURIComponent('pg4/tone@production')}`,
    );
    expect(audit.body.items[0].data).toMatchObject({
      forced: true,
      overridden: {
        code: 'DEPLOY_PARTIAL_MISSING',
        missing: [{ partial: 'pg4/tone', includedBy: ['pg4/x', 'pg4/y'] }],
      },
    });
    // The forced state is what the render meets: strict fails, as it would without the check.
    expect((await render('pg4/x')).body.code).toBe('TEMPLATE_PARTIAL_NOT_FOUND');
    // A breakage that exists already does not block unrelated changes, and deploying the fix works.
    expect((await deploy('pg4/alone', { version: 1, enabled: true })).status).toBe(200);
    expect((await deploy('pg4/tone', { version: 1, enabled: true })).status).toBe(200);
    expect((await render('pg4/y')).body.text).toBe('Y Be kind.');
  });

  it('rollback stays instant unless it would break another served prompt; force overrides', async () => {
    await prompt('pg5/part', 'old {{> pg5/gone}}', 'new');
    await prompt('pg5/user', 'U {{> pg5/part}}');
    await prompt('pg5/solo', 'solo v1 {{> pg5/gone}}', 'solo v2');
    expect((await deploy('pg5/part', { version: 1, force: true })).status).toBe(200);
    expect((await deploy('pg5/part', { version: 2 })).status).toBe(200);
    expect((await deploy('pg5/user', { version: 1 })).status).toBe(200);

    // Rolling pg5/part back to v1 would make pg5/user's renders fail on pg5/gone.
    const refused = await rollback('pg5/part');
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('DEPLOY_PARTIAL_MISSING');
    expect(refused.body.detail).toContain('{{> pg5/gone}}');
    expect((await render('pg5/user')).body.text).toBe('U new');
    const forced = await rollback('pg5/part', { force: true });
    expect(forced.status).toBe(200);
    expect(forced.body.version).toBe(1);
    const [entry] = (await ctx().api.get(`${p('pg5/part')}/deployments/production/history`)).body.items;
    expect(entry).toMatchObject({ action: 'rollback', forced: true });

    // A rollback that only affects the prompt itself (nobody includes it) is not refused.
    expect((await deploy('pg5/solo', { version: 1, force: true })).status).toBe(200);
    expect((await deploy('pg5/solo', { version: 2 })).status).toBe(200);
    const solo = await rollback('pg5/solo');
    expect(solo.status).toBe(200);
    expect(solo.body.version).toBe(1);
  });

  it('two concurrent deploys cannot together close a cycle: one of them is refused', async () => {
    await prompt('pg6/a', 'A', 'A {{> pg6/b}}');
    await prompt('pg6/b', 'B', 'B {{> pg6/a}}');
    expect((await deploy('pg6/a', { version: 1 })).status).toBe(200);
    expect((await deploy('pg6/b', { version: 1 })).status).toBe(200);
    const results = await Promise.all([deploy('pg6/a', { version: 2 }), deploy('pg6/b', { version: 2 })]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)?.body.code).toBe('DEPLOY_PARTIAL_CYCLE');
  });

  it('rendering a version with strict: false renders a missing partial as empty; strict names it', async () => {
    await prompt('pg7/v', 'Hello {{> pg7/nowhere}}{{name}}.');
    const lenient = await ctx().api.post(`${p('pg7/v')}/render`, {
      version: 1,
      strict: false,
      variables: {},
    });
    expect(lenient.status).toBe(200);
    expect(lenient.body.text).toBe('Hello .');
    const strict = await ctx().api.post(`${p('pg7/v')}/render`, { version: 1, variables: { name: 'Ada' } });
    expect(strict.status).toBe(422);
    expect(strict.body.code).toBe('TEMPLATE_PARTIAL_NOT_FOUND');
    expect(strict.body.hint).toContain('strict: false');
  });
});
