import { expect, it } from 'vitest';
import { describeServer, p } from '../test-helpers/index.ts';

const b = (prompt: string, branch: string) => `${p(prompt)}/branches/${encodeURIComponent(branch)}`;
const text = (template: string, extra: Record<string, unknown> = {}) => ({
  type: 'text',
  template,
  ...extra,
});

describeServer((ctx) => {
  it('saves versions on a branch with its own head, numbers unique per prompt, main staying latest', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', { name: 'br/lines', version: text('one\ntwo\nthree\n') });
    const created = await api.post(`${p('br/lines')}/branches`, { name: 'experiment/shorter' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'experiment/shorter', base: 1, head: 1, deletedAt: null });

    const onBranch = await api.post(`${p('br/lines')}/versions`, {
      ...text('one\ntwo\nTHREE\n'),
      branch: 'experiment/shorter',
      parent: 1,
    });
    expect(onBranch.status).toBe(201);
    expect(onBranch.body).toMatchObject({ number: 2, parent: 1, parents: [1], branch: 'experiment/shorter' });

    // The branch's head is 2: a parent of 1 is stale there, and main's head is still 1.
    const stale = await api.post(`${p('br/lines')}/versions`, {
      ...text('x'),
      branch: 'experiment/shorter',
      parent: 1,
    });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: 'VERSION_CONFLICT', head: 2, branch: 'experiment/shorter' });
    const onMain = await api.post(`${p('br/lines')}/versions`, { ...text('ONE\ntwo\nthree\n'), parent: 1 });
    expect(onMain.body).toMatchObject({ number: 3, parents: [1], branch: null });

    expect((await api.get(p('br/lines'))).body.latestVersion).toBe(3);
    expect((await api.get(b('br/lines', 'experiment/shorter'))).body.head).toBe(2);
    const list = await api.get(`${p('br/lines')}/branches`);
    expect(list.body.items.map((x: { name: string }) => x.name)).toEqual(['experiment/shorter']);

    const compared = await api.get(`${b('br/lines', 'experiment/shorter')}/compare`);
    expect(compared.status).toBe(200);
    expect(compared.body).toMatchObject({ main: 3, head: 2, base: 1, ahead: 1, behind: 1 });
    expect(compared.body.diff).toMatchObject({ from: 3, to: 2 });
  });

  it('validates branch names and refuses a taken one', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', { name: 'br/names', version: text('a') });
    for (const name of ['main', 'Has Space', 'a//b', 'trail/', 'x/../y']) {
      const response = await api.post(`${p('br/names')}/branches`, { name });
      expect(response.status, name).toBe(422);
      expect(response.body.errors.map((e: { path: string }) => e.path)).toContain('name');
    }
    expect((await api.post(`${p('br/names')}/branches`, { name: 'exp/a' })).status).toBe(201);
    const again = await api.post(`${p('br/names')}/branches`, { name: 'exp/a' });
    expect(again.body.code).toBe('BRANCH_EXISTS');
    const from = await api.post(`${p('br/names')}/branches`, { name: 'exp/b', from: 9 });
    expect(from.body.code).toBe('VERSION_NOT_FOUND');
    const unknown = await api.post(`${p('br/names')}/versions`, { ...text('b'), branch: 'nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('BRANCH_NOT_FOUND');
  });

  it('merges cleanly into main: a merge version with two parents, semver against main, audited and sealed', async () => {
    const { api, server } = ctx();
    await api.post('/api/v1/prompts', {
      name: 'br/merge',
      version: text('Hello {{name}}.\nBe brief.\nBye.\n', {
        config: { model: 'a', parameters: { temperature: 0.2 } },
      }),
    });
    await api.post(`${p('br/merge')}/branches`, { name: 'exp/words' });
    await api.post(`${p('br/merge')}/versions`, {
      ...text('Hello {{name}}.\nBe brief.\nSee you.\n', {
        config: { model: 'a', parameters: { temperature: 0.7 } },
      }),
      branch: 'exp/words',
    });
    const main = await api.post(`${p('br/merge')}/versions`, {
      ...text('Hi {{name}}.\nBe brief.\nBye.\n', {
        config: { model: 'b', parameters: { temperature: 0.2 } },
      }),
    });
    expect(main.body.semver).toBe('1.1.0');

    const preview = await api.get(`${p('br/merge')}/merges/preview?branch=exp%2Fwords`);
    expect(preview.body).toMatchObject({ base: 1, ours: 3, theirs: 2, conflicts: 0 });

    const merged = await api.post(`${p('br/merge')}/merges`, { branch: 'exp/words' });
    expect(merged.status).toBe(201);
    expect(merged.body).toMatchObject({ base: 1, ours: 3, theirs: 2 });
    expect(merged.body.version).toMatchObject({
      number: 4,
      parent: 3,
      parents: [3, 2],
      branch: null,
      semver: '1.2.0',
      template: 'Hi {{name}}.\nBe brief.\nSee you.\n',
      config: { model: 'b', parameters: { temperature: 0.7 } },
      message: 'Merge exp/words into main',
    });
    expect((await api.get(p('br/merge'))).body.latestVersion).toBe(4);

    const again = await api.post(`${p('br/merge')}/merges`, { branch: 'exp/words' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('NOTHING_TO_MERGE');

    const graph = await api.get(`${p('br/merge')}/graph`);
    expect(graph.body.main).toBe(4);
    expect(
      graph.body.versions.map((v: { number: number; parents: number[] }) => [v.number, v.parents]),
    ).toEqual([
      [1, []],
      [2, [1]],
      [3, [1]],
      [4, [3, 2]],
    ]);

    const audit = await api.get('/api/v1/audit?limit=200');
    const actions = audit.body.items
      .filter((e: { target: string }) => e.target === 'br/merge')
      .map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['branch.create', 'version.merge']));
    const verify = await api.get('/api/v1/audit/verify');
    expect(verify.body).toMatchObject({ ok: true });

    // The merge's second parent is sealed: rewriting it in SQL is found, putting it back passes.
    const promptId = `(select id from prompts where name = 'br/merge')`;
    await server.database.exec(
      `update versions set merge_parent = 1 where number = 4 and prompt_id = ${promptId}`,
    );
    const broken = (await api.get('/api/v1/audit/verify')).body;
    expect(broken.ok).toBe(false);
    expect(broken.tampered).toEqual([expect.objectContaining({ table: 'versions', target: 'br/merge v4' })]);
    await server.database.exec(
      `update versions set merge_parent = 2 where number = 4 and prompt_id = ${promptId}`,
    );
    expect((await api.get('/api/v1/audit/verify')).body.ok).toBe(true);
  });

  it('answers conflicts as structured hunks, writes nothing, and takes a resolution with both parents', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', { name: 'br/clash', version: text('intro\nBe brief.\noutro\n') });
    await api.post(`${p('br/clash')}/branches`, { name: 'exp/x' });
    await api.post(`${p('br/clash')}/versions`, { ...text('intro\nBe terse.\noutro\n'), branch: 'exp/x' });
    await api.post(`${p('br/clash')}/versions`, { ...text('intro\nBe very brief.\noutro\n') });

    const conflict = await api.post(`${p('br/clash')}/merges`, { branch: 'exp/x', into: 'main' });
    expect(conflict.status).toBe(409);
    expect(conflict.headers['content-type']).toContain('application/problem+json');
    expect(conflict.body).toMatchObject({
      code: 'MERGE_CONFLICT',
      base: 1,
      ours: 3,
      theirs: 2,
      conflicts: 1,
    });
    expect(conflict.body.template).toEqual([
      { op: 'clean', text: 'intro\n' },
      { op: 'conflict', base: 'Be brief.\n', ours: 'Be very brief.\n', theirs: 'Be terse.\n' },
      { op: 'clean', text: 'outro\n' },
    ]);
    expect((await api.get(`${p('br/clash')}/versions`)).body.items).toHaveLength(3);

    const stale = await api.post(`${p('br/clash')}/merges`, {
      branch: 'exp/x',
      resolved: text('intro\nBe very terse.\noutro\n'),
      parents: { ours: 1, theirs: 2 },
    });
    expect(stale.body.code).toBe('VERSION_CONFLICT');
    const missing = await api.post(`${p('br/clash')}/merges`, {
      branch: 'exp/x',
      resolved: text('intro\nBe very terse.\noutro\n'),
    });
    expect(missing.body.errors.map((e: { path: string }) => e.path)).toEqual(['parents']);

    const resolved = await api.post(`${p('br/clash')}/merges`, {
      branch: 'exp/x',
      resolved: text('intro\nBe very terse.\noutro\n'),
      parents: { ours: 3, theirs: 2 },
      message: 'take both',
    });
    expect(resolved.status).toBe(201);
    expect(resolved.body.version).toMatchObject({ number: 4, parents: [3, 2], message: 'take both' });
  });

  it('merges chat messages one by one and config keys, into another branch', async () => {
    const { api } = ctx();
    const chat = (system: string, user: string, config: Record<string, unknown>) => ({
      type: 'chat',
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: user },
      ],
      config,
    });
    await api.post('/api/v1/prompts', {
      name: 'br/chat',
      version: chat('Be kind.', '{{q}}', { model: 'a' }),
    });
    await api.post(`${p('br/chat')}/branches`, { name: 'exp/target' });
    await api.post(`${p('br/chat')}/branches`, { name: 'exp/source' });
    await api.post(`${p('br/chat')}/versions`, {
      ...chat('Be kind and brief.', '{{q}}', { model: 'a' }),
      branch: 'exp/target',
    });
    await api.post(`${p('br/chat')}/versions`, {
      ...chat('Be kind.', 'Question: {{q}}', { model: 'a', parameters: { temperature: 0 } }),
      branch: 'exp/source',
    });
    const merged = await api.post(`${p('br/chat')}/merges`, { branch: 'exp/source', into: 'exp/target' });
    expect(merged.status).toBe(201);
    expect(merged.body.version).toMatchObject({
      branch: 'exp/target',
      parents: [2, 3],
      messages: [
        { role: 'system', content: 'Be kind and brief.' },
        { role: 'user', content: 'Question: {{q}}' },
      ],
      config: { model: 'a', parameters: { temperature: 0 } },
    });
    expect((await api.get(b('br/chat', 'exp/target'))).body.head).toBe(4);
    expect((await api.get(p('br/chat'))).body.latestVersion).toBe(1);
    const self = await api.post(`${p('br/chat')}/merges`, { branch: 'exp/source', into: 'exp/source' });
    expect(self.status).toBe(422);
  });

  it('deletes a branch: its versions stay, it takes nothing new, its name is not reused', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', { name: 'br/delete', version: text('a') });
    await api.post(`${p('br/delete')}/branches`, { name: 'exp/gone' });
    await api.post(`${p('br/delete')}/versions`, { ...text('b'), branch: 'exp/gone' });
    const deleted = await api.delete(b('br/delete', 'exp/gone'));
    expect(deleted.status).toBe(200);
    expect(deleted.body.deletedAt).not.toBeNull();
    expect((await api.get(`${p('br/delete')}/branches`)).body.items).toEqual([]);
    expect((await api.get(`${p('br/delete')}/branches?deleted=include`)).body.items).toHaveLength(1);
    expect((await api.get(`${p('br/delete')}/versions/2`)).body).toMatchObject({ branch: 'exp/gone' });
    const save = await api.post(`${p('br/delete')}/versions`, { ...text('c'), branch: 'exp/gone' });
    expect(save.body.code).toBe('BRANCH_NOT_FOUND');
    expect((await api.post(`${p('br/delete')}/merges`, { branch: 'exp/gone' })).body.code).toBe(
      'BRANCH_NOT_FOUND',
    );
    expect((await api.post(`${p('br/delete')}/branches`, { name: 'exp/gone' })).body.code).toBe(
      'BRANCH_EXISTS',
    );
    const audit = await api.get('/api/v1/audit?limit=200');
    expect(
      audit.body.items.some(
        (e: { action: string; target: string }) => e.action === 'branch.delete' && e.target === 'br/delete',
      ),
    ).toBe(true);
  });
});
