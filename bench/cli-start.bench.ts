/**
 * Start-up of the `promptline` command: a few commands run end to end through the real bin
 * (`packages/cli/bin/promptline.js`, the TypeScript sources as in the repository) against a server
 * this bench starts, next to `node -e 0`, the floor no command can go below. Each figure is the
 * median of BENCH_RUNS runs (default 10) taken in interleaved rounds, so a drift of the machine's
 * speed touches every command alike. CPU is the child's user + system time (what a test suite
 * spawning hundreds of commands pays); `over_floor` is what the command costs above bare Node.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, startServer } from './lib/server.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const bin = join(root, 'packages/cli/bin/promptline.js');
const work = mkdtempSync(join(tmpdir(), 'promptline-cli-start-'));
const server = await startServer({ entry: 'dist' });
const env = { ...process.env, PROMPTLINE_URL: server.url, PROMPTLINE_API_KEY: server.apiKey, NO_COLOR: '1' };

function cli(...args: string[]): void {
  execFileSync(process.execPath, [bin, ...args], { cwd: work, env, stdio: 'ignore' });
}

/**
 * One run of `argv` under a shell whose `times` reports the CPU of its finished children: Node
 * gives no child rusage, and /proc of a child is gone by the time it can be read.
 */
function once(argv: string[]): { cpuMs: number; wallMs: number } {
  const quoted = argv.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
  const started = performance.now();
  const out = execFileSync('sh', ['-c', `${quoted} >/dev/null 2>&1; echo "exit $?"; times`], {
    cwd: work,
    env,
    encoding: 'utf8',
  });
  const wallMs = performance.now() - started;
  const [status, , children = ''] = out.trim().split('\n');
  if (status !== 'exit 0') throw new Error(`${argv.join(' ')}: ${status}`);
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return { cpuMs: (seconds[0] ?? 0) * 1000 + (seconds[1] ?? 0) * 1000, wallMs };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0);
};

try {
  cli('prompts', 'create', 'bench/greet');
  writeFileSync(join(work, 'greet.txt'), 'Hello {{name}}\n');
  cli('versions', 'create', 'bench/greet', '--file', 'greet.txt');
  cli('deploy', 'bench/greet', '1', '--env', 'production');
  cli('pull', 'prompts');

  const node = process.execPath;
  const commands: Record<string, string[]> = {
    'node -e 0': [node, '-e', '0'],
    '--help': [node, bin, '--help'],
    'prompts list': [node, bin, 'prompts', 'list'],
    render: [node, bin, 'render', 'bench/greet', '--env', 'production', '--var', 'name=Ann'],
    'status <dir>': [node, bin, 'status', 'prompts'],
    'eval (echo, 2 tests)': [node, bin, 'eval', '-c', join(root, 'examples/evals/echo/promptline.eval.yaml')],
  };
  const names = Object.keys(commands);
  const samples = new Map(names.map((name) => [name, [] as { cpuMs: number; wallMs: number }[]]));
  // One warm-up round fills V8's compile cache, as any second run of the command would find it.
  for (const name of names) once(commands[name] ?? []);
  for (let round = 0; round < RUNS; round++) {
    // Rotated, so no command always runs right after the same neighbour.
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length] ?? '';
      samples.get(name)?.push(once(commands[name] ?? []));
    }
  }
  const floor = median((samples.get('node -e 0') ?? []).map((s) => s.cpuMs));
  const result: Record<string, { cpu_ms_median: number; wall_ms_median: number; cpu_ms_over_floor: number }> =
    {};
  for (const [name, runs] of samples) {
    const cpu = median(runs.map((s) => s.cpuMs));
    result[name] = {
      cpu_ms_median: cpu,
      wall_ms_median: median(runs.map((s) => s.wallMs)),
      cpu_ms_over_floor: cpu - floor,
    };
  }
  console.log(JSON.stringify({ runs: RUNS, commands: result }));
} finally {
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}
