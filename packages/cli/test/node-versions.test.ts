/**
 * The `promptline` bin on the Nodes users have: the machine's system Node (20 here, which cannot
 * strip TypeScript types, so the bin must run the compiled dist/) and the Node 24 the project pins
 * (which runs the sources). Black-box: the real bin, spawned with each Node, against a real server.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from './run-cli.ts';

/** The machine's own Node (v20 on the development and CI machines); PROMPTLINE_TEST_SYSTEM_NODE overrides. */
const SYSTEM_NODE = process.env.PROMPTLINE_TEST_SYSTEM_NODE ?? '/usr/bin/node';

function nodeVersion(node: string): string {
  return spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
}

const NODES = [
  { label: 'the pinned Node', path: process.execPath },
  ...(existsSync(SYSTEM_NODE) ? [{ label: 'the system Node', path: SYSTEM_NODE }] : []),
];

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ dialect: 'sqlite' });
});
afterAll(async () => {
  await server?.close();
});

/** Runs the bin with `node` (asynchronously: the test server answers from this process). */
function run(node: string, args: string[], nodeFlags: string[] = []): Promise<CliResult> {
  return runCli(args, { server, node, nodeFlags });
}

it('the machine has a Node that cannot strip types to test with', () => {
  // Without it the suite below would silently test one Node only.
  expect(NODES.map((n) => n.label)).toContain('the system Node');
  expect(Number(nodeVersion(SYSTEM_NODE).split('.')[0])).toBeLessThan(22);
});

for (const node of NODES) {
  describe(`on ${node.label} (v${nodeVersion(node.path)})`, () => {
    it('--help prints every command with its description, and nothing on stderr', async () => {
      const result = await run(node.path, ['--help']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const commands = result.stdout.split('Commands:\n')[1]?.split('\n\n')[0]?.split('\n') ?? [];
      expect(commands.map((line) => line.trim().split(/\s+/)[0])).toContain('eval');
      for (const line of commands) expect(line).toMatch(/^ {2}[a-z][a-z-]* +\S.{10,}$/);
    });

    it('talks to the server: creates a prompt and lists it', async () => {
      const name = `node-${nodeVersion(node.path).replaceAll('.', '-')}`;
      const created = await run(node.path, [
        'prompts',
        'create',
        name,
        '--description',
        'made by the bin on this Node',
      ]);
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
      const listed = await run(node.path, ['prompts', 'list', '--json']);
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.stdout).items).toEqual(
        expect.arrayContaining([expect.objectContaining({ name })]),
      );
    });
  });
}

describe('below what it supports', () => {
  it('a Node older than the compiled CLI needs gets one line naming the Node to install', async () => {
    // Pretends to be Node 18 before the bin runs: the bin decides by process.versions.node.
    const pretend18 =
      "data:text/javascript,Object.defineProperty(process,'versions',{value:{...process.versions,node:'18.19.0'}})";
    const result = await run(SYSTEM_NODE, ['--help'], ['--import', pretend18]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^promptline needs Node\.js 20\.12 or newer \(this is v18\.19\.0\); .*nodejs\.org.*\n$/,
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('`up` on a Node without node:sqlite says in one line which Node the server needs', async () => {
    const result = await run(SYSTEM_NODE, ['up']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error: the server needs Node\.js 22\.12 or newer \(this is v20\.[\d.]+\); .*`npm start`.*\n$/,
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
