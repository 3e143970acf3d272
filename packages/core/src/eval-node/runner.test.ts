import { getEventListeners } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalSuite } from '../eval/suite.ts';
import type { EvalResult } from '../eval/types.ts';
import { createDiskCache } from './cache.ts';
import { createCodeRunner } from './code-runner.ts';
import { resolveProviderSpec } from './provider-spec.ts';
import { runEval } from './runner.ts';
import { startOpenAiServer } from './test-helpers/openai-server.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promptline-eval-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function suiteFor(url: string, cases: number, extra: Partial<EvalSuite> = {}): EvalSuite {
  return {
    description: null,
    prompts: [{ id: 'p', label: 'p', content: { type: 'text', template: 'Say {{word}}' } }],
    providers: [
      resolveProviderSpec(
        { id: 'openai:chat:test-model', config: { apiBaseUrl: url, apiKey: 'sk-test' } },
        { env: {} },
      ),
    ],
    cases: Array.from({ length: cases }, (_, i) => ({
      description: `case ${i}`,
      vars: { word: `w${i}` },
      assert: [{ type: 'contains', value: '{{word}}' }],
    })),
    repeat: 1,
    maxConcurrency: 4,
    ...extra,
  };
}

function collect() {
  const results: EvalResult[] = [];
  return { results, sink: { onResult: (r: EvalResult) => void results.push(r) } };
}

describe('runEval against an OpenAI-compatible server', () => {
  it('runs every cell, grades it and never exceeds maxConcurrency in flight', async () => {
    const server = await startOpenAiServer({ latencyMs: 30 });
    try {
      const { results, sink } = collect();
      const outcome = await runEval(suiteFor(server.url, 24, { maxConcurrency: 5 }), { sinks: [sink] });
      expect(results).toHaveLength(24);
      expect(outcome.summary).toMatchObject({ total: 24, passed: 24, failed: 0 });
      expect(server.maxInFlight).toBeLessThanOrEqual(5);
      expect(server.maxInFlight).toBeGreaterThanOrEqual(3);
      expect(outcome.thresholds.met).toBe(true);
      expect(outcome.summary.groups[0]?.latencyP95Ms).toBeGreaterThan(20);
    } finally {
      await server.close();
    }
  });

  it('answers a re-run from the cache without calling the server', async () => {
    const server = await startOpenAiServer();
    try {
      const cache = createDiskCache(join(dir, 'cache'));
      await runEval(suiteFor(server.url, 6), { cache });
      expect(server.calls).toBe(6);
      const { results, sink } = collect();
      await runEval(suiteFor(server.url, 6), { cache, sinks: [sink] });
      expect(server.calls).toBe(6);
      expect(results.every((r) => r.cached && r.pass)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('retries 429 answers through the provider', async () => {
    const server = await startOpenAiServer({ rateLimitFirst: 2 });
    try {
      const outcome = await runEval(suiteFor(server.url, 2, { maxConcurrency: 1 }));
      expect(server.rateLimited).toBe(2);
      expect(outcome.summary.passed).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('stops taking cells when cancelled and reports a partial run', async () => {
    const server = await startOpenAiServer({ latencyMs: 50 });
    try {
      const controller = new AbortController();
      const { results, sink } = collect();
      const outcome = await runEval(suiteFor(server.url, 200, { maxConcurrency: 2 }), {
        sinks: [sink],
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done === 4) controller.abort();
        },
      });
      expect(outcome.cancelled).toBe(true);
      expect(results.length).toBeLessThan(20);
      expect(server.calls).toBeLessThan(20);
    } finally {
      await server.close();
    }
  });

  it('aborts the model calls in flight when cancelled', async () => {
    // A model that never answers: only an abort reaching the client can end its requests.
    const closed: Promise<void>[] = [];
    const server = createServer((_req, res) => {
      closed.push(new Promise((resolve) => res.on('close', () => resolve())));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const controller = new AbortController();
      const run = runEval(suiteFor(`http://127.0.0.1:${port}/v1`, 10, { maxConcurrency: 2 }), {
        signal: controller.signal,
      });
      while (closed.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
      const started = performance.now();
      controller.abort();
      const outcome = await run;
      expect(outcome.cancelled).toBe(true);
      expect(outcome.summary.total).toBe(0);
      await Promise.all(closed);
      expect(closed).toHaveLength(2);
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('counts a failing model call as a failed case and keeps going', async () => {
    const suite = suiteFor('http://127.0.0.1:9/v1', 2);
    const first = suite.providers[0];
    if (first?.target.kind === 'provider') first.target.settings.maxRetries = 0;
    const outcome = await runEval(suite);
    expect(outcome.summary).toMatchObject({ total: 2, failed: 2, errors: 2 });
    expect(outcome.thresholds.met).toBe(false);
  });

  it('grades llm-rubric with the judge served by the same kind of server', async () => {
    const server = await startOpenAiServer({
      answer: (req) =>
        req.messages[0]?.role === 'system'
          ? req.messages[1]?.content.includes('w1')
            ? '{"pass": false, "score": 0.2, "reason": "rude"}'
            : '{"pass": true, "score": 1, "reason": "fine"}'
          : `hello ${req.messages.at(-1)?.content}`,
    });
    try {
      const suite = suiteFor(server.url, 2);
      suite.grader = { id: 'openai:chat:judge', config: { apiBaseUrl: server.url, apiKey: 'sk' } };
      for (const c of suite.cases) c.assert = [{ type: 'llm-rubric', value: 'is polite' }];
      const { results, sink } = collect();
      await runEval(suite, { sinks: [sink] });
      const byCase = results.sort((a, b) => a.caseIndex - b.caseIndex).map((r) => r.pass);
      expect(byCase).toEqual([true, false]);
    } finally {
      await server.close();
    }
  });

  it('compares with a baseline: regressions and fixes', async () => {
    const server = await startOpenAiServer({
      answer: (req) => (req.messages[0]?.content.includes('w0') ? 'nope' : 'w1 w2'),
    });
    try {
      const suite = suiteFor(server.url, 2);
      const { results, sink } = collect();
      await runEval(suite, { sinks: [sink] });
      const baseline = new Map(results.map((r) => [r.key, { pass: !r.pass, score: r.pass ? 0 : 1 }]));
      const outcome = await runEval({ ...suite, thresholds: { noRegressions: true } }, { baseline });
      expect(outcome.comparison).toMatchObject({ compared: 2, regressions: 1, fixes: 1 });
      expect(outcome.thresholds.met).toBe(false);
    } finally {
      await server.close();
    }
  });
});

describe('providers and pairwise grading', () => {
  it('spaces requests to honour a per-provider rate limit', async () => {
    const arrivals: number[] = [];
    const server = await startOpenAiServer({
      answer: () => {
        arrivals.push(performance.now());
        return 'ok';
      },
    });
    try {
      const suite = suiteFor(server.url, 8, { maxConcurrency: 8 });
      const provider = suite.providers[0];
      if (provider) provider.rateLimit = { requestsPerSecond: 20 };
      const started = performance.now();
      await runEval(suite);
      arrivals.sort((a, b) => a - b);
      // 20 requests/s = one every 50 ms: the 8th request cannot be sent before 350 ms have passed,
      // however late the machine runs the others (timers can be late, never early). Unlimited, the
      // 8 concurrent requests would all arrive within a few milliseconds of the start. Gaps between
      // arrivals are not checked: one request held up on its way (a new connection on a busy
      // machine) shortens the next gap without the limiter being wrong.
      expect(arrivals).toHaveLength(8);
      expect((arrivals[7] ?? 0) - started).toBeGreaterThanOrEqual(349);
    } finally {
      await server.close();
    }
  });

  it('calls an http provider with a body template and a transformResponse expression', async () => {
    const server = await startOpenAiServer({ answer: (req) => `got ${req.messages[0]?.content}` });
    try {
      const provider = resolveProviderSpec(
        {
          id: 'http',
          config: {
            url: `${server.url}/chat/completions`,
            body: { model: 'm', messages: [{ role: 'user', content: '{{prompt}}' }] },
            transformResponse: 'json.choices[0].message.content',
          },
        },
        { env: {} },
      );
      const { results, sink } = collect();
      await runEval({ ...suiteFor(server.url, 1), providers: [provider] }, { sinks: [sink] });
      expect(results[0]).toMatchObject({ output: 'got Say w0', pass: true });
    } finally {
      await server.close();
    }
  });

  it('select-best marks only the output the judge picks', async () => {
    const server = await startOpenAiServer({
      answer: (req) =>
        req.messages[0]?.role === 'system'
          ? '{"best": 1, "reason": "more detail"}'
          : `answer to ${req.messages[0]?.content}`,
    });
    try {
      const suite = suiteFor(server.url, 1);
      suite.prompts.push({ id: 'q', label: 'q', content: { type: 'text', template: 'Explain {{word}}' } });
      suite.grader = { id: 'openai:chat:judge', config: { apiBaseUrl: server.url, apiKey: 'sk' } };
      const first = suite.cases[0];
      if (first) first.assert = [{ type: 'select-best', value: 'most detailed' }];
      const { results, sink } = collect();
      await runEval(suite, { sinks: [sink] });
      expect(results.map((r) => [r.promptId, r.pass])).toEqual([
        ['p', false],
        ['q', true],
      ]);
    } finally {
      await server.close();
    }
  });
});

describe('memory', () => {
  it('does not retain results once the sinks have them', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const refs: WeakRef<EvalResult>[] = [];
    const suite: EvalSuite = {
      description: null,
      prompts: [{ id: 'p', label: 'p', content: { type: 'text', template: '{{i}}' } }],
      providers: [resolveProviderSpec('echo', { env: {} })],
      cases: Array.from({ length: 3000 }, (_, i) => ({ description: null, vars: { i }, assert: [] })),
      repeat: 1,
      maxConcurrency: 8,
    };
    const outcome = await runEval(suite, {
      sinks: [{ onResult: (r) => void (refs.length < 200 && refs.push(new WeakRef(r))) }],
    });
    expect(outcome.summary.total).toBe(3000);
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
    expect(refs.filter((r) => r.deref() !== undefined).length).toBe(0);
  });
});

describe('calls with the run signal', () => {
  it('leave no timer and no listener on the run signal once they finish', async () => {
    const server = await startOpenAiServer();
    try {
      const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const controller = new AbortController();
      const baseline = timers();
      const outcome = await runEval(suiteFor(server.url, 300, { maxConcurrency: 8 }), {
        signal: controller.signal,
      });
      expect(outcome.summary).toMatchObject({ total: 300, passed: 300 });
      expect(server.calls).toBe(300);
      // Each call arms a whole-call timeout and listens to the run's signal until it settles.
      expect(timers()).toBeLessThanOrEqual(baseline);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    } finally {
      await server.close();
    }
  });
});

describe('custom evaluators in worker threads', () => {
  it('runs inline expressions, function bodies, arrow functions and files', async () => {
    const runner = createCodeRunner({ timeoutMs: 2000 });
    try {
      const file = join(dir, 'grader.mjs');
      await writeFile(
        file,
        'export default (output, ctx) => ({ pass: output === ctx.vars.want, score: 0.5, reason: "file" });\n',
      );
      expect(await runner.evaluate({ kind: 'inline', code: 'output.length > 2' }, 'abc', {})).toBe(true);
      expect(
        await runner.evaluate({ kind: 'inline', code: 'const n = output.length;\nreturn n * 2;' }, 'ab', {}),
      ).toBe(4);
      expect(
        await runner.evaluate({ kind: 'inline', code: 'output => output.startsWith("a")' }, 'ab', {}),
      ).toBe(true);
      expect(await runner.evaluate({ kind: 'file', path: file }, 'x', { vars: { want: 'x' } })).toEqual({
        pass: true,
        score: 0.5,
        reason: 'file',
      });
    } finally {
      await runner.close();
    }
  });

  it('fails only the case whose evaluator throws, loops forever or exhausts memory', async () => {
    const suite: EvalSuite = {
      description: null,
      prompts: [{ id: 'p', label: 'p', content: { type: 'text', template: '{{i}}' } }],
      providers: [resolveProviderSpec('echo', { env: {} })],
      cases: [
        { description: 'ok', vars: { i: 1 }, assert: [{ type: 'javascript', value: 'output === "1"' }] },
        {
          description: 'throws',
          vars: { i: 2 },
          assert: [{ type: 'javascript', value: 'if (output) throw new Error("boom");\nreturn true;' }],
        },
        {
          description: 'loops',
          vars: { i: 3 },
          assert: [{ type: 'javascript', value: 'while (true) {}\nreturn true;' }],
        },
        {
          description: 'eats memory',
          vars: { i: 4 },
          assert: [{ type: 'javascript', value: 'const a = [];\nfor (;;) a.push(new Array(1e5).fill(1));' }],
        },
        { description: 'after', vars: { i: 5 }, assert: [{ type: 'javascript', value: 'output === "5"' }] },
      ],
      repeat: 1,
      maxConcurrency: 2,
    };
    const { results, sink } = collect();
    const codeRunner = createCodeRunner({ timeoutMs: 1500, memoryMb: 32, workers: 2 });
    try {
      await runEval(suite, { sinks: [sink], codeRunner });
    } finally {
      await codeRunner.close();
    }
    const by = Object.fromEntries(results.map((r) => [r.description, r]));
    expect(by.ok?.pass).toBe(true);
    expect(by.after?.pass).toBe(true);
    expect(by.throws?.reason).toMatch(/boom/);
    expect(by.loops?.reason).toMatch(/timed out/);
    expect(by['eats memory']?.pass).toBe(false);
  });
});

describe('registry prompts and judge overrides', () => {
  it('renders registry content with Mustache and its partials; a missing variable fails only its case', async () => {
    const { results, sink } = collect();
    const suite: EvalSuite = {
      description: null,
      prompts: [
        {
          id: 'qa@v2',
          label: 'qa@v2',
          registry: { name: 'qa', version: 2 },
          content: {
            type: 'registry',
            content: { type: 'text', template: '{{> intro}}{{#items}}[{{.}}]{{/items}} {{country}}' },
            partials: { intro: 'Hi {{name}}. ' },
          },
        },
      ],
      providers: [resolveProviderSpec('echo', { env: {} })],
      cases: [
        { description: 'full', vars: { name: 'Ada', items: ['a', 'b'], country: 'France' }, assert: [] },
        { description: 'missing', vars: { name: 'Ada', items: [] }, assert: [] },
      ],
      repeat: 1,
      maxConcurrency: 2,
    };
    await runEval(suite, { sinks: [sink] });
    const full = results.find((r) => r.description === 'full');
    expect(full).toMatchObject({ output: 'Hi Ada. [a][b] France', pass: true, registry: { version: 2 } });
    const missing = results.find((r) => r.description === 'missing');
    expect(missing?.pass).toBe(false);
    expect(missing?.error).toMatch(/country/);
  });

  it('sends the override judge prompt, rendered with Mustache, instead of the built-in one', async () => {
    const seen: string[] = [];
    const server = await startOpenAiServer({
      answer: (req) => {
        seen.push(req.messages.map((m) => `${m.role}: ${m.content}`).join('\n'));
        return '{"pass": false, "score": 0.2, "reason": "too short"}';
      },
    });
    try {
      const { results, sink } = collect();
      const suite: EvalSuite = {
        ...suiteFor(server.url, 1),
        providers: [resolveProviderSpec('echo', { env: {} })],
        cases: [{ description: 'x', vars: { word: 'hi' }, assert: [{ type: 'llm-rubric', value: 'long' }] }],
        grader: { id: 'openai:chat:judge', config: { apiBaseUrl: server.url, apiKey: 'sk-test' } },
      };
      await runEval(suite, {
        sinks: [sink],
        judgePrompts: {
          'llm-rubric': {
            name: 'promptline/judges/llm-rubric',
            version: 4,
            content: {
              type: 'chat',
              messages: [
                { role: 'developer', content: 'House rules.' },
                { role: 'user', content: '{{output}} | {{rubric}} | {{word}}' },
              ],
            },
            partials: {},
          },
        },
      });
      expect(seen).toEqual(['system: House rules.\nuser: Say hi | long | hi']);
      expect(results[0]).toMatchObject({ pass: false, reason: 'too short' });
    } finally {
      await server.close();
    }
  });
});
