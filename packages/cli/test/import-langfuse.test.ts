/**
 * `promptline import-langfuse`, black-box: the built bin against real servers (SQLite). The
 * `--from` source is a second Promptline server answering Langfuse's public prompt API, which is
 * the API the command reads from a Langfuse instance.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

let target: TestServer;
let source: TestServer;
let dir: string;

beforeAll(async () => {
  [target, source] = await Promise.all([
    startTestServer({ dialect: 'sqlite' }),
    startTestServer({ dialect: 'sqlite' }),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'import-langfuse-'));
});

afterAll(async () => {
  await Promise.all([target?.close(), source?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const api = async (server: TestServer, path: string, init: { method?: string; body?: unknown } = {}) => {
  const response = await fetch(`${server.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, body: await response.json() };
};

/** Versions as Langfuse's GET /api/public/v2/prompts/{name}?version=n answers them. */
const EXPORT = [
  {
    name: 'Support Triage',
    version: 1,
    type: 'text',
    prompt: 'Classify: {{ticket}}',
    config: {},
    labels: [],
    tags: ['support'],
  },
  {
    name: 'Support Triage',
    version: 2,
    type: 'text',
    prompt: 'Classify {{ticket}} for {{customer}}',
    config: { model: 'gpt-4o', temperature: 0 },
    labels: ['production'],
    tags: ['support'],
    commitMessage: 'add the customer',
  },
  {
    name: 'Support Triage',
    version: 3,
    type: 'text',
    prompt: 'Classify {{ticket}} for {{customer}} ({{plan}})',
    config: { model: 'gpt-4o' },
    labels: ['staging', 'latest'],
    tags: ['support', 'beta'],
    id: 'cm1…',
    createdAt: '2025-01-01T00:00:00.000Z',
  },
  {
    name: 'chat/helper',
    version: 4,
    type: 'chat',
    prompt: [
      { type: 'chatmessage', role: 'system', content: 'Help {{team}}.' },
      { type: 'placeholder', name: 'history' },
    ],
    labels: ['production', 'latest'],
    tags: [],
  },
];

async function exportFile(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(content));
  return path;
}

const run = (args: string[], server: TestServer = target) =>
  runCli(['import-langfuse', ...args], { server, env: { NO_COLOR: '1' } });

it('checks everything first: names it cannot hold, labels that are no environment; imports nothing', async () => {
  const file = await exportFile('bad.json', [
    ...EXPORT,
    { name: 'other', version: 1, prompt: 'x', labels: ['canary'] },
  ]);
  const result = await run([file]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('add --rename "Support Triage=support-triage"');
  expect(result.stderr).toContain(
    'label "canary" is not an environment of the project; create it with `promptline envs create canary`',
  );
  expect(result.stderr).toContain('Nothing was imported.');
  expect((await api(target, '/api/v1/prompts')).body.items).toEqual([]);

  const notExport = await run([await exportFile('not.json', { prompts: [{ name: 'x' }] })]);
  expect(notExport.code).toBe(2);
  expect(notExport.stderr).toMatch(/is not a Langfuse export/);
  expect((await runCli(['import-langfuse'], { server: target })).code).toBe(2);
});

it('--dry-run prints the plan and writes nothing; then the import copies versions and labels', async () => {
  const file = await exportFile('export.json', { data: EXPORT });
  const rename = ['--rename', 'Support Triage=support/triage'];
  const dry = await run([file, ...rename, '--dry-run']);
  expect(dry.code, dry.stderr).toBe(0);
  expect(dry.stdout).toContain('Dry run: 2 prompt(s), 4 version(s) would be imported; nothing was written.');
  expect((await api(target, '/api/v1/prompts')).body.items).toEqual([]);

  const done = await run([file, ...rename, '--json']);
  expect(done.code, done.stderr).toBe(0);
  expect(JSON.parse(done.stdout).prompts).toEqual([
    { name: 'chat/helper', source: 'chat/helper', from: 4, to: 1, labels: ['production'] },
    { name: 'support/triage', source: 'Support Triage', from: 1, to: 1, labels: [] },
    { name: 'support/triage', source: 'Support Triage', from: 2, to: 2, labels: ['production'] },
    { name: 'support/triage', source: 'Support Triage', from: 3, to: 3, labels: ['staging'] },
  ]);

  const versions = (await api(target, '/api/v1/prompts/support%2Ftriage/versions')).body.items;
  expect(versions.map((v: { number: number; template: string }) => [v.number, v.template])).toEqual([
    [3, 'Classify {{ticket}} for {{customer}} ({{plan}})'],
    [2, 'Classify {{ticket}} for {{customer}}'],
    [1, 'Classify: {{ticket}}'],
  ]);
  expect(versions[1]).toMatchObject({
    message: 'add the customer',
    config: { model: 'gpt-4o', temperature: 0 },
  });
  const prompt = (await api(target, '/api/v1/prompts/support%2Ftriage')).body;
  expect(prompt.tags).toEqual(['support', 'beta']);
  expect(prompt.deployments.production.variants).toEqual([{ version: 2, weight: 10_000 }]);
  expect(prompt.deployments.staging.variants).toEqual([{ version: 3, weight: 10_000 }]);
  const chat = (await api(target, '/api/v1/prompts/chat%2Fhelper/versions/1')).body;
  expect(chat.messages).toEqual([
    { role: 'system', content: 'Help {{team}}.' },
    { type: 'placeholder', name: 'history' },
  ]);

  // Again: every prompt exists now, so nothing is written and the command says how to proceed.
  const again = await run([file, ...rename]);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('prompt "support/triage" already exists in Promptline');
});

it('--from reads every version from a server speaking Langfuse’s prompt API, and --save keeps a copy', async () => {
  for (const body of [
    { name: 'remote/one', prompt: 'first {{x}}', labels: ['production'] },
    { name: 'remote/one', prompt: 'second {{x}}', labels: ['development'] },
    { name: 'remote/two', type: 'chat', prompt: [{ role: 'user', content: 'hi' }] },
  ]) {
    expect((await api(source, '/api/public/v2/prompts', { body })).status).toBe(201);
  }
  const saved = join(dir, 'saved.json');
  const keys = ['--langfuse-public-key', 'pk-lf-x', '--langfuse-secret-key', source.apiKey];
  const result = await run(['--from', source.url, ...keys, '--save', saved]);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toContain('Imported 2 prompt(s), 3 version(s).');
  const served = (await api(target, '/api/v1/prompts/remote%2Fone')).body.deployments;
  expect(served.production.variants[0].version).toBe(1);
  expect(served.development.variants[0].version).toBe(2);
  expect(JSON.parse(await readFile(saved, 'utf8'))).toHaveLength(3);

  const wrongKey = await run(['--from', source.url, '--langfuse-secret-key', 'sk-lf-wrong']);
  expect(wrongKey.code).toBe(1);
  expect(wrongKey.stderr).toContain('LANGFUSE_SOURCE_FAILED');
  expect(wrongKey.stderr).toContain('answered 401');
});
