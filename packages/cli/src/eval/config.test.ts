import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertionFromCsv, loadEvalConfig } from './config.ts';
import { parseCsv } from './csv.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promptline-eval-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(yaml: string, files: Record<string, string> = {}, env: Record<string, string> = {}) {
  const sub = await mkdtemp(join(dir, 'c-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(sub, name, '..'), { recursive: true });
    await writeFile(join(sub, name), text);
  }
  await writeFile(join(sub, 'promptfooconfig.yaml'), yaml);
  return loadEvalConfig(join(sub, 'promptfooconfig.yaml'), env);
}

describe('CSV tests', () => {
  it('parses quoted fields, doubled quotes and CRLF', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
    ]);
  });

  it('reads __expected cells the way promptfoo does', () => {
    expect(assertionFromCsv('contains: Paris')).toEqual({ type: 'contains', value: 'Paris' });
    expect(assertionFromCsv('not-icontains: sorry')).toEqual({ type: 'not-icontains', value: 'sorry' });
    expect(assertionFromCsv('similar(0.8): hello')).toEqual({
      type: 'similar',
      value: 'hello',
      threshold: 0.8,
    });
    expect(assertionFromCsv('grade: is polite')).toEqual({ type: 'llm-rubric', value: 'is polite' });
    expect(assertionFromCsv('fn: output.length > 1')).toEqual({
      type: 'javascript',
      value: 'output.length > 1',
    });
    expect(assertionFromCsv('is-json')).toEqual({ type: 'is-json' });
    expect(assertionFromCsv('Just text: with a colon')).toEqual({
      type: 'equals',
      value: 'Just text: with a colon',
    });
  });
});

describe('loadEvalConfig', () => {
  it('reads Python prompt functions, providers and assertions with paths from the config folder', async () => {
    const { suite } = await load(
      `prompts: ["file://prompts.py:make", { id: "file://prompts.py", label: script }]
providers: ["file://provider.py", { id: "python:lib/provider.py:other", label: other, config: { a: 1 } }]
tests:
  - assert:
      - { type: python, value: "output == 'x'" }
      - { type: not-python, value: "file://checks.py:check" }
      - { type: python, value: "{{ not a var }}" }
`,
      { 'prompts.py': '', 'provider.py': '', 'lib/provider.py': '', 'checks.py': '' },
    );
    const base =
      suite.prompts[0]?.content.type === 'python'
        ? suite.prompts[0].content.path.slice(0, -'/prompts.py'.length)
        : '';
    expect(suite.prompts.map((p) => [p.id, p.content])).toEqual([
      ['prompts.py:make', { type: 'python', path: join(base, 'prompts.py'), functionName: 'make' }],
      ['script', { type: 'python', path: join(base, 'prompts.py') }],
    ]);
    expect(suite.providers.map((p) => [p.id, p.target])).toEqual([
      ['file://provider.py', { kind: 'python', path: join(base, 'provider.py'), config: {} }],
      [
        'other',
        { kind: 'python', path: join(base, 'lib/provider.py'), functionName: 'other', config: { a: 1 } },
      ],
    ]);
    expect(suite.cases[0]?.assert.map((a) => a.value)).toEqual([
      "output == 'x'",
      `file://${join(base, 'checks.py')}:check`,
      '{{ not a var }}',
    ]);
  });

  it('merges defaultTest, reads file:// vars and expands list vars into cases', async () => {
    const { suite } = await load(
      `prompts: ["{{greeting}} {{name}}"]
providers: [echo]
defaultTest:
  vars: { greeting: file://hello.txt }
  assert: [{ type: contains, value: Hello }]
  threshold: 0.5
tests:
  - vars: { name: [Ada, Bob] }
    assert: [{ type: icontains, value: "{{name}}" }]
`,
      { 'hello.txt': 'Hello' },
    );
    expect(suite.cases.map((c) => c.vars)).toEqual([
      { greeting: 'Hello', name: 'Ada' },
      { greeting: 'Hello', name: 'Bob' },
    ]);
    expect(suite.cases[0]?.assert.map((a) => a.type)).toEqual(['contains', 'icontains']);
    expect(suite.cases[0]?.threshold).toBe(0.5);
  });

  it('reads providers with env credentials and promptfoo parameter names', async () => {
    const { suite } = await load(
      `prompts: ["x"]
providers:
  - id: openai:chat:gpt-4.1-mini
    label: mini
    config: { temperature: 0, max_tokens: 20 }
  - anthropic:messages:claude-3-5-haiku-latest
`,
      {},
      { OPENAI_API_KEY: 'sk-a', OPENAI_API_BASE_URL: 'http://127.0.0.1:1/v1', ANTHROPIC_API_KEY: 'sk-b' },
    );
    const [mini, haiku] = suite.providers;
    expect(mini).toMatchObject({
      id: 'mini',
      parameters: { temperature: 0, maxTokens: 20 },
      target: {
        kind: 'provider',
        model: 'gpt-4.1-mini',
        settings: { kind: 'openai', apiKey: 'sk-a', baseUrl: 'http://127.0.0.1:1/v1' },
      },
    });
    expect(haiku?.target).toMatchObject({
      kind: 'provider',
      model: 'claude-3-5-haiku-latest',
      settings: { kind: 'anthropic', apiKey: 'sk-b' },
    });
  });

  it.each([
    [
      'an unknown top-level key',
      'prompts: [x]\nproviders: [echo]\nsharding: 2\n',
      /unsupported key\(s\) "sharding"/,
    ],
    ['scenarios', 'prompts: [x]\nproviders: [echo]\nscenarios: []\n', /scenarios are not supported/],
    [
      'an unknown provider',
      'prompts: [x]\nproviders: ["bedrock:claude"]\n',
      /provider "bedrock:claude" is not supported/,
    ],
    [
      'an unknown provider config key',
      'prompts: [x]\nproviders: [{ id: "openai:gpt-4o", config: { foo: 1 } }]\n',
      /config key "foo"/,
    ],
    ['a nunjucks filter', 'prompts: ["{{ name | upper }}"]\nproviders: [echo]\n', /filter "upper"/],
    [
      'a ruby assertion',
      'prompts: [x]\nproviders: [echo]\ntests: [{ assert: [{ type: ruby, value: "true" }] }]\n',
      /"ruby" is not supported/,
    ],
    [
      'a Python prompt function file that does not exist',
      'prompts: ["file://missing.py:make"]\nproviders: [echo]\n',
      /missing\.py does not exist/,
    ],
    [
      'a custom provider that is not Python',
      'prompts: [x]\nproviders: ["file://provider.js"]\n',
      /are Python files/,
    ],
    [
      'an assertion transform',
      'prompts: [x]\nproviders: [echo]\ntests: [{ assert: [{ type: contains, value: a, transform: "output" }] }]\n',
      /"transform"/,
    ],
  ])('refuses %s by name', async (_what, yaml, message) => {
    await expect(load(yaml)).rejects.toThrow(message);
  });
});
