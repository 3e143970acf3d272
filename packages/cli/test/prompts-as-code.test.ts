/**
 * Black-box tests of prompts as code: the real `promptline pull|push|status|diff <dir>` and
 * promptline.deploy.yaml against a real server, on SQLite and on PostgreSQL. Each test works under
 * its own name prefix (`--prefix`), so the registry the tests share never leaks between them.
 */
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Deployment, HistoryEntry, Prompt, Version } from '@promptline/core';
import { DIALECTS, startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from './run-cli.ts';

const ESC = '\u001b[';

for (const dialect of DIALECTS) {
  // Each test runs the CLI several times; on a loaded machine one run can take seconds.
  describe(`prompts as code on ${dialect}`, { timeout: 180_000 }, () => {
    let server: TestServer;
    let dir: string;

    const run = (args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> =>
      runCli(args, { server, env });

    async function ok(args: string[]): Promise<string> {
      const result = await run(args);
      if (result.code !== 0) {
        throw new Error(
          `promptline ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`,
        );
      }
      return result.stdout;
    }

    async function api<T = unknown>(
      method: string,
      path: string,
      body?: unknown,
    ): Promise<{ status: number; json: T }> {
      const response = await fetch(`${server.url}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${server.apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, json: (text === '' ? undefined : JSON.parse(text)) as T };
    }

    const enc = encodeURIComponent;
    const versionsOf = async (name: string) =>
      (await api<{ items: Version[] }>('GET', `/prompts/${enc(name)}/versions`)).json.items;
    const promptNames = async () =>
      (await api<{ items: Prompt[] }>('GET', '/prompts')).json.items.map((p) => p.name);

    async function createPrompt(
      name: string,
      version: Record<string, unknown>,
      extra: Record<string, unknown> = {},
    ) {
      const created = await api('POST', '/prompts', { name, ...extra, version });
      expect(created.status).toBe(201);
    }

    const file = (name: string) => join(dir, ...`${name}.prompt`.split('/'));
    const read = (name: string) => readFile(file(name), 'utf8');
    async function edit(name: string, from: string, to: string) {
      const text = await read(name);
      expect(text).toContain(from);
      await writeFile(file(name), text.replace(from, to));
    }

    beforeAll(async () => {
      server = await startTestServer({ dialect });
    });
    afterAll(async () => {
      await server?.close();
    });
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'promptline-pac-'));
      return () => rm(dir, { recursive: true, force: true });
    });

    it('pulls one file per prompt into folders, and pushing it back changes nothing', async () => {
      await createPrompt(
        'a/support/triage',
        {
          type: 'text',
          template: 'Classify this ticket from {{customer.name}}:\n{{ticket}}',
          config: { provider: 'mock', model: 'mock-1', parameters: { temperature: 0.2 }, seed: 7 },
          message: 'first cut',
        },
        { description: 'Routes tickets', owner: 'ann@example.com', tags: ['support', 'tier-1'] },
      );
      await createPrompt('a/reply', { type: 'text', template: 'Reply to {{ticket}}' });

      expect(await ok(['pull', dir, '--prefix', 'a/'])).toContain('Wrote 2 files.');
      const text = await read('a/support/triage');
      expect(text).toBe(
        [
          '---',
          'description: Routes tickets',
          'owner: ann@example.com',
          'tags:',
          '  - support',
          '  - tier-1',
          'model: mock/mock-1',
          'config:',
          '  temperature: 0.2',
          'extra:',
          '  seed: 7',
          'input:',
          '  schema:',
          '    customer: any',
          '    ticket: any',
          'promptline:',
          '  version: 1',
          '  semver: 1.0.0',
          `  hash: ${(await versionsOf('a/support/triage'))[0]?.hash}`,
          '---',
          'Classify this ticket from {{customer.name}}:',
          '{{ticket}}',
          '',
        ].join('\n'),
      );

      expect(await ok(['status', dir, '--prefix', 'a/'])).toBe('Up to date: 2 prompts, nothing to push.\n');
      const push = await run(['push', dir, '--prefix', 'a/']);
      expect(push).toMatchObject({ code: 0, stderr: '' });
      expect(push.stdout).toBe('Up to date: 2 prompts, nothing to push.\n');
      expect(await versionsOf('a/support/triage')).toHaveLength(1);
      expect(await read('a/support/triage')).toBe(text);
      // A second pull writes nothing either.
      expect(await ok(['pull', dir, '--prefix', 'a/'])).toBe('Already up to date.\n');
    });

    it('an edited file becomes exactly one version on its head, and the file records it', async () => {
      await createPrompt('b/triage', {
        type: 'text',
        template: 'Classify {{ticket}}',
        config: { model: 'mock-1' },
      });
      await ok(['pull', dir, '--prefix', 'b/']);
      await edit('b/triage', 'Classify {{ticket}}', 'Classify {{ticket}} for {{plan}}');
      await edit('b/triage', 'model: mock-1', 'model: mock/mock-1\nconfig:\n  temperature: 0');

      const status = await ok(['status', dir, '--prefix', 'b/']);
      expect(status).toMatch(/modified\s+b\/triage\s+new version on v1/);

      const push = await ok(['push', dir, '--prefix', 'b/', '--message', 'mention the plan']);
      expect(push).toContain('created b/triage v2 (2.0.0)');
      const versions = await versionsOf('b/triage');
      expect(versions).toHaveLength(2);
      expect(versions[0]).toMatchObject({
        number: 2,
        parent: 1,
        message: 'mention the plan',
        template: 'Classify {{ticket}} for {{plan}}',
        config: { provider: 'mock', model: 'mock-1', parameters: { temperature: 0 } },
        variables: ['plan', 'ticket'],
      });
      expect(await read('b/triage')).toContain(
        `promptline:\n  version: 2\n  semver: 2.0.0\n  hash: ${versions[0]?.hash}\n`,
      );
      // Pushing again is a no-op: the file is the head now.
      expect(await ok(['push', dir, '--prefix', 'b/'])).toBe('Up to date: 1 prompt, nothing to push.\n');
      expect(await versionsOf('b/triage')).toHaveLength(2);
    });

    it('a file edited from a stale head is a conflict: exit 1, nothing written, even for the fine files', async () => {
      await createPrompt('c/stale', { type: 'text', template: 'Version one' });
      await createPrompt('c/fine', { type: 'text', template: 'Fine one' });
      await ok(['pull', dir, '--prefix', 'c/']);
      // Someone else moves c/stale on while the folder is being edited.
      await api('POST', `/prompts/${enc('c/stale')}/versions`, {
        type: 'text',
        template: 'Version two (web)',
      });
      await edit('c/stale', 'Version one', 'Version one, edited');
      await edit('c/fine', 'Fine one', 'Fine two');
      await writeFile(file('c/brand-new'), 'A new prompt\n');
      await writeFile(
        join(dir, 'promptline.deploy.yaml'),
        'environments:\n  production:\n    c/fine: latest\n',
      );
      const before = { stale: await read('c/stale'), fine: await read('c/fine') };

      for (const args of [
        ['push', dir, '--prefix', 'c/'],
        ['push', dir, '--prefix', 'c/', '--dry-run'],
      ]) {
        const result = await run(args);
        expect(result.code).toBe(1);
        expect(result.stdout).toMatch(/conflict\s+c\/stale\s+edited from v1, but the registry is at v2/);
        expect(result.stderr).toContain(
          'error CONFLICT: 1 file was edited from a version that is no longer the head (c/stale)',
        );
        expect(result.stderr).toContain(`promptline pull ${dir} --force`);
        expect(result.stderr).toContain('Nothing was pushed.');
      }
      expect(await versionsOf('c/stale')).toHaveLength(2);
      expect(await versionsOf('c/fine')).toHaveLength(1);
      expect(await promptNames()).not.toContain('c/brand-new');
      expect((await api('GET', `/prompts/${enc('c/fine')}/deployments/production`)).status).toBe(404);
      expect({ stale: await read('c/stale'), fine: await read('c/fine') }).toEqual(before);

      // pull keeps the edited file unless --force; then the merge is the user's, and push goes through.
      const pull = await run(['pull', dir, '--prefix', 'c/']);
      expect(pull.code).toBe(1);
      expect(pull.stdout).toMatch(
        /conflict\s+c\/stale\.prompt\s+edited from an older version: kept, the registry is at v2/,
      );
      expect(pull.stdout).toMatch(/kept\s+c\/fine\.prompt/);
      expect(await read('c/stale')).toBe(before.stale);
      await ok(['pull', dir, '--prefix', 'c/', '--force']);
      expect(await read('c/stale')).toContain('Version two (web)');
      await edit('c/stale', 'Version two (web)', 'Version two (web), edited');
      const push = await ok(['push', dir, '--prefix', 'c/']);
      expect(push).toContain('created c/stale v3');
      expect(push).toContain('created c/fine v2');
      expect(push).toContain('created c/brand-new v1');
      expect(push).toContain('deployed c/fine to production: v2');
    });

    it('a new file creates its prompt; a deleted file is reported and its prompt left alone', async () => {
      await createPrompt('d/keep', { type: 'text', template: 'Keep me' });
      await createPrompt('d/gone', { type: 'text', template: 'Delete my file' });
      await ok(['pull', dir, '--prefix', 'd/']);
      await unlink(file('d/gone'));
      await mkdir(join(dir, 'd', 'deep'), { recursive: true });
      await writeFile(
        file('d/deep/new'),
        '---\ndescription: Made in git\ntags: [new]\nmodel: mock/mock-1\n---\nHello {{name}}\n',
      );

      const dry = await run(['push', dir, '--prefix', 'd/', '--dry-run']);
      expect(dry.code).toBe(4);
      expect(dry.stdout).toMatch(/new\s+d\/deep\/new\s+creates the prompt with v1/);
      expect(dry.stdout).toMatch(/missing\s+d\/gone\s+in the registry \(v1\), no file: left as it is/);
      expect(dry.stderr).toContain('1 prompt has no file');
      expect(await promptNames()).not.toContain('d/deep/new');

      const push = await run(['push', dir, '--prefix', 'd/']);
      expect(push.code).toBe(4);
      expect(push.stdout).toContain('created d/deep/new v1 (1.0.0)');
      const created = (await api<Prompt>('GET', `/prompts/${enc('d/deep/new')}`)).json;
      expect(created).toMatchObject({ description: 'Made in git', tags: ['new'], latestVersion: 1 });
      expect((await versionsOf('d/deep/new'))[0]).toMatchObject({
        template: 'Hello {{name}}',
        config: { provider: 'mock', model: 'mock-1' },
      });
      expect(await versionsOf('d/gone')).toHaveLength(1);
      expect(await promptNames()).toContain('d/gone');
      expect(await read('d/deep/new')).toContain('promptline:\n  version: 1\n');
    });

    it("push --archive-missing archives prompts without a file, refuses a served one; an archived prompt's file is not pushed", async () => {
      await createPrompt('k/keep', { type: 'text', template: 'Keep' });
      await createPrompt('k/old', { type: 'text', template: 'Old' });
      await createPrompt('k/live', { type: 'text', template: 'Live' });
      expect(
        (await api('PUT', `/prompts/${enc('k/live')}/deployments/production`, { version: 1 })).status,
      ).toBe(200);
      await ok(['pull', dir, '--prefix', 'k/']);
      await unlink(file('k/old'));
      await unlink(file('k/live'));

      const dry = await run(['push', dir, '--prefix', 'k/', '--dry-run', '--archive-missing']);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(/missing\s+k\/old\s+in the registry \(v1\), no file: push archives it/);
      expect(await promptNames()).toContain('k/old');

      const push = await run(['push', dir, '--prefix', 'k/', '--archive-missing']);
      expect(push.code).toBe(1);
      expect(push.stdout).toContain('archived k/old');
      expect(push.stderr).toContain('error PROMPT_SERVED: archiving k/live');
      expect(push.stderr).toContain('production');
      const names = await promptNames();
      expect(names).toContain('k/keep');
      expect(names).toContain('k/live');
      expect(names).not.toContain('k/old');
      const archived = (await api<{ items: Prompt[] }>('GET', '/prompts?archived=only')).json.items;
      expect(archived.map((p) => p.name)).toEqual(['k/old']);
      expect(await versionsOf('k/old')).toHaveLength(1);

      // The file comes back (from git, say): it is reported, not pushed, until the prompt is restored.
      await writeFile(file('k/old'), '---\nmodel: mock/mock-1\n---\nOld, edited\n');
      const status = await run(['push', dir, '--prefix', 'k/', '--dry-run']);
      expect(status.code).toBe(4);
      expect(status.stdout).toMatch(/archived\s+k\/old\s+the prompt is archived in the registry/);
      expect(status.stderr).toContain('1 file belongs to archived prompts');
      expect(await versionsOf('k/old')).toHaveLength(1);
    });

    it("a deploy the environment's policy refuses is reported with its code: exit 1, versions still pushed, nothing deployed", async () => {
      expect((await api('POST', '/environments', { name: 'guarded-cli' })).status).toBe(201);
      expect(
        (await api('PATCH', '/environments/guarded-cli', { policy: { requiredApprovals: 1 } })).status,
      ).toBe(200);
      await createPrompt('l/triage', { type: 'text', template: 'One' });
      await ok(['pull', dir, '--prefix', 'l/']);
      await edit('l/triage', 'One', 'Two');
      await writeFile(
        join(dir, 'promptline.deploy.yaml'),
        'environments:\n  guarded-cli:\n    l/triage: latest\n',
      );

      const push = await run(['push', dir, '--prefix', 'l/']);
      expect(push.code).toBe(1);
      expect(push.stdout).toContain('created l/triage v2');
      expect(push.stderr).toContain('error APPROVAL_REQUIRED: deploying l/triage to guarded-cli');
      expect(await versionsOf('l/triage')).toHaveLength(2);
      expect((await api('GET', `/prompts/${enc('l/triage')}/deployments/guarded-cli`)).status).toBe(404);
    });

    it('--prefix limits pull, status and push to part of the registry', async () => {
      await createPrompt('e/in/one', { type: 'text', template: 'In' });
      await createPrompt('e/out/two', { type: 'text', template: 'Out' });
      await ok(['pull', dir, '--prefix', 'e/in/']);
      await expect(read('e/in/one')).resolves.toContain('In');
      await expect(read('e/out/two')).rejects.toThrow(/ENOENT/);
      // e/out/two has no file, but it is outside the prefix: not missing, push is clean.
      expect((await run(['push', dir, '--prefix', 'e/in/', '--dry-run'])).code).toBe(0);
      expect((await run(['push', dir, '--prefix', 'e/', '--dry-run'])).code).toBe(4);
    });

    it('push --dry-run prints the plan, writes nothing and exits 0 when the push is clean', async () => {
      await createPrompt('f/one', { type: 'text', template: 'One' });
      await ok(['pull', dir, '--prefix', 'f/']);
      await edit('f/one', 'One', 'One, edited');
      const dry = await run(['push', dir, '--prefix', 'f/', '--dry-run', '--json']);
      expect(dry.code).toBe(0);
      expect(JSON.parse(dry.stdout)).toMatchObject({
        applied: false,
        prompts: [{ name: 'f/one', state: 'modified', base: 1, head: 1, newVersion: true }],
        deploys: [],
        problems: [],
      });
      expect(await versionsOf('f/one')).toHaveLength(1);
      expect(await read('f/one')).toContain('version: 1\n');

      // A file unedited since an older version is behind: push leaves it and says to pull.
      await api('POST', `/prompts/${enc('f/one')}/versions`, { type: 'text', template: 'Two (web)' });
      await ok(['pull', dir, '--prefix', 'f/', '--force']);
      await api('POST', `/prompts/${enc('f/one')}/versions`, { type: 'text', template: 'Three (web)' });
      const behind = await run(['push', dir, '--prefix', 'f/', '--dry-run']);
      expect(behind.code).toBe(4);
      expect(behind.stdout).toMatch(/behind\s+f\/one\s+the registry is at v3, the file unedited from v2/);
      expect(behind.stderr).toContain('1 file is behind the registry (run `promptline pull`)');
    });

    it('applies promptline.deploy.yaml through the deploy API: versions, latest, variants, kill switch', async () => {
      await createPrompt('g/triage', { type: 'text', template: 'One' });
      await api('POST', `/prompts/${enc('g/triage')}/versions`, { type: 'text', template: 'Two' });
      await ok(['pull', dir, '--prefix', 'g/']);
      await edit('g/triage', 'Two', 'Three');
      await writeFile(
        join(dir, 'promptline.deploy.yaml'),
        [
          'environments:',
          '  production:',
          '    g/triage: 2',
          '  staging:',
          '    g/triage:',
          '      variants: [{ version: latest, weight: 500 }, { version: 2, weight: 9500 }]',
          '  development:',
          '    g/triage: { version: 1, enabled: false }',
          '',
        ].join('\n'),
      );
      const status = await ok(['status', dir, '--prefix', 'g/']);
      expect(status).toContain('deploy    g/triage in production: nothing → v2');
      expect(status).toContain('deploy    g/triage in staging: nothing → v3 5% · v2 95%');
      expect(status).toContain('deploy    g/triage in development: nothing → v1 (disabled)');

      const push = await ok(['push', dir, '--prefix', 'g/', '-m', 'release 3 as a canary']);
      expect(push).toContain('created g/triage v3');
      const staging = (await api<Deployment>('GET', `/prompts/${enc('g/triage')}/deployments/staging`)).json;
      expect(staging).toMatchObject({
        variants: [
          { version: 3, weight: 500 },
          { version: 2, weight: 9500 },
        ],
        enabled: true,
      });
      expect(
        (await api<Deployment>('GET', `/prompts/${enc('g/triage')}/deployments/production`)).json,
      ).toMatchObject({
        version: 2,
      });
      expect(
        (await api<Deployment>('GET', `/prompts/${enc('g/triage')}/deployments/development`)).json,
      ).toMatchObject({
        version: 1,
        enabled: false,
      });
      const history = (
        await api<{ items: HistoryEntry[] }>('GET', `/prompts/${enc('g/triage')}/deployments/staging/history`)
      ).json.items;
      expect(history[0]).toMatchObject({ reason: 'release 3 as a canary' });

      // Applied once: the next push deploys nothing.
      expect(await ok(['push', dir, '--prefix', 'g/'])).toBe('Up to date: 1 prompt, nothing to push.\n');

      // A deploy file asking for what does not exist refuses the whole push.
      await edit('g/triage', 'Three', 'Four');
      await writeFile(
        join(dir, 'promptline.deploy.yaml'),
        'environments:\n  production:\n    g/triage: 9\n  qa:\n    g/triage: 1\n',
      );
      const refused = await run(['push', dir, '--prefix', 'g/']);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain(
        'production → g/triage: version 9 does not exist (the newest will be v4)',
      );
      expect(refused.stdout).toContain(
        'qa → g/triage: there is no environment "qa" (create it with `promptline envs create qa`)',
      );
      expect(await versionsOf('g/triage')).toHaveLength(3);
    });

    it('chat prompts round trip: role markers, placeholders, and the messages list when a content holds a marker', async () => {
      const messages = [
        { role: 'system', content: 'You are a support agent for {{company}}.\n\nBe brief.' },
        { type: 'placeholder', name: 'history' },
        { role: 'user', content: '{{question}}' },
      ];
      await createPrompt('h/chat', {
        type: 'chat',
        messages,
        config: { provider: 'mock', model: 'mock-1', responseFormat: { type: 'json_object' } },
      });
      // A marker line inside a Mustache comment is valid content: the body could not hold it.
      await createPrompt('h/tricky', {
        type: 'chat',
        messages: [{ role: 'user', content: '{{! note:\n{{role "system"}}\nWrite.' }],
      });
      await ok(['pull', dir, '--prefix', 'h/']);
      const chat = await read('h/chat');
      expect(chat).toContain('output:\n  format: json\n');
      expect(chat.split('---\n')[2]).toBe(
        '{{role "system"}}\nYou are a support agent for {{company}}.\n\nBe brief.\n{{placeholder "history"}}\n{{role "user"}}\n{{question}}\n',
      );
      expect(await read('h/tricky')).toContain('messages:');
      expect(await ok(['push', dir, '--prefix', 'h/'])).toBe('Up to date: 2 prompts, nothing to push.\n');

      await edit(
        'h/chat',
        '{{role "user"}}\n{{question}}\n',
        '{{role "user"}}\n{{question}}\n{{role "assistant"}}\nSure.\n',
      );
      await ok(['push', dir, '--prefix', 'h/']);
      const [head] = await versionsOf('h/chat');
      expect(head).toMatchObject({
        number: 2,
        type: 'chat',
        messages: [...messages, { role: 'assistant', content: 'Sure.' }],
      });
    });

    it('diff <dir> shows the registry against the files, coloured only on a terminal', async () => {
      await createPrompt('i/one', { type: 'text', template: 'Hello there' }, { tags: ['x'] });
      await ok(['pull', dir, '--prefix', 'i/']);
      await edit('i/one', 'Hello there', 'Hello world');
      await edit('i/one', '  - x\n', '  - x\n  - y\n');
      const plain = await ok(['diff', dir, '--prefix', 'i/']);
      expect(plain).toContain('i/one: v1 → i/one.prompt (registry → file)');
      expect(plain).toContain('Hello [-there-]{+world+}');
      expect(plain).toContain('~ tags: [-x-] {+x, y+}');
      expect(plain).not.toContain(ESC);
      expect((await run(['diff', dir, '--prefix', 'i/'], { FORCE_COLOR: '1' })).stdout).toContain(ESC);
      expect((await run(['diff', dir, '--prefix', 'i/'], { NO_COLOR: '1' })).stdout).not.toContain(ESC);
      expect(
        (await run(['diff', dir, '--prefix', 'i/', '--no-color'], { FORCE_COLOR: '1' })).stdout,
      ).not.toContain(ESC);
    });

    it('refuses an unreadable folder with exit 2, naming every bad file', async () => {
      await writeFile(join(dir, 'Bad Name.prompt'), 'hi\n');
      await writeFile(join(dir, 'typo.prompt'), '---\nmodle: x\n---\nhi\n');
      const result = await run(['push', dir]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('Bad Name.prompt: "Bad Name" is not a prompt name');
      expect(result.stderr).toContain('typo.prompt: the front matter is invalid: unknown key modle');
      expect((await run(['status', join(dir, 'nowhere')])).stderr).toContain('is not a directory');
    });
  });
}
