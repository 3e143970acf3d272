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
});
