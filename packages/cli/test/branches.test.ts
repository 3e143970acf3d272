/** `promptline branches …`, `versions create --branch` and `promptline merge` against a real server. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

let server: TestServer;
let dir: string;

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return response.json() as Promise<Record<string, unknown>>;
}

beforeAll(async () => {
  server = await startTestServer({ dialect: 'sqlite' });
  dir = await mkdtemp(join(tmpdir(), 'promptline-branches-'));
  await call('POST', '/api/v1/prompts', {
    name: 'cli/br',
    version: {
      type: 'text',
      template: 'intro\nBe brief.\noutro\n',
      config: { provider: 'mock', model: 'mock-1' },
    },
  });
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

it('creates a branch, saves on it, writes conflicts with markers (exit 1) and saves the resolution', async () => {
  expect((await runCli(['branches', 'create', 'cli/br', 'exp/x'], { server })).stdout).toContain(
    'Created branch exp/x of cli/br at v1',
  );
  await writeFile(join(dir, 'x.txt'), 'intro\nBe terse.\noutro\n');
  const saved = await runCli(
    ['versions', 'create', 'cli/br', '--file', join(dir, 'x.txt'), '--branch', 'exp/x'],
    {
      server,
    },
  );
  expect(saved.code).toBe(0);
  expect(await call('GET', '/api/v1/prompts/cli%2Fbr/versions/2')).toMatchObject({
    branch: 'exp/x',
    config: { provider: 'mock', model: 'mock-1' },
  });
  await call('POST', '/api/v1/prompts/cli%2Fbr/versions', {
    type: 'text',
    template: 'intro\nBe very brief.\noutro\n',
    config: { provider: 'mock', model: 'mock-1' },
  });

  const listed = await runCli(['branches', 'list', 'cli/br'], { server });
  expect(listed.stdout).toMatch(/exp\/x\s+v1\s+v2/);

  const file = join(dir, 'br.merge.prompt');
  const conflict = await runCli(['merge', 'cli/br', 'exp/x', '-o', file], { server });
  expect(conflict.code).toBe(1);
  expect(conflict.stderr).toContain('MERGE_CONFLICT');
  expect(conflict.stderr).toContain(`promptline merge cli/br exp/x --resolved ${file} --parents 3,2`);
  const text = await readFile(file, 'utf8');
  expect(text).toContain('intro\n<<<<<<< main\nBe very brief.\n=======\nBe terse.\n>>>>>>> exp/x\noutro\n');
  expect((await call('GET', '/api/v1/prompts/cli%2Fbr')).latestVersion).toBe(3);

  const unresolved = await runCli(['merge', 'cli/br', 'exp/x', '--resolved', file, '--parents', '3,2'], {
    server,
  });
  expect(unresolved.code).toBe(2);
  expect(unresolved.stderr).toContain('still has conflict markers');

  await writeFile(file, text.replace(/<<<<<<< main\n[\s\S]*>>>>>>> exp\/x\n/, 'Be very terse.\n'));
  const resolved = await runCli(['merge', 'cli/br', 'exp/x', '--resolved', file, '--parents', '3,2'], {
    server,
  });
  expect(resolved.stderr).toBe('');
  expect(resolved.code).toBe(0);
  expect(await call('GET', '/api/v1/prompts/cli%2Fbr/versions/4')).toMatchObject({
    template: 'intro\nBe very terse.\noutro\n',
    parents: [3, 2],
    config: { provider: 'mock', model: 'mock-1' },
  });
});

it('merges a clean branch, refuses an unknown one with its code, and deletes a branch', async () => {
  await runCli(['branches', 'create', 'cli/br', 'exp/y'], { server });
  await writeFile(join(dir, 'y.txt'), 'intro\nBe very terse.\noutro\nThanks.\n');
  await runCli(['versions', 'create', 'cli/br', '--file', join(dir, 'y.txt'), '--branch', 'exp/y'], {
    server,
  });
  const merged = await runCli(['merge', 'cli/br', 'exp/y'], { server });
  expect(merged.code).toBe(0);
  expect(merged.stdout).toContain('Merged exp/y into main: cli/br v6');

  const unknown = await runCli(['merge', 'cli/br', 'exp/nope'], { server });
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain('BRANCH_NOT_FOUND');

  const deleted = await runCli(['branches', 'delete', 'cli/br', 'exp/y'], { server });
  expect(deleted.code).toBe(0);
  expect((await runCli(['branches', 'list', 'cli/br'], { server })).stdout).not.toContain('exp/y');
  expect((await runCli(['branches', 'list', 'cli/br', '--all'], { server })).stdout).toContain('exp/y');
});

it('pull writes the main line’s head; pull/push --branch work on the branch’s heads', async () => {
  await runCli(['branches', 'create', 'cli/br', 'exp/z'], { server });
  await writeFile(join(dir, 'z.txt'), 'on the branch\n');
  await runCli(['versions', 'create', 'cli/br', '--file', join(dir, 'z.txt'), '--branch', 'exp/z'], {
    server,
  });
  const mainDir = join(dir, 'main');
  expect((await runCli(['pull', mainDir], { server })).code).toBe(0);
  const mainFile = await readFile(join(mainDir, 'cli', 'br.prompt'), 'utf8');
  expect(mainFile).toContain('Be very terse.');
  expect(mainFile).toContain('version: 6');

  const branchDir = join(dir, 'branch');
  expect((await runCli(['pull', branchDir, '--branch', 'exp/z'], { server })).code).toBe(0);
  const branchPath = join(branchDir, 'cli', 'br.prompt');
  const branchFile = await readFile(branchPath, 'utf8');
  expect(branchFile).toContain('on the branch');
  expect(branchFile).toContain('version: 7');
  await writeFile(branchPath, branchFile.replace('on the branch', 'still on the branch'));
  const pushed = await runCli(['push', branchDir, '--branch', 'exp/z'], { server });
  expect(pushed.stderr).toBe('');
  expect(pushed.code).toBe(0);
  expect(await call('GET', '/api/v1/prompts/cli%2Fbr/versions/8')).toMatchObject({
    branch: 'exp/z',
    parents: [7],
    template: 'still on the branch\n',
  });
  expect((await call('GET', '/api/v1/prompts/cli%2Fbr')).latestVersion).toBe(6);
});
