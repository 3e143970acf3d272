// Usage: node scripts/check-catches.ts [root]   (run by `npm run lint`; exit 1 on a silent catch)
//
// Every error a `catch` swallows must leave a trace (issue 8): the handler uses the error (logs it,
// rethrows it, turns it into an answer), throws, or says in a comment why dropping it is right.
// Refused: a `catch { … }` or `catch (e) { … }` whose block never mentions `e`, and a
// `.catch(() => …)` / `.catch((e) => …)` whose callback never mentions its parameter, when the
// handler throws nothing and carries no comment (inside it, on its line or on the line above).
// Only product code is checked: packages/*/src without tests and test helpers.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export interface SilentCatch {
  file: string;
  line: number;
  text: string;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry === 'test-helpers') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.tsx?$/.test(entry) && !/\.test\.tsx?$/.test(entry) && !entry.endsWith('.d.ts')) {
      out.push(path);
    }
  }
  return out;
}

/** Whether `node` mentions the identifier `name` or contains a `throw`. */
function usesOrThrows(node: ts.Node, name: string | undefined): boolean {
  let found = false;
  const visit = (n: ts.Node) => {
    if (found) return;
    if (ts.isThrowStatement(n) || (name !== undefined && ts.isIdentifier(n) && n.text === name)) {
      found = true;
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

/** The lines (0-based) on which a comment starts or continues: the trivia around every token. */
function commentLines(source: ts.SourceFile): Set<number> {
  const lines = new Set<number>();
  const text = source.text;
  const add = (ranges: ts.CommentRange[] | undefined) => {
    for (const range of ranges ?? []) {
      const from = source.getLineAndCharacterOfPosition(range.pos).line;
      const to = source.getLineAndCharacterOfPosition(range.end).line;
      for (let line = from; line <= to; line++) lines.add(line);
    }
  };
  const visit = (node: ts.Node) => {
    add(ts.getLeadingCommentRanges(text, node.getFullStart()));
    add(ts.getTrailingCommentRanges(text, node.getEnd()));
    for (const child of node.getChildren(source)) visit(child);
  };
  visit(source);
  return lines;
}

export function silentCatchesIn(fileName: string, text: string): Omit<SilentCatch, 'file'>[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: Omit<SilentCatch, 'file'>[] = [];
  let comments: Set<number> | undefined;
  const check = (handler: ts.Node, binding: ts.BindingName | undefined, at: ts.Node) => {
    // A destructured binding is used by construction (it names what it takes).
    const name = binding === undefined ? undefined : ts.isIdentifier(binding) ? binding.text : null;
    if (name === null) return;
    if (usesOrThrows(handler, name)) return;
    const line = source.getLineAndCharacterOfPosition(at.getStart(source)).line;
    const last = source.getLineAndCharacterOfPosition(handler.getEnd()).line;
    comments ??= commentLines(source);
    for (let l = line - 1; l <= last; l++) if (comments.has(l)) return;
    found.push({ line: line + 1, text: (text.split('\n')[line] ?? '').trim() });
  };
  const visit = (node: ts.Node) => {
    if (ts.isCatchClause(node)) {
      check(node.block, node.variableDeclaration?.name, node);
    } else if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'catch' &&
      node.arguments.length === 1
    ) {
      const callback = node.arguments[0];
      if (callback && (ts.isArrowFunction(callback) || ts.isFunctionExpression(callback))) {
        check(callback.body, callback.parameters[0]?.name, node.expression.name);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

export function checkCatches(root: string): SilentCatch[] {
  const out: SilentCatch[] = [];
  const packages = join(root, 'packages');
  for (const pkg of readdirSync(packages)) {
    const src = join(packages, pkg, 'src');
    let files: string[];
    try {
      files = sourceFiles(src);
    } catch (error) {
      // A package without src/ (nothing to check) is fine; anything else is not.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    for (const file of files) {
      const rel = relative(root, file).split(sep).join('/');
      for (const hit of silentCatchesIn(file, readFileSync(file, 'utf8'))) out.push({ file: rel, ...hit });
    }
  }
  return out;
}

const invokedDirectly =
  process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
if (invokedDirectly) {
  const root = resolve(process.argv[2] ?? join(dirname(new URL(import.meta.url).pathname), '..'));
  const silent = checkCatches(root);
  for (const s of silent) {
    console.error(
      `${s.file}:${s.line}: a catch drops its error: log or rethrow it, or say why in a comment (${s.text})`,
    );
  }
  if (silent.length > 0) {
    console.error(`check-catches: ${silent.length} silent catch(es).`);
    process.exit(1);
  }
  console.log('check-catches: every caught error is used, rethrown or explained.');
}
