import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type ScriptedRequest,
  type ScriptedServer,
  startOpenAiServer,
} from '@promptline/core/test-helpers/openai-server';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../../..');
const bin = join(root, 'packages/cli/bin/promptline.js');

const CAPITALS: Record<string, string> = { France: 'Paris', Japan: 'Tokyo', Italy: 'Rome' };

let server: TestServer;
let model: ScriptedServer;
let dir: string;
const judgeRequests: ScriptedRequest[] = [];

async function api(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${server.apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

const enc = encodeURIComponent;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promptline-eval-registry-'));
  [server, model] = await Promise.all([
    startTestServer({ dialect: 'sqlite' }),
    startOpenAiServer({
      answer: (req) => {
        if (req.model === 'judge') {
          judgeRequests.push(req);
          return '{"pass": true, "score": 1, "reason": "fine", "category": "A"}';
        }
        const text = req.messages.map((m) => m.content).join(' ');
        const country = Object.keys(CAPITALS).find((c) => text.includes(c)) ?? 'Nowhere';
        const capital = CAPITALS[country] ?? 'unknown';
        // Version 2 asks for brevity through its partial; the model then adds a full stop.
        return text.includes('Answer briefly.') ? `${capital}.` : capital;
      },
    }),
  ]);
  // qa/capital: v1 (deployed to production), v2 (latest, includes the qa/preamble partial).
  await api('POST', '/api/v1/prompts', {
    name: 'qa/preamble',
    version: { type: 'text', template: 'Answer briefly.' },
  });
  await api('POST', '/api/v1/prompts', {
    name: 'qa/capital',
    version: { type: 'text', template: 'What is the capital of {{country}}?' },
  });
  await api('POST', `/api/v1/prompts/${enc('qa/capital')}/versions`, {
    type: 'text',
    template: '{{> qa/preamble}} What is the capital of {{country}}?',
  });
  await api('PUT', `/api/v1/prompts/${enc('qa/capital')}/deployments/production`, { version: 1 });
  // capitals: revision 1 has France; revision 2 adds Japan (an assertion object as `expected`).
  await api('POST', '/api/v1/datasets', {
    name: 'capitals',
    items: [{ variables: { country: 'France' }, expected: 'Paris', metadata: { region: 'eu' } }],
  });
  await api('POST', '/api/v1/datasets/capitals/items', {
    variables: { country: 'Japan' },
    expected: { type: 'icontains', value: 'tokyo' },
  });
  // The team's llm-rubric judge: production serves v1, v2 is newer but not deployed.
  await api('POST', '/api/v1/prompts', {
    name: 'promptline/judges/llm-rubric',
    version: {
      type: 'chat',
      messages: [
        { role: 'system', content: 'TEAM JUDGE v1. Answer JSON {"pass", "score", "reason"}.' },
        { role: 'user', content: 'Output: {{output}}\nRubric: {{rubric}}' },
      ],
    },
  });
  await api('POST', `/api/v1/prompts/${enc('promptline/judges/llm-rubric')}/versions`, {
    type: 'text',
    template: 'TEAM JUDGE v2 {{output}} {{rubric}}',
  });
  await api('PUT', `/api/v1/prompts/${enc('promptline/judges/llm-rubric')}/deployments/production`, {
    version: 1,
  });
  await api('POST', '/api/v1/prompts', {
    name: 'team/strict-judge',
    version: { type: 'text', template: 'STRICT JUDGE for {{country}}: {{output}} vs {{rubric}}' },
  });
}, 30_000);

afterAll(async () => {
  await Promise.all([server?.close(), model?.close()]);
  await rm(dir, { recursive: true, force: true });
});

function run(
  args: string[],
  config: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
    writeFile(file, config).then(() => {
      execFile(
        process.execPath,
        [bin, 'eval', '-c', file, '--no-cache', ...args],
        {
          cwd: dir,
          env: {
            ...process.env,
            PROMPTLINE_URL: server.url,
            PROMPTLINE_API_KEY: server.apiKey,
            PROMPTLINE_CACHE_DIR: join(dir, 'cache'),
            ...env,
          },
        },
        (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    }, fail);
  });
}

const provider = () => `
providers:
  - id: openai:chat:capitals
    config: { apiBaseUrl: "${model.url}", apiKey: sk-test }
`;

interface Line {
  promptId: string;
  promptLabel: string;
  prompt: string;
  pass: boolean;
  description: string;
  vars: Record<string, unknown>;
  registry?: { name: string; version: number };
  item?: { dataset: string; revision: number; itemId: number };
  metadata?: Record<string, unknown>;
}

async function readJsonl(file: string): Promise<Line[]> {
  return (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
}

describe('promptline eval against the server', () => {
  it('evaluates registry prompts by version, env and latest on a dataset, and links the upload to them', async () => {
    const jsonl = join(dir, 'registry.jsonl');
    const json = join(dir, 'registry.json');
    const res = await run(
      ['-o', jsonl, '-o', json],
      `
prompts:
  - { registry: qa/capital, version: 1 }
  - { registry: qa/capital, env: production }
  - { registry: qa/capital }
${provider()}
tests: { dataset: capitals }
`,
    );
    expect(res.stderr).toMatch(/Uploaded to .* as eval run (\d+)/);
    // v2's full stop breaks France's `equals: Paris`: the suite fails.
    expect(res.code).toBe(1);
    const results = await readJsonl(jsonl);
    // v1 named twice (version and production) is one prompt: 2 versions × 2 items.
    expect(results).toHaveLength(4);
    const of = (label: string, country: string) =>
      results.find((r) => r.promptLabel === label && r.vars.country === country);
    expect(of('qa/capital@v1', 'France')).toMatchObject({
      pass: true,
      prompt: 'What is the capital of France?',
      registry: { name: 'qa/capital', version: 1 },
      item: { dataset: 'capitals', revision: 2 },
      metadata: { region: 'eu' },
    });
    // The partial is resolved from the registry, Mustache-style.
    expect(of('qa/capital@v2', 'France')).toMatchObject({
      pass: false,
      prompt: 'Answer briefly. What is the capital of France?',
    });
    // An object `expected` is an assertion spec: icontains passes despite the full stop.
    expect(of('qa/capital@v2', 'Japan')?.pass).toBe(true);
    expect(of('qa/capital@v1', 'Japan')?.metadata).toBeUndefined();
    const doc = JSON.parse(await readFile(json, 'utf8')) as { sources: unknown };
    expect(doc.sources).toEqual({
      prompts: [
        { name: 'qa/capital', version: 1 },
        { name: 'qa/capital', version: 2 },
      ],
      datasets: [{ name: 'capitals', revision: 2 }],
    });

    const id = Number(/as eval run (\d+)/.exec(res.stderr)?.[1]);
    const stored = (await api('GET', `/api/v1/eval-runs/${id}`)) as {
      prompt: string;
      summary: { version: number | null; passed: number; total: number }[];
    };
    expect(stored.prompt).toBe('qa/capital');
    expect(
      stored.summary.map((g) => [g.version, g.passed, g.total]).sort((a, b) => Number(a[0]) - Number(b[0])),
    ).toEqual([
      [1, 2, 2],
      [2, 1, 2],
    ]);
  });

  it('reads a dataset at a given revision from the top-level `dataset` key', async () => {
    const jsonl = join(dir, 'revision.jsonl');
    const res = await run(
      ['-o', jsonl, '--no-upload'],
      `
prompts: ["Capital of {{country}}?"]
${provider()}
dataset: { name: capitals, revision: 1 }
`,
    );
    expect(res.code).toBe(0);
    const results = await readJsonl(jsonl);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ vars: { country: 'France' }, item: { revision: 1 } });
  });

  it('grades with the judge prompt the registry serves in production, and a named registry rubricPrompt', async () => {
    judgeRequests.length = 0;
    const config = `
prompts: ["Capital of {{country}}?"]
${provider()}
grader:
  id: openai:chat:judge
  config: { apiBaseUrl: "${model.url}", apiKey: sk-test }
tests:
  - vars: { country: Italy }
    assert:
      - { type: llm-rubric, value: names the capital }
      - { type: llm-rubric, value: is one word, rubricPrompt: "registry:team/strict-judge" }
      - { type: factuality, value: Rome }
`;
    const res = await run(['--no-upload'], config);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const seen = judgeRequests.map((r) => r.messages.map((m) => m.content).join('\n'));
    expect(seen).toHaveLength(3);
    // production's v1 (a chat prompt), not the newer v2, rendered with the assertion's variables.
    expect(seen).toContainEqual(
      'TEAM JUDGE v1. Answer JSON {"pass", "score", "reason"}.\nOutput: Rome\nRubric: names the capital',
    );
    expect(seen.some((s) => s.includes('TEAM JUDGE v2'))).toBe(false);
    expect(seen).toContainEqual('STRICT JUDGE for Italy: Rome vs is one word');
    // No registry override for factuality: the built-in prompt.
    expect(seen.some((s) => s.includes('You compare a submitted answer with an expert answer'))).toBe(true);

    // Without a server the registry rubricPrompt cannot be read: exit 2 naming it.
    const offline = await run(['--no-upload'], config, { PROMPTLINE_URL: '' });
    expect(offline.code).toBe(2);
    expect(offline.stderr).toMatch(/registry:team\/strict-judge.*PROMPTLINE_URL is not set/);
  });

  it('exits 2 naming the reference when PROMPTLINE_URL is unset or the prompt or dataset is missing', async () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      [
        'prompts: [{ registry: qa/capital }]',
        { PROMPTLINE_URL: '' },
        /prompts\[0\]: registry prompt "qa\/capital" is read from a Promptline server, but PROMPTLINE_URL is not set/,
      ],
      ['prompts: [{ registry: qa/nope }]', {}, /registry prompt "qa\/nope" \(latest\) was not found/],
      ['prompts: [{ registry: qa/capital, version: 9 }]', {}, /"qa\/capital" version 9 was not found/],
      ['prompts: [{ registry: qa/capital, env: staging }]', {}, /"qa\/capital" is not deployed to staging/],
      ['prompts: ["x {{country}}"]\ntests: { dataset: nope }', {}, /tests: dataset "nope" was not found/],
      [
        'prompts: ["x {{country}}"]\ndataset: capitals\nprompts_typo: 1',
        {},
        /unsupported key\(s\) "prompts_typo"/,
      ],
    ];
    const results = await Promise.all(
      cases.map(([head, env]) => run(['--no-upload'], `${head}\n${provider()}`, env)),
    );
    for (const [i, res] of results.entries()) {
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(cases[i]?.[2] ?? /never/);
    }
  });
});
