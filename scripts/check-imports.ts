// Usage: node scripts/check-imports.ts [root]   (run by `npm run lint`; exit 1 on a forbidden import)
//
// Enforces the direction of imports between and inside the packages (docs/architecture.md):
// - a package is reached only through its `exports` (no `@promptline/core/src/...`), never by a
//   relative path into another package, and only when it is a declared dependency;
// - core imports no other package of ours; sdk and web only core; cli only core (and the server
//   from `commands/up.ts`, through its declared dependency); the server only core and web;
// - core, sdk and web never import a web framework, a database driver or React (web may: React);
// - core imports Node built-ins only under its `node` entry (eval-node/, secrets/, node.ts);
// - in the server, a feature's routes import no store, except their own, and no feature builds
//   another feature's store (`create…Store` from `../<other>/store.ts`); app.ts wires them.
// Tests and test helpers may import any of our packages and any tool (a test of the SDK starts a
// real server), but only by name and through exports, like everything else.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';

const OURS = ['core', 'server', 'cli', 'sdk', 'web'];

/** Which of our packages each may import (values and types alike). */
const ALLOWED: Record<string, string[]> = {
  core: [],
  sdk: ['core'],
  web: ['core'],
  cli: ['core', 'server'],
  server: ['core', 'web'],
};

/** Third-party modules a package must not import (prefix match on the package name). */
const FORBIDDEN_THIRD_PARTY: Record<string, string[]> = {
  core: ['fastify', '@fastify/', 'kysely', 'pg', 'react', 'react-dom'],
  sdk: ['fastify', '@fastify/', 'kysely', 'pg', 'react', 'react-dom'],
  web: ['fastify', '@fastify/', 'kysely', 'pg'],
  cli: ['fastify', '@fastify/', 'kysely', 'react', 'react-dom'],
};

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  rule: string;
}

interface Import {
  specifier: string;
  line: number;
  typeOnly: boolean;
  names: string[];
}

const IMPORT = /(?:^|[\s;])(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]/g;
const BARE_IMPORT = /(?:^|[\s;])import\s*['"]([^'"]+)['"]/g;
const DYNAMIC = /\b(?:import|require|import\.meta\.resolve)\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The line of a match, not counting the whitespace a pattern consumed before the keyword. */
function lineOf(source: string, index: number): number {
  while (/\s/.test(source[index] ?? '')) index++;
  let line = 1;
  for (let i = 0; i < index; i++) if (source.charCodeAt(i) === 10) line++;
  return line;
}

/** Removes comments (keeping line breaks and string contents), so examples in docs do not count. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\/|(^|[^:'"`\\])\/\/[^\n]*/g, (match, prefix: string | undefined) =>
    match.startsWith('/*') ? match.replace(/[^\n]/g, ' ') : `${prefix ?? ''}`,
  );
}

export function importsOf(raw: string): Import[] {
  const source = stripComments(raw);
  const out: Import[] = [];
  for (const m of source.matchAll(IMPORT)) {
    const clause = m[3] ?? '';
    const inner = /\{([\s\S]*)\}/.exec(clause)?.[1];
    const names = (inner ?? clause)
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '');
    const allTypes =
      inner !== undefined &&
      !clause.replace(/\{[\s\S]*\}/, '').trim() &&
      names.every((n) => n.startsWith('type '));
    out.push({
      specifier: m[4] ?? '',
      line: lineOf(source, m.index ?? 0),
      typeOnly: m[2] !== undefined || allTypes,
      names: names.map((n) => n.replace(/^type\s+/, '').split(/\s+as\s+/)[0] ?? ''),
    });
  }
  for (const m of source.matchAll(BARE_IMPORT)) {
    out.push({ specifier: m[1] ?? '', line: lineOf(source, m.index ?? 0), typeOnly: false, names: [] });
  }
  for (const m of source.matchAll(DYNAMIC)) {
    out.push({ specifier: m[1] ?? '', line: lineOf(source, m.index ?? 0), typeOnly: false, names: [] });
  }
  return out;
}

function walk(dir: string, files: string[] = []): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return files;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, files);
    else if (/\.(ts|tsx|mts|cts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? '');
}

interface PackageInfo {
  dir: string;
  exports: Set<string>;
  dependencies: Set<string>;
}

function readPackage(dir: string): PackageInfo | undefined {
  try {
    const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      exports?: Record<string, unknown>;
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    return {
      dir,
      exports: new Set(Object.keys(json.exports ?? {})),
      dependencies: new Set([
        ...Object.keys(json.dependencies ?? {}),
        ...Object.keys(json.peerDependencies ?? {}),
      ]),
    };
  } catch {
    return undefined;
  }
}

function isTest(path: string): boolean {
  return (
    /\.test\.tsx?$/.test(path) ||
    path.includes(`${sep}test-helpers${sep}`) ||
    path.includes(`${sep}test${sep}`)
  );
}

/** Checks every source file under `<root>/packages/*` and returns what breaks the rules. */
export function checkImports(root: string): Violation[] {
  const packages = new Map<string, PackageInfo>();
  for (const name of OURS) {
    const info = readPackage(join(root, 'packages', name));
    if (info) packages.set(name, info);
  }
  const violations: Violation[] = [];
  for (const [pkg, info] of packages) {
    for (const file of walk(info.dir)) {
      const rel = relative(info.dir, file).split(sep).join('/');
      const test = isTest(file);
      const report = (imp: Import, rule: string) =>
        violations.push({
          file: relative(root, file).split(sep).join('/'),
          line: imp.line,
          specifier: imp.specifier,
          rule,
        });
      for (const imp of importsOf(readFileSync(file, 'utf8'))) {
        const spec = imp.specifier;
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec);
          if (!target.startsWith(info.dir + sep)) {
            report(
              imp,
              `relative import out of packages/${pkg}: import the other package by name, through its exports`,
            );
            continue;
          }
          if (pkg === 'server' && !test) checkServerImport(rel, imp, target, info.dir, report);
          continue;
        }
        const name = packageName(spec);
        const ours = name.startsWith('@promptline/')
          ? name.slice('@promptline/'.length)
          : name === 'promptline'
            ? 'cli'
            : undefined;
        if (ours !== undefined && OURS.includes(ours)) {
          const sub = spec.slice(name.length);
          const target = packages.get(ours);
          if (ours === pkg) {
            report(imp, `packages/${pkg} imports itself by name: use a relative import`);
            continue;
          }
          if (test) {
            // Tests exercise the real thing (an SDK test starts a real server), through exports.
            if (target && !target.exports.has(`.${sub}`)) {
              report(
                imp,
                `${name} has no export "${`.${sub}`}": reach a package only through its package.json exports`,
              );
            }
            continue;
          }
          if (
            !(ALLOWED[pkg] ?? []).includes(ours) ||
            (pkg === 'cli' && ours === 'server' && rel !== 'src/commands/up.ts')
          ) {
            report(
              imp,
              `packages/${pkg} must not import ${name} (dependencies point one way: web, cli, sdk, server → core)`,
            );
            continue;
          }
          if (target && !target.exports.has(`.${sub}`)) {
            report(
              imp,
              `${name} has no export "${`.${sub}`}": reach a package only through its package.json exports`,
            );
            continue;
          }
          if (!info.dependencies.has(name)) {
            report(imp, `${name} is not a declared dependency of packages/${pkg}`);
          }
          continue;
        }
        if (NODE_BUILTINS.has(spec) || NODE_BUILTINS.has(name)) {
          const nodeOnlyPlace =
            rel === 'src/node.ts' || rel.startsWith('src/eval-node/') || rel.startsWith('src/secrets/');
          if (pkg === 'core' && !test && !imp.typeOnly && !nodeOnlyPlace) {
            report(
              imp,
              'core imports Node built-ins only under its node entry (src/node.ts, eval-node/, secrets/)',
            );
          }
          continue;
        }
        if (test) continue;
        for (const forbidden of FORBIDDEN_THIRD_PARTY[pkg] ?? []) {
          if (forbidden.endsWith('/') ? name.startsWith(forbidden) : name === forbidden) {
            report(imp, `packages/${pkg} must not import ${name}`);
          }
        }
      }
    }
  }
  return violations;
}

function checkServerImport(
  rel: string,
  imp: Import,
  target: string,
  pkgDir: string,
  report: (imp: Import, rule: string) => void,
): void {
  const from = /^src\/([^/]+)\/([^/]+)$/.exec(rel);
  const to = /^src\/([^/]+)\/store(\.ts)?$/.exec(relative(pkgDir, target).split(sep).join('/'));
  if (!from || !to) return;
  const [, fromFeature, fromFile] = from;
  const toFeature = to[1];
  if (fromFeature === toFeature) return;
  if (fromFile === 'routes.ts') {
    report(imp, `routes of ${fromFeature}/ import the store of ${toFeature}/: go through its service`);
    return;
  }
  if (!imp.typeOnly && imp.names.some((n) => /^create\w*Store$/.test(n))) {
    report(
      imp,
      `${fromFeature}/ builds the store of ${toFeature}/: ask its service, or take the store app.ts builds`,
    );
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
if (invokedDirectly) {
  const root = resolve(process.argv[2] ?? join(dirname(new URL(import.meta.url).pathname), '..'));
  const violations = checkImports(root);
  for (const v of violations) console.error(`${v.file}:${v.line}: "${v.specifier}": ${v.rule}`);
  if (violations.length > 0) {
    console.error(`check-imports: ${violations.length} forbidden import(s).`);
    process.exit(1);
  }
  console.log('check-imports: every import points the right way.');
}
