/**
 * What a command loads before it does anything: most commands need neither zod, nor core's index
 * (all of core, ~125 modules), nor undici (what the first `fetch` loads), each a tenth of a second
 * or more of every run (bench/cli-start.bench.ts has the figures). The real bin, with a load hook
 * that prints the URL of every module loaded and the internal modules Node loaded on exit.
 */
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

const HOOK = `data:text/javascript,${encodeURIComponent(`
import module from 'node:module';
const loaded = [];
module.registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify([...loaded, ...process.moduleLoadList]) + '\\n'));
`)}`;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ dialect: 'sqlite' });
});
afterAll(async () => server?.close());

async function loadedBy(args: string[]): Promise<string[]> {
  const result = await runCli(args, { server, nodeFlags: ['--import', HOOK] });
  expect(result.code, result.stderr).toBe(0);
  const line = result.stderr.split('\n').find((l) => l.startsWith('LOADED ')) ?? 'LOADED []';
  return JSON.parse(line.slice('LOADED '.length)) as string[];
}

it.each(['prompts list', 'render --help', 'metrics cli/none', 'traces list', 'deploy --help'])(
  'promptline %s loads neither zod, nor all of core, nor undici',
  async (command) => {
    const loaded = await loadedBy(command.split(' '));
    expect(loaded.some((url) => url.includes('/packages/cli/src/main.ts'))).toBe(true);
    expect(loaded.filter((url) => /\/zod\/|\/yaml\/|\/core\/src\/index\.ts$|undici/.test(url))).toEqual([]);
  },
);
