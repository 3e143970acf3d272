import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { silentCatchesIn } from './check-catches.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const script = join(repo, 'scripts', 'check-catches.ts');
const lines = (source: string) => silentCatchesIn('x.ts', source).map((hit) => hit.line);

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe('scripts/check-catches.ts (part of npm run lint)', () => {
  it('is run by `npm run lint`', () => {
    const lint = (
      JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: { lint: string } }
    ).scripts.lint;
    expect(lint).toContain('node scripts/check-catches.ts');
  });

  it('passes on this repository', () => {
    expect(execFileSync(process.execPath, [script, repo], { encoding: 'utf8' })).toContain(
      'every caught error is used',
    );
  });

  it('refuses a catch that drops its error without a word', () => {
    expect(lines('try { a(); } catch {}\n')).toEqual([1]);
    expect(lines('try {\n  a();\n} catch (error) {\n  return 1;\n}\n')).toEqual([3]);
    expect(lines('p.catch(() => undefined);\n')).toEqual([1]);
    expect(lines('p.catch((e) => {});\n')).toEqual([1]);
    expect(lines('p.catch(function () { return null; });\n')).toEqual([1]);
  });

  it('accepts a catch that uses, rethrows or explains its error', () => {
    expect(lines('try { a(); } catch (error) { log(error); }\n')).toEqual([]);
    expect(lines('try { a(); } catch { throw new Error("b"); }\n')).toEqual([]);
    expect(lines('p.catch((e) => report(e));\n')).toEqual([]);
    expect(lines('try { a(); } catch {\n  // Not JSON: plain text.\n  return 1;\n}\n')).toEqual([]);
    expect(lines('// Closing may fail after an error; reported above.\np.catch(() => {});\n')).toEqual([]);
    expect(lines('try { a(); } catch { /* gone anyway */ }\n')).toEqual([]);
  });

  it('is not fooled by comment-like text in strings', () => {
    expect(lines('try { a(); } catch { return "http://x"; }\n')).toEqual([1]);
  });

  it('exits 1 naming file and line, and skips tests', () => {
    const root = mkdtempSync(join(tmpdir(), 'check-catches-'));
    roots.push(root);
    mkdirSync(join(root, 'packages/core/src'), { recursive: true });
    writeFileSync(
      join(root, 'packages/core/src/a.ts'),
      'export function f() {\n  try { g(); } catch {}\n}\n',
    );
    writeFileSync(join(root, 'packages/core/src/a.test.ts'), 'try { g(); } catch {}\n');
    const result = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('packages/core/src/a.ts:2: a catch drops its error');
    expect(result.stderr).not.toContain('a.test.ts');
    expect(result.stderr).toContain('1 silent catch');
  });
});
