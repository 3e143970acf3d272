/**
 * "Latest" means the newest main-line version everywhere, however new a branch's versions are;
 * and environments with a policy take branch versions only when it says `allowBranches: true`.
 */
import { expect, it } from 'vitest';
import { describeServer, p } from '../test-helpers/index.ts';

describeServer((ctx) => {
  it('latest is the main line: registry head, Langfuse label, render-by-version partials', async () => {
    const { api, server } = ctx();
    await api.post('/api/v1/prompts', {
      name: 'lt/footer',
      version: { type: 'text', template: 'Thanks, main.' },
    });
    await api.post(`${p('lt/footer')}/branches`, { name: 'exp/footer' });
    const onBranch = await api.post(`${p('lt/footer')}/versions`, {
      type: 'text',
      template: 'Thanks, branch.',
      branch: 'exp/footer',
    });
    expect(onBranch.body.number).toBe(2);
    await api.post('/api/v1/prompts', {
      name: 'lt/body',
      version: { type: 'text', template: 'Hi {{name}}. {{> lt/footer}}' },
    });

    // Registry head.
    expect((await api.get(p('lt/footer'))).body.latestVersion).toBe(1);
    const listed = await api.get('/api/v1/prompts?q=lt/footer');
    expect(listed.body.items[0].latestVersion).toBe(1);

    // Langfuse: `latest` is version 1, version 2 carries no `latest` label.
    const basic = { authorization: `Basic ${Buffer.from(`pk:${server.apiKey}`).toString('base64')}` };
    const latest = await api.get('/api/public/v2/prompts/lt%2Ffooter?label=latest', basic);
    expect(latest.status).toBe(200);
    expect(latest.body).toMatchObject({ version: 1, prompt: 'Thanks, main.' });
    const second = await api.get('/api/public/v2/prompts/lt%2Ffooter?version=2', basic);
    expect(second.body.labels).not.toContain('latest');

    // Rendering a version resolves partials to their newest main-line version.
    const rendered = await api.post(`${p('lt/body')}/render`, { version: 1, variables: { name: 'Ann' } });
    expect(rendered.status).toBe(200);
    expect(rendered.body.text).toBe('Hi Ann. Thanks, main.');
  });

  it('deploys branch versions where the policy is empty, refuses them under a policy unless allowBranches', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', { name: 'lt/deploy', version: { type: 'text', template: 'a' } });
    await api.post(`${p('lt/deploy')}/branches`, { name: 'exp/try' });
    await api.post(`${p('lt/deploy')}/versions`, { type: 'text', template: 'b', branch: 'exp/try' });

    const free = await api.put(`${p('lt/deploy')}/deployments/development`, { version: 2 });
    expect(free.status).toBe(200);

    expect(
      (await api.patch('/api/v1/environments/staging', { policy: { deployRoles: ['editor', 'admin'] } }))
        .status,
    ).toBe(200);
    const refused = await api.put(`${p('lt/deploy')}/deployments/staging`, {
      variants: [
        { version: 1, weight: 5000 },
        { version: 2, weight: 5000 },
      ],
    });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      code: 'BRANCH_VERSION_NOT_ALLOWED',
      environment: 'staging',
      versions: [{ version: 2, branch: 'exp/try' }],
    });
    expect((await api.get(`${p('lt/deploy')}/deployments/staging`)).status).toBe(404);
    // A deployment request for it is refused when opened, not left for a reviewer to find undeployable.
    const request = await api.post(`${p('lt/deploy')}/deployments/staging/requests`, {
      version: 2,
      reason: 'try it',
    });
    expect(request.status).toBe(409);
    expect(request.body.code).toBe('BRANCH_VERSION_NOT_ALLOWED');
    // Main-line versions still deploy there.
    expect((await api.put(`${p('lt/deploy')}/deployments/staging`, { version: 1 })).status).toBe(200);

    await api.patch('/api/v1/environments/staging', {
      policy: { deployRoles: ['editor', 'admin'], allowBranches: true },
    });
    expect((await api.put(`${p('lt/deploy')}/deployments/staging`, { version: 2 })).status).toBe(200);

    await api.patch('/api/v1/environments/staging', { policy: { allowBranches: false } });
    const explicit = await api.put(`${p('lt/deploy')}/deployments/staging`, {
      variants: [
        { version: 1, weight: 9000 },
        { version: 2, weight: 1000 },
      ],
    });
    expect(explicit.body.code).toBe('BRANCH_VERSION_NOT_ALLOWED');
    await api.patch('/api/v1/environments/staging', { policy: {} });
  });

  it('Langfuse lists main-line versions, and a branch version only while an environment serves it', async () => {
    const { api, server } = ctx();
    const basic = { authorization: `Basic ${Buffer.from(`pk:${server.apiKey}`).toString('base64')}` };
    await api.post('/api/v1/prompts', { name: 'lt/lf', version: { type: 'text', template: 'one' } });
    await api.post(`${p('lt/lf')}/branches`, { name: 'exp/lf' });
    await api.post(`${p('lt/lf')}/versions`, { type: 'text', template: 'two', branch: 'exp/lf' });
    await api.post(`${p('lt/lf')}/versions`, {
      type: 'chat',
      messages: [{ role: 'user', content: 'three' }],
      config: { model: 'main-model' },
    });
    await api.post(`${p('lt/lf')}/versions`, { type: 'text', template: 'four', branch: 'exp/lf' });
    const listed = async () =>
      (await api.get('/api/public/v2/prompts?name=lt%2Flf', basic)).body.data[0] as {
        versions: number[];
        labels: string[];
        type: string;
        lastConfig: Record<string, unknown>;
      };
    // Versions 2 and 4 are on the branch: Langfuse sees 1 and 3, described by 3 (the newest main-line).
    expect(await listed()).toMatchObject({
      versions: [1, 3],
      labels: ['latest'],
      type: 'chat',
      lastConfig: { model: 'main-model' },
    });
    // Served by development (empty policy), the branch head shows with that label.
    expect((await api.put(`${p('lt/lf')}/deployments/development`, { version: 4 })).status).toBe(200);
    expect(await listed()).toMatchObject({
      versions: [1, 3, 4],
      labels: ['development', 'latest'],
      type: 'chat',
    });
    const byLabel = await api.get('/api/public/v2/prompts/lt%2Flf?label=development', basic);
    expect(byLabel.body).toMatchObject({ version: 4, prompt: 'four', labels: ['development'] });
    const filtered = await api.get('/api/public/v2/prompts?name=lt%2Flf&label=development', basic);
    expect(filtered.body.data[0].versions).toEqual([4]);
    // A branch version stays fetchable by its number.
    expect((await api.get('/api/public/v2/prompts/lt%2Flf?version=2', basic)).body.prompt).toBe('two');
  });

  it('a rollback that would serve a branch version where the policy refuses branches is refused like the deploy, unless forced', async () => {
    const { api } = ctx();
    const name = 'lt/rollback';
    await api.post('/api/v1/prompts', { name, version: { type: 'text', template: 'main' } });
    await api.post(`${p(name)}/branches`, { name: 'exp/rb' });
    await api.post(`${p(name)}/versions`, { type: 'text', template: 'branch', branch: 'exp/rb' });
    await api.post(`${p(name)}/versions`, { type: 'text', template: 'main 2' });
    // Production takes the branch version while its policy is empty, then main-line v3.
    expect((await api.put(`${p(name)}/deployments/production`, { version: 2 })).status).toBe(200);
    expect((await api.put(`${p(name)}/deployments/production`, { version: 3 })).status).toBe(200);
    await api.patch('/api/v1/environments/production', { policy: { deployRoles: ['editor', 'admin'] } });
    try {
      const refused = await api.post(`${p(name)}/deployments/production/rollback`, { reason: 'bad v3' });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({
        code: 'BRANCH_VERSION_NOT_ALLOWED',
        environment: 'production',
        versions: [{ version: 2, branch: 'exp/rb' }],
      });
      // Nothing changed: v3 is still live, and no history entry was added.
      expect((await api.get(`${p(name)}/deployments/production`)).body.variants).toEqual([
        { version: 3, weight: 10_000 },
      ]);
      const history = (await api.get(`${p(name)}/deployments/production/history`)).body.items;
      expect(history).toHaveLength(2);
      // By history entry too.
      const oldest = history.at(-1);
      const to = await api.post(`${p(name)}/deployments/production/rollback`, { to: oldest.id });
      expect(to.body.code).toBe('BRANCH_VERSION_NOT_ALLOWED');

      // Allowed by the policy: the rollback goes through.
      await api.patch('/api/v1/environments/production', {
        policy: { deployRoles: ['editor', 'admin'], allowBranches: true },
      });
      const allowed = await api.post(`${p(name)}/deployments/production/rollback`, {});
      expect(allowed.status).toBe(200);
      expect(allowed.body.variants).toEqual([{ version: 2, weight: 10_000 }]);
      expect((await api.put(`${p(name)}/deployments/production`, { version: 3 })).status).toBe(200);

      // Refused again, then forced: recorded as forced in the history and the audit event.
      await api.patch('/api/v1/environments/production', { policy: { allowBranches: false } });
      expect((await api.post(`${p(name)}/deployments/production/rollback`, {})).body.code).toBe(
        'BRANCH_VERSION_NOT_ALLOWED',
      );
      const forced = await api.post(`${p(name)}/deployments/production/rollback`, {
        to: oldest.id,
        force: true,
        reason: 'v3 is broken, v2 is the known good one',
      });
      expect(forced.status).toBe(200);
      expect(forced.body.variants).toEqual([{ version: 2, weight: 10_000 }]);
      const entry = (await api.get(`${p(name)}/deployments/production/history`)).body.items[0];
      expect(entry).toMatchObject({ action: 'rollback', version: 2, forced: true });
      const audit = await api.get('/api/v1/audit?action=deployment.rollback');
      const event = audit.body.items.find(
        (e: { data: { historyId?: number } }) => e.data.historyId === entry.id,
      );
      expect(event?.data).toMatchObject({
        forced: true,
        overriddenBranchPolicy: {
          code: 'BRANCH_VERSION_NOT_ALLOWED',
          versions: [{ version: 2, branch: 'exp/rb' }],
        },
      });
    } finally {
      await api.patch('/api/v1/environments/production', { policy: {} });
    }
  });
});
