import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type ScriptedServer, startOpenAiServer } from '@promptline/core/test-helpers/openai-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../../..');
const bin = join(root, 'packages/cli/bin/promptline.js');
const examples = join(root, 'examples/evals');

const CAPITALS: Record<string, string> = {
  France: 'Paris',
  Germany: 'Berlin',
  Spain: 'Madrid',
  Japan: 'Tokyo',
};

let server: ScriptedServer;
let out: string;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'promptline-eval-cli-'));
  server = await startOpenAiServer({
    answer: (req) => {
      const text = req.messages.map((m) => m.content).join(' ');
      if (text.includes('Italy')) return 'Sure: {"capital": "Rome"}';
      const country = Object.keys(CAPITALS).find((c) => text.includes(c)) ?? 'Nowhere';
      // The chat prompt's Germany answer breaks the default `not-icontains: as an ai` assertion.
      if (country === 'Germany' && req.messages[0]?.role === 'system')
        return 'As an AI, I believe it is Berlin.';
      return `The capital of ${country} is ${CAPITALS[country] ?? 'unknown'}.`;
    },
  });
});

afterAll(async () => {
  await server.close();
  await rm(out, { recursive: true, force: true });
});

function run(
  args: string[],
  cwd: string,
  extraEnv: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [bin, 'eval', ...args],
      {
        cwd,
        env: {
          ...process.env,
          OPENAI_BASE_URL: server.url,
          OPENAI_API_KEY: 'sk-test',
          PROMPTLINE_CACHE_DIR: join(out, 'cache'),
          PROMPTLINE_URL: '',
          ...extraEnv,
        },
      },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('promptline eval (black box)', () => {
  it('passes the judged example on the built-in mock: judges ask for JSON-schema output, the mock answers it', async () => {
    const res = await run(['--no-cache', '-o', join(out, 'judged.json')], join(examples, 'judged'));
    expect(res.stderr).not.toMatch(/error/i);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/2 passed, 0 failed of 2/);
    const report = JSON.parse(await readFile(join(out, 'judged.json'), 'utf8'));
    const judged = JSON.stringify(report);
    for (const type of ['llm-rubric', 'factuality', 'answer-relevance']) expect(judged).toContain(type);
    expect(judged).not.toContain('did not answer the expected JSON');
  });

  it('exits 0 on a passing suite and writes every output format', async () => {
    const files = ['r.json', 'r.jsonl', 'r.csv', 'r.html', 'r.xml', 'r.md'].map((f) => join(out, f));
    const res = await run(
      files.flatMap((f) => ['-o', f]),
      join(examples, 'echo'),
    );
    expect(res.stderr).not.toMatch(/error/i);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/2 passed, 0 failed of 2/);
    const json = JSON.parse(await readFile(join(out, 'r.json'), 'utf8')) as {
      results: unknown[];
      summary: { passed: number };
    };
    expect(json.results).toHaveLength(2);
    expect(json.summary.passed).toBe(2);
    expect((await readFile(join(out, 'r.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(2);
    expect((await readFile(join(out, 'r.csv'), 'utf8')).split('\n')[0]).toMatch(/^key,prompt,provider/);
    expect(await readFile(join(out, 'r.xml'), 'utf8')).toMatch(/<testsuites tests="2" failures="0"/);
    expect(await readFile(join(out, 'r.html'), 'utf8')).toMatch(/thresholds met/);
    expect(await readFile(join(out, 'r.md'), 'utf8')).toMatch(/\| greeting \| echo \| 100.0% \(2\/2\)/);
  });

  it('exits 1 when thresholds are not met, 100 with --promptfoo-exit-codes', async () => {
    const dir = join(examples, 'failing');
    const plain = await run(['--json'], dir);
    expect(plain.code).toBe(1);
    const outcome = JSON.parse(plain.stdout) as {
      summary: { passed: number; failed: number };
      thresholds: { met: boolean };
    };
    expect(outcome.summary).toMatchObject({ passed: 1, failed: 1 });
    expect(outcome.thresholds.met).toBe(false);
    expect((await run(['--promptfoo-exit-codes'], dir)).code).toBe(100);
  });

  it('reports a failed upload without changing the verdict', async () => {
    const res = await run([], join(examples, 'echo'), { PROMPTLINE_URL: 'http://127.0.0.1:9' });
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/Upload to http:\/\/127.0.0.1:9 failed/);
    const skipped = await run(['--no-upload'], join(examples, 'echo'), {
      PROMPTLINE_URL: 'http://127.0.0.1:9',
    });
    expect(skipped.stderr).not.toMatch(/Upload/);
  });

  it('runs Python prompt functions, providers and assertions with the machine python3', async () => {
    const file = join(out, 'python.jsonl');
    const res = await run(['--no-cache', '-o', file], join(examples, 'python'));
    expect(res.stderr).not.toMatch(/error/i);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/8 passed, 0 failed of 8/);
    const results = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { providerId: string; output: string; assertions: { type: string }[] },
      );
    expect(results.map((r) => r.providerId).sort()).toEqual([
      'classifier',
      'classifier',
      'classifier',
      'classifier',
      'file://provider.py',
      'file://provider.py',
      'file://provider.py',
      'file://provider.py',
    ]);
    expect(results.some((r) => r.output === "Routing Ann's ticket to billing.")).toBe(true);
    expect(results.some((r) => r.output === 'shipping (for Bo)')).toBe(true);
    expect(results.flatMap((r) => r.assertions.map((a) => a.type))).toContain('not-python');
  });

  it('fails a case, not the run, when Python code raises', async () => {
    const dir = join(out, 'python-raises');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'checks.py'),
      'def get_assert(output, context):\n    raise ValueError("no good")\n',
    );
    await writeFile(
      join(dir, 'promptfooconfig.yaml'),
      'prompts: ["Hi {{name}}"]\nproviders: [echo]\ntests:\n  - vars: { name: Ada }\n    assert: [{ type: python, value: file://checks.py }]\n  - vars: { name: Bo }\n    assert: [{ type: python, value: "output.endswith(\'Bo\')" }]\n',
    );
    const res = await run(['--no-cache', '-o', join(dir, 'r.json')], dir);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/1 passed, 1 failed of 2/);
    expect(await readFile(join(dir, 'r.json'), 'utf8')).toMatch(/ValueError: no good \(checks\.py:2\)/);
  });

  it('exits 2 with a clear message for unsupported config', async () => {
    const res = await run([], join(examples, 'unsupported'));
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/"ruby" is not supported/);
    const missing = await run(['-c', 'nope.yaml'], out);
    expect(missing.code).toBe(2);
    const none = await run([], out);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/No eval config found/);
  });

  // A small suite runs in the command's own thread; PROMPTLINE_EVAL_WORKER=1 sends it to the
  // heap-limited worker thread bigger suites (over 1 000 calls) use: both give the same verdicts.
  it.each([
    ['in the command thread', {}],
    ['in the worker thread', { PROMPTLINE_EVAL_WORKER: '1' }],
  ])('runs a promptfoo config unchanged with the verdicts promptfoo documents (%s)', async (_, env) => {
    const dir = join(examples, 'promptfoo-compat');
    const file = join(out, `compat-${Object.keys(env).length}.jsonl`);
    const res = await run(['-o', file, '--no-cache'], dir, env);
    expect(res.code).toBe(1);
    const results = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            description: string | null;
            promptLabel: string;
            pass: boolean;
            score: number;
            reason: string;
            prompt: string;
          },
      );
    // 5 cases (3 from CSV, 2 inline) × 2 prompts.
    expect(results).toHaveLength(10);
    const verdict = (description: string, prompt: string) =>
      results.find((r) => r.description === description && r.promptLabel === prompt);
    for (const prompt of ['capital.txt', 'capital-chat.json']) {
      expect(verdict('France', prompt)?.pass).toBe(true);
      expect(verdict('Spain', prompt)?.pass).toBe(true);
      expect(verdict('JSON answer', prompt)?.pass).toBe(true);
      // contains (3) passes, equals (1) fails, default not-icontains (1) passes: 0.8 ≥ 0.6.
      expect(verdict('weighted score with threshold', prompt)).toMatchObject({ pass: true, score: 0.8 });
    }
    expect(verdict('Germany', 'capital.txt')?.pass).toBe(true);
    expect(verdict('Germany', 'capital-chat.json')?.pass).toBe(false);
    // vars from file:// and {{ var }} with spaces are substituted.
    expect(verdict('France', 'capital.txt')?.prompt).toBe(
      'Answer in one short sentence. What is the capital of France?',
    );
  });
});
