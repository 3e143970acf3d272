import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as browser from './browser.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** Value imports (not `import type`, not `export type`) of a module's source. */
function valueImports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const specs: string[] = [];
  const pattern = /^(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
  for (const m of source.matchAll(pattern)) {
    if (m[1] || !m[2]) continue;
    // `import { type A, type B } from` is erased as well.
    const clause = /\{([^}]*)\}/.exec(m[0])?.[1];
    if (clause?.split(',').every((name) => name.trim() === '' || name.trim().startsWith('type '))) continue;
    specs.push(m[2]);
  }
  return specs;
}

/** Every package or builtin the entry reaches, following relative value imports. */
function reachablePackages(entry: string): { files: string[]; packages: Set<string> } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of valueImports(file)) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else packages.add(spec);
    }
  };
  visit(entry);
  return { files: [...seen], packages };
}

describe('@promptline/core/browser', () => {
  it('reaches neither zod nor a Node built-in, only browser-safe packages', () => {
    const { files, packages } = reachablePackages(join(here, 'browser.ts'));
    expect(files.length).toBeGreaterThan(5);
    expect(files.some((f) => f.endsWith('schemas.ts'))).toBe(false);
    expect([...packages].filter((p) => p === 'zod' || p.startsWith('zod/') || p.startsWith('node:'))).toEqual(
      [],
    );
    // Only the hash used by canonical.ts' content hash (tree-shaken when unused).
    expect([...packages].sort()).toEqual(['@noble/hashes/sha2.js', '@noble/hashes/utils.js']);
  });

  it('the import scanner sees zod where the full entry uses it (so the check above can fail)', () => {
    expect(reachablePackages(join(here, 'index.ts')).packages.has('zod')).toBe(true);
  });

  it('offers the semver rule, variable extraction and diff drawing helpers', () => {
    const prev = { content: { type: 'text' as const, template: 'Hi {{name}}' }, config: {} };
    const next = { content: { type: 'text' as const, template: 'Hello {{name}}' }, config: {} };
    const bump = browser.requiredBump(prev, next);
    expect(bump).toBe('minor');
    expect(browser.nextSemver('1.4.2', bump ?? 'patch')).toBe('1.5.0');
    expect(browser.extractVariables(next.content)).toEqual(['name']);
    expect(
      browser.diffSide(
        [
          { op: 'equal', text: 'Hi ' },
          { op: 'delete', text: 'Bob' },
          { op: 'insert', text: 'Ada' },
        ],
        'before',
      ),
    ).toEqual([
      { op: 'equal', text: 'Hi ' },
      { op: 'delete', text: 'Bob' },
    ]);
    expect(browser.describeChatMessage({ type: 'placeholder', name: 'history' })).toBe(
      '[placeholder: history]',
    );
  });
});
