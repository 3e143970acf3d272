import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkImports } from './check-imports.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const script = join(repo, 'scripts', 'check-imports.ts');

/** A throwaway repository with the five packages, their exports and dependencies, and `files`. */
function fixture(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'check-imports-'));
  const pkg = (name: string, deps: string[], exports: string[] = ['.']) =>
    writeFile(
      `packages/${name}/package.json`,
      JSON.stringify({
        name: `@promptline/${name}`,
        exports: Object.fromEntries(exports.map((e) => [e, { source: './src/index.ts' }])),
        dependencies: Object.fromEntries(deps.map((d) => [d, '*'])),
      }),
    );
  const writeFile = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  pkg('core', ['zod'], ['.', './browser', './node']);
  pkg('server', ['@promptline/core', 'fastify', 'kysely']);
  pkg('cli', ['@promptline/core', '@promptline/server']);
  pkg('sdk', ['@promptline/core']);
  pkg('web', ['@promptline/core', 'react']);
  for (const [path, text] of Object.entries(files)) writeFile(path, text);
  roots.push(root);
  return root;
}
const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function run(root: string): { status: number | null; stderr: string; stdout: string } {
  const result = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

describe('scripts/check-imports.ts (part of npm run lint)', () => {
  it('is run by `npm run lint`', () => {
    const lint = (
      JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: { lint: string } }
    ).scripts.lint;
    expect(lint).toContain('node scripts/check-imports.ts');
  });

  it('passes on this repository', () => {
    expect(execFileSync(process.execPath, [script, repo], { encoding: 'utf8' })).toContain(
      'every import points the right way',
    );
  });

  it('passes on imports that point the right way', () => {
    const root = fixture({
      'packages/sdk/src/index.ts':
        "import { parseSse } from '@promptline/core';\nimport type { X } from './x.ts';\n",
      'packages/web/src/a.ts': "import { nextSemver } from '@promptline/core/browser';\n",
      'packages/core/src/eval-node/runner.ts': "import { Worker } from 'node:worker_threads';\n",
      'packages/core/src/a.ts': "// import { readFileSync } from 'node:fs'; (a comment, not an import)\n",
      'packages/cli/src/commands/up.ts': "const entry = import.meta.resolve('@promptline/server');\n",
      'packages/server/src/app.ts': "import { createPromptStore } from './prompts/store.ts';\n",
      'packages/server/src/deployments/service.ts':
        "import type { PromptStore } from '../prompts/store.ts';\n",
      'packages/server/src/prompts/routes.ts': "import { something } from './store.ts';\n",
      'packages/sdk/src/server.test.ts': "import { startServer } from '@promptline/server';\n",
    });
    expect(run(root)).toMatchObject({ status: 0 });
  });

  it('fails, naming file, line and rule, on each kind of forbidden import', () => {
    const root = fixture({
      'packages/web/src/a.ts': "import { buildApp } from '@promptline/server';\n",
      'packages/sdk/src/a.ts': "\nimport { x } from '@promptline/core/src/schemas.ts';\n",
      'packages/sdk/src/b.ts': "import { y } from '../../core/src/index.ts';\n",
      'packages/core/src/a.ts': "import { readFileSync } from 'node:fs';\n",
      'packages/core/src/b.ts': "import fastify from 'fastify';\n",
      'packages/cli/src/commands/prompts.ts': "import { buildApp } from '@promptline/server';\n",
      'packages/server/src/prompts/routes.ts':
        "import { createDeploymentStore } from '../deployments/store.ts';\n",
      'packages/server/src/resolution/service.ts':
        "import { createPromptStore } from '../prompts/store.ts';\n",
      'packages/sdk/src/c.ts': "const m = await import('@promptline/cli');\n",
      'packages/cli/src/d.test.ts': "import { h } from '../../core/src/eval-node/test-helpers/x.ts';\n",
    });
    const { status, stderr } = run(root);
    expect(status).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines.at(-1)).toBe('check-imports: 10 forbidden import(s).');
    expect(stderr).toContain('packages/web/src/a.ts:1: "@promptline/server": packages/web must not import');
    expect(stderr).toContain(
      'packages/sdk/src/a.ts:2: "@promptline/core/src/schemas.ts": @promptline/core has no export',
    );
    expect(stderr).toContain(
      'packages/sdk/src/b.ts:1: "../../core/src/index.ts": relative import out of packages/sdk',
    );
    expect(stderr).toContain(
      'packages/core/src/a.ts:1: "node:fs": core imports Node built-ins only under its node entry',
    );
    expect(stderr).toContain('packages/core/src/b.ts:1: "fastify": packages/core must not import fastify');
    expect(stderr).toContain(
      'packages/cli/src/commands/prompts.ts:1: "@promptline/server": packages/cli must not import',
    );
    expect(stderr).toContain('routes of prompts/ import the store of deployments/');
    expect(stderr).toContain('resolution/ builds the store of prompts/');
    expect(stderr).toContain('packages/sdk/src/c.ts:1: "@promptline/cli": packages/sdk must not import');
    expect(stderr).toContain(
      'packages/cli/src/d.test.ts:1: "../../core/src/eval-node/test-helpers/x.ts": relative import',
    );
  });

  it('fails on a package imported without being a declared dependency', () => {
    const root = fixture({ 'packages/sdk/src/a.ts': "import { buildApp } from '@promptline/core/node';\n" });
    // Allowed direction and a real export, but sdk's package.json does not list core here:
    writeFileSync(
      join(root, 'packages/sdk/package.json'),
      JSON.stringify({ name: '@promptline/sdk', exports: {} }),
    );
    expect(checkImports(root)).toEqual([
      {
        file: 'packages/sdk/src/a.ts',
        line: 1,
        specifier: '@promptline/core/node',
        rule: '@promptline/core is not a declared dependency of packages/sdk',
      },
    ]);
  });
});
