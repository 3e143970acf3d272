/**
 * Python in evals, with the machine's real python3: the sandbox (python-runner.ts) on its own —
 * promptfoo's contracts, timeouts, crashes, memory, output kept off stdout — and inside runEval with
 * a Python prompt function, Python providers and python assertions.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalSuite } from '../eval/suite.ts';
import type { EvalResult } from '../eval/types.ts';
import { resolveProviderSpec } from './provider-spec.ts';
import { createPythonRunner, type PythonRunner } from './python-runner.ts';
import { runEval } from './runner.ts';

let dir: string;
let runner: PythonRunner;

const CHECKS = `
import asyncio

def get_assert(output, context):
    print("noise on stdout must not break the protocol")
    return {"pass_": output.startswith("Hi"), "score": 0.5, "reason": "checked %s" % context["vars"]["name"]}

def length(output, context):
    return len(output) / 10

async def slow_ok(output, context):
    await asyncio.sleep(0.01)
    return True

def broken(output, context):
    return {"a": 1}["b"]
`;

const PROVIDER = `
import json, sys

def call_api(prompt, options, context):
    print("debug output", file=sys.stdout)
    return {"output": "%s|%s|%s" % (prompt, options["config"].get("tag"), context["vars"]["name"]),
            "tokenUsage": {"prompt": 3, "completion": 2, "total": 5}, "cost": 0.25}

def structured(prompt, options, context):
    return {"output": {"answer": 42}}

def failing(prompt, options, context):
    return {"error": "upstream said no"}
`;

const PROMPTS = `
import json

def chat(context):
    return [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi " + context["vars"]["name"] + " via " + context["provider"]["label"]}]

def wrapped(context):
    return {"prompt": "Hello " + context["vars"]["name"]}

def bad(context):
    return 42
`;

const SCRIPT = `
import json, sys
context = json.loads(sys.argv[1])
print("Script prompt for " + context["vars"]["name"])
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promptline-python-'));
  await writeFile(join(dir, 'checks.py'), CHECKS);
  await writeFile(join(dir, 'provider.py'), PROVIDER);
  await writeFile(join(dir, 'prompts.py'), PROMPTS);
  await writeFile(join(dir, 'script.py'), SCRIPT);
  runner = createPythonRunner({ workers: 1, timeoutMs: 5_000 });
});
afterAll(async () => {
  await runner?.close();
  await rm(dir, { recursive: true, force: true });
});

const context = { vars: { name: 'Ada' }, prompt: 'p', test: { vars: { name: 'Ada' } } };

describe('python assertions (promptfoo contract)', () => {
  it('evaluates one-line expressions and multi-line function bodies with json, math and re at hand', async () => {
    expect(await runner.evaluate({ kind: 'inline', code: "output[:2] == 'Hi'" }, 'Hi there', context)).toBe(
      true,
    );
    expect(
      await runner.evaluate({ kind: 'inline', code: 'math.log10(len(output))' }, 'x'.repeat(100), context),
    ).toBe(2);
    const body = `
      if context['vars']['name'] in output:
          return {'pass': True, 'score': 0.9, 'reason': 'named'}
      return False`;
    expect(await runner.evaluate({ kind: 'inline', code: body }, 'Hi Ada', context)).toEqual({
      pass: true,
      score: 0.9,
      reason: 'named',
    });
    expect(await runner.evaluate({ kind: 'inline', code: body }, 'Hi Bo', context)).toBe(false);
  });

  it('calls get_assert by default, or the named function (async ones too), with output and context', async () => {
    const file = join(dir, 'checks.py');
    expect(await runner.evaluate({ kind: 'file', path: file }, 'Hi Ada', context)).toEqual({
      pass: true,
      score: 0.5,
      reason: 'checked Ada',
    });
    expect(
      await runner.evaluate({ kind: 'file', path: file, functionName: 'length' }, '12345', context),
    ).toBe(0.5);
    expect(await runner.evaluate({ kind: 'file', path: file, functionName: 'slow_ok' }, '', context)).toBe(
      true,
    );
  });

  it('rejects with the Python error, its type and where it was raised', async () => {
    await expect(
      runner.evaluate({ kind: 'file', path: join(dir, 'checks.py'), functionName: 'broken' }, '', context),
    ).rejects.toThrow(/KeyError: 'b' \(checks\.py:\d+\)/);
    await expect(runner.evaluate({ kind: 'inline', code: 'output +' }, '', context)).rejects.toThrow(
      /SyntaxError/,
    );
    await expect(
      runner.evaluate({ kind: 'file', path: join(dir, 'checks.py'), functionName: 'nope' }, '', context),
    ).rejects.toThrow(/defines no function nope/);
  });
});

describe('the sandbox', () => {
  it('kills a process that runs past the timeout and serves the next task from a fresh one', async () => {
    const quick = createPythonRunner({ workers: 1, timeoutMs: 500 });
    try {
      // Started first: the timeout counts from the task, not from the interpreter's start-up.
      expect(await quick.evaluate({ kind: 'inline', code: '0' }, '', context)).toBe(0);
      const started = performance.now();
      await expect(
        quick.evaluate({ kind: 'inline', code: 'while True:\n    pass' }, '', context),
      ).rejects.toThrow(/timed out after 500 ms/);
      expect(performance.now() - started).toBeLessThan(3_000);
      expect(await quick.evaluate({ kind: 'inline', code: '1 + 1' }, '', context)).toBe(2);
    } finally {
      await quick.close();
    }
  });

  it('reports a process that exits, and one that runs out of its memory cap', async () => {
    const small = createPythonRunner({ workers: 1, memoryMb: 256 });
    try {
      await expect(
        small.evaluate({ kind: 'inline', code: 'import os\nos._exit(3)' }, '', context),
      ).rejects.toThrow(/python exited with code 3/);
      await expect(
        small.evaluate({ kind: 'inline', code: "len('x' * (1024 * 1024 * 1024))" }, '', context),
      ).rejects.toThrow(/MemoryError/);
      expect(await small.evaluate({ kind: 'inline', code: "'still alive'" }, '', context)).toBe(
        'still alive',
      );
    } finally {
      await small.close();
    }
  });

  it('says how to fix a missing interpreter', async () => {
    const missing = createPythonRunner({ python: 'python3-that-does-not-exist' });
    try {
      await expect(missing.evaluate({ kind: 'inline', code: 'True' }, '', context)).rejects.toThrow(
        /python3-that-does-not-exist was not found: install Python 3\.9 or newer and put python3 on the PATH/,
      );
    } finally {
      await missing.close();
    }
  });
});

describe('runEval with Python prompts, providers and assertions', () => {
  function collect() {
    const results: EvalResult[] = [];
    return { results, sink: { onResult: (r: EvalResult) => void results.push(r) } };
  }

  it('renders with prompt functions, calls the providers and grades with python assertions', async () => {
    const spec = (id: string, label: string, config: Record<string, unknown> = {}) =>
      resolveProviderSpec({ id, label, config }, { env: {}, baseDir: dir });
    const suite: EvalSuite = {
      description: null,
      prompts: [
        {
          id: 'chat',
          label: 'chat',
          content: { type: 'python', path: join(dir, 'prompts.py'), functionName: 'chat' },
        },
        {
          id: 'wrapped',
          label: 'wrapped',
          content: { type: 'python', path: join(dir, 'prompts.py'), functionName: 'wrapped' },
        },
        { id: 'script', label: 'script', content: { type: 'python', path: join(dir, 'script.py') } },
      ],
      providers: [
        spec('file://provider.py', 'provider.py', { tag: 'T' }),
        spec('python:provider.py:structured', 'structured'),
      ],
      cases: [
        {
          description: 'one',
          vars: { name: 'Ada' },
          assert: [
            { type: 'python', value: "'Ada' in context['prompt'] and len(output) > 0" },
            { type: 'not-python', value: "output == ''" },
            { type: 'python', value: `file://${join(dir, 'checks.py')}:length`, threshold: 0.1 },
          ],
        },
      ],
      repeat: 1,
      maxConcurrency: 2,
    };
    const { results, sink } = collect();
    const outcome = await runEval(suite, { sinks: [sink] });
    expect(outcome.summary).toMatchObject({ total: 6, passed: 6, failed: 0 });
    const byKey = new Map(results.map((r) => [`${r.promptId}/${r.providerId}`, r]));
    const chat = byKey.get('chat/provider.py');
    expect(JSON.parse(chat?.prompt ?? '')).toEqual([
      { role: 'system', content: 'Be brief' },
      { role: 'user', content: 'Hi Ada via provider.py' },
    ]);
    expect(chat?.output).toBe(`${chat?.prompt}|T|Ada`);
    expect(chat?.usage).toEqual({ inputTokens: 3, outputTokens: 2, cachedInputTokens: 0, estimated: false });
    expect(chat?.costUsd).toBe(0.25);
    expect(byKey.get('wrapped/structured')?.output).toBe('{"answer":42}');
    expect(byKey.get('script/provider.py')?.prompt).toBe('Script prompt for Ada');
  });

  it('fails the cell, not the run, when a provider returns an error or a prompt function a wrong value', async () => {
    const suite: EvalSuite = {
      description: null,
      prompts: [
        {
          id: 'ok',
          label: 'ok',
          content: { type: 'python', path: join(dir, 'prompts.py'), functionName: 'wrapped' },
        },
        {
          id: 'bad',
          label: 'bad',
          content: { type: 'python', path: join(dir, 'prompts.py'), functionName: 'bad' },
        },
      ],
      providers: [
        resolveProviderSpec('file://provider.py:failing', { env: {}, baseDir: dir }),
        resolveProviderSpec('echo', { env: {} }),
      ],
      cases: [{ description: null, vars: { name: 'Ada' }, assert: [{ type: 'python', value: 'True' }] }],
      repeat: 1,
      maxConcurrency: 1,
    };
    const { results, sink } = collect();
    const outcome = await runEval(suite, { sinks: [sink], pythonRunner: runner });
    expect(outcome.summary).toMatchObject({ total: 4, passed: 1, failed: 3 });
    const errors = Object.fromEntries(results.map((r) => [`${r.promptId}/${r.providerId}`, r.error]));
    expect(errors['ok/file://provider.py:failing']).toMatch(/upstream said no/);
    expect(errors['bad/echo']).toMatch(/must return a string or a list/);
    expect(errors['ok/echo']).toBeNull();
  });
});
