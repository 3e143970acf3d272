/**
 * `promptline eval` against promptfoo on the same suite: 2 prompts × 1 OpenAI-compatible provider
 * on 127.0.0.1 answering after 20 ms × N cases, 8 deterministic assertions each, concurrency 50,
 * cache off. Each tool runs as a child process under /usr/bin/time -v (wall, CPU, peak RSS).
 *
 *   npm install --prefix bench/.scratch promptfoo   # once; never a dependency of the packages
 *   npx tsc -b                                      # the bench runs the built CLI
 *   npm exec -- node --conditions=source bench/eval.bench.ts            # sizes 200,2000
 *   BENCH_EVAL_SIZES=200,2000,10000 npm exec -- node --conditions=source bench/eval.bench.ts
 *
 * BENCH_EVAL_REPEATS=n runs each tool n times per size (default 1) and reports the median run, with
 * every run's wall and CPU beside it: on a shared machine one run says little. BENCH_EVAL_BASELINE_BIN
 * names another `promptline` bin (an older checkout's packages/cli/bin/promptline.js) measured the
 * same way, side by side. The load average at the start and the end is in the output.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const promptfooBin = join(root, 'bench/.scratch/node_modules/promptfoo/dist/src/entrypoint.js');
// The built bin, as `npx promptline` runs it (run `npx tsc -b` first): running the sources would
// time Node's type stripping of every module, which no user pays.
const promptlineBin = join(root, 'packages/cli/bin/promptline.js');
const sizes = (process.env.BENCH_EVAL_SIZES ?? '200,2000').split(',').map(Number);
const repeats = Math.max(1, Number(process.env.BENCH_EVAL_REPEATS ?? 1));
const baselineBin = process.env.BENCH_EVAL_BASELINE_BIN;
const LATENCY_MS = 20;

async function startServer() {
  let calls = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls++;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messages: { content: string }[] };
      const word = /word (\w+)/.exec(body.messages.at(-1)?.content ?? '')?.[1] ?? 'none';
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            id: 'x',
            object: 'chat.completion',
            model: 'gpt-4o-mini',
            choices: [
              {
                index: 0,
                finish_reason: 'stop',
                message: { role: 'assistant', content: `{"answer": "Echo ${word}", "ok": true}` },
              },
            ],
            usage: { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 },
          }),
        );
      }, LATENCY_MS);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, server, calls: () => calls };
}

function config(url: string, cases: number): string {
  const lines = [
    'description: bench',
    'prompts:',
    '  - "Repeat the word {{word}} as JSON."',
    '  - "Please answer with the word {{word}} in JSON."',
    'providers:',
    '  - id: openai:chat:gpt-4o-mini',
    `    config: { apiBaseUrl: "${url}", apiKey: "sk-bench", temperature: 0 }`,
    'defaultTest:',
    '  assert:',
    '    - type: is-json',
    '    - type: contains',
    '      value: "{{word}}"',
    '    - type: icontains',
    '      value: ECHO',
    '    - type: not-contains',
    '      value: error',
    '    - type: starts-with',
    '      value: "{"',
    '    - type: regex',
    '      value: "\\"ok\\": true"',
    '    - type: contains-any',
    '      value: ["Echo", "Reply"]',
    '    - type: contains-all',
    '      value: ["answer", "ok"]',
    'evaluateOptions: { maxConcurrency: 50 }',
    'tests:',
  ];
  for (let i = 0; i < cases; i++) lines.push(`  - vars: { word: w${i} }`);
  return `${lines.join('\n')}\n`;
}

interface Measure {
  wallS: number;
  cpuS: number;
  peakRssMb: number;
  exitCode: number;
}

async function measure(
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<Measure & { stderr: string }> {
  const child = spawn('/usr/bin/time', ['-v', process.execPath, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exitCode = await new Promise<number>((r) => child.on('exit', (code) => r(code ?? 1)));
  const field = (name: string) => new RegExp(`${name}: (.+)`).exec(stderr)?.[1]?.trim() ?? '0';
  const wall = field('Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)')
    .split(':')
    .reduce((acc, part) => acc * 60 + Number(part), 0);
  const cpu = Number(field('User time \\(seconds\\)')) + Number(field('System time \\(seconds\\)'));
  const rssKb = Number(field('Maximum resident set size \\(kbytes\\)'));
  return {
    wallS: wall,
    cpuS: cpu,
    peakRssMb: Math.round(rssKb / 1024),
    exitCode,
    stderr: stderr.slice(-2000),
  };
}

/** Runs `once` `repeats` times: the run of median wall time, and every run's wall and CPU. */
async function median<T extends Measure>(once: () => Promise<T>): Promise<T & { runs: string[] }> {
  const all: T[] = [];
  for (let i = 0; i < repeats; i++) all.push(await once());
  const sorted = [...all].sort((a, b) => a.wallS - b.wallS);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)] as T;
  return { ...mid, runs: all.map((m) => `${m.wallS.toFixed(2)} s wall, ${m.cpuS.toFixed(2)} s CPU`) };
}

function figures(m: Measure & { runs?: string[] }, calls: number) {
  return {
    wallS: Number(m.wallS.toFixed(2)),
    cpuS: Number(m.cpuS.toFixed(2)),
    ...(m.runs && m.runs.length > 1 ? { runs: m.runs } : {}),
    callsPerS: Number((calls / m.wallS).toFixed(1)),
    cpuMsPerCall: Number(((m.cpuS * 1000) / calls).toFixed(3)),
    peakRssMb: m.peakRssMb,
    exitCode: m.exitCode,
  };
}

const out: Record<string, unknown> = {
  loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
  repeats,
  latencyMs: LATENCY_MS,
  concurrency: 50,
  prompts: 2,
  assertionsPerCase: 8,
  runs: [],
};
const haveTime = existsSync('/usr/bin/time');
const havePromptfoo = existsSync(promptfooBin);
if (!haveTime) out.error = '/usr/bin/time is missing: install GNU time to measure CPU and peak RSS.';
if (!havePromptfoo) {
  out.promptfoo =
    'not installed: run `npm install --prefix bench/.scratch promptfoo` to compare with promptfoo';
}
const { url, server, calls } = await startServer();
const work = await mkdtemp(join(tmpdir(), 'promptline-eval-bench-'));
try {
  for (const cases of sizes) {
    if (!haveTime) break;
    const dir = join(work, String(cases));
    await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
    await writeFile(join(dir, 'promptfooconfig.yaml'), config(url, cases));
    const expected = cases * 2;
    const run: Record<string, unknown> = { cases, calls: expected };
    const promptline = (bin: string) =>
      median(() =>
        measure(
          [
            '--no-warnings',
            bin,
            'eval',
            '-c',
            'promptfooconfig.yaml',
            '--no-cache',
            '--max-concurrency',
            '50',
            '-o',
            'promptline.jsonl',
          ],
          dir,
          {},
        ),
      );
    let before = calls();
    const pl = await promptline(promptlineBin);
    run.promptline = { ...figures(pl, expected), serverCalls: (calls() - before) / repeats };
    if (pl.exitCode !== 0) run.promptlineStderr = pl.stderr;
    if (baselineBin) {
      before = calls();
      const base = await promptline(baselineBin);
      run.baseline = {
        bin: baselineBin,
        ...figures(base, expected),
        serverCalls: (calls() - before) / repeats,
      };
      if (base.exitCode !== 0) run.baselineStderr = base.stderr;
    }
    if (havePromptfoo) {
      before = calls();
      const pf = await median(() =>
        measure(
          [
            promptfooBin,
            'eval',
            '-c',
            'promptfooconfig.yaml',
            '--no-cache',
            '--max-concurrency',
            '50',
            '--no-table',
            '--no-progress-bar',
            '-o',
            'promptfoo.json',
          ],
          dir,
          {
            PROMPTFOO_DISABLE_TELEMETRY: '1',
            PROMPTFOO_DISABLE_UPDATE: '1',
            PROMPTFOO_CONFIG_DIR: join(dir, '.promptfoo'),
            PROMPTFOO_DISABLE_SHARING: '1',
            OPENAI_API_KEY: 'sk-bench',
          },
        ),
      );
      run.promptfoo = { ...figures(pf, expected), serverCalls: (calls() - before) / repeats };
      if (pf.exitCode !== 0 && pf.exitCode !== 100) run.promptfooStderr = pf.stderr;
      try {
        const doc = JSON.parse(await readFile(join(dir, 'promptfoo.json'), 'utf8')) as {
          results?: { stats?: { successes?: number; failures?: number } };
        };
        run.promptfooVerdicts = {
          successes: doc.results?.stats?.successes,
          failures: doc.results?.stats?.failures,
        };
      } catch {
        run.promptfooVerdicts = 'no output file';
      }
      const a = run.promptline as ReturnType<typeof figures>;
      const b = run.promptfoo as ReturnType<typeof figures>;
      run.ratios = {
        callsPerS: Number((a.callsPerS / b.callsPerS).toFixed(2)),
        cpuPerCall: Number((b.cpuMsPerCall / a.cpuMsPerCall).toFixed(2)),
        peakRss: Number((b.peakRssMb / a.peakRssMb).toFixed(2)),
      };
    }
    (out.runs as unknown[]).push(run);
  }
} finally {
  server.close();
  await rm(work, { recursive: true, force: true });
}
out.loadAverageAtEnd = loadavg().map((l) => Number(l.toFixed(2)));
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
