/**
 * The partial graph of an environment: which served prompt includes which (`{{> name}}`), and
 * what in it would make a render fail — a partial the environment does not serve, a cycle, or a
 * chain deeper than renders allow. Deploys check it before they change what an environment serves.
 */
import type { VersionContent } from '../schemas.ts';
import { extractPartials } from './content.ts';
import { DEFAULT_MAX_PARTIAL_DEPTH } from './engine.ts';

/** One prompt as an environment serves it: its switch and the content of every variant that can be picked. */
export interface ServedForGraph {
  enabled: boolean;
  /** Contents of the variants with a weight above zero (a zero-weight variant is never picked). */
  contents: readonly VersionContent[];
}

/** Why a partial cannot be included: not deployed, switched off, or (some variant) a chat prompt. */
export type PartialUnavailable = 'not-deployed' | 'disabled' | 'chat';

/** Something in the graph that makes renders fail, with a key that identifies it across two graphs. */
export type PartialProblem =
  | { kind: 'missing'; key: string; partial: string; includedBy: string; reason: PartialUnavailable }
  | { kind: 'cycle'; key: string; cycle: string[] }
  | { kind: 'too-deep'; key: string; path: string[]; maxDepth: number };

/**
 * Every problem of the partial graph of `served` (prompt name → release), as renders by the
 * server and the SDK would meet them: each enabled prompt's variants include partials, which must
 * be served, enabled and text in every variant; include chains must not loop or nest deeper than
 * `maxDepth` (the root's direct partials are depth 1). Problems come in a stable order.
 *
 * @example
 * partialGraphProblems(new Map([['a', { enabled: true, contents: [{ type: 'text', template: '{{> b}}' }] }]]));
 * // [{ kind: 'missing', partial: 'b', includedBy: 'a', reason: 'not-deployed', key: 'missing:a>b' }]
 */
export function partialGraphProblems(
  served: ReadonlyMap<string, ServedForGraph>,
  maxDepth: number = DEFAULT_MAX_PARTIAL_DEPTH,
): PartialProblem[] {
  const problems = new Map<string, PartialProblem>();
  const add = (problem: PartialProblem) => {
    if (!problems.has(problem.key)) problems.set(problem.key, problem);
  };
  // The partials each served prompt includes when it is itself included (text variants only: a
  // chat variant cannot be a partial and is reported as unavailable instead).
  const includes = new Map<string, string[]>();
  const unavailable = (name: string): PartialUnavailable | undefined => {
    const release = served.get(name);
    if (!release) return 'not-deployed';
    if (!release.enabled) return 'disabled';
    return release.contents.some((c) => c.type !== 'text') ? 'chat' : undefined;
  };
  const childrenOf = (name: string): string[] => {
    let children = includes.get(name);
    if (children === undefined) {
      const set = new Set<string>();
      for (const content of served.get(name)?.contents ?? []) {
        if (content.type === 'text') for (const p of extractPartials(content)) set.add(p);
      }
      children = [...set].sort();
      includes.set(name, children);
    }
    return children;
  };

  // Longest include chain below each fully explored partial (itself first): a partial reached
  // again by another route is depth-checked without walking it twice.
  const deepest = new Map<string, string[]>();
  const path: string[] = [];
  const visit = (name: string): string[] => {
    const includer = path[path.length - 1] ?? '';
    const reason = unavailable(name);
    if (reason !== undefined) {
      add({
        kind: 'missing',
        key: `missing:${includer}>${name}`,
        partial: name,
        includedBy: includer,
        reason,
      });
      return [];
    }
    const start = path.indexOf(name);
    if (start !== -1) {
      const loop = path.slice(start);
      add({ kind: 'cycle', key: `cycle:${rotateToSmallest(loop).join('>')}`, cycle: [...loop, name] });
      return [];
    }
    const known = deepest.get(name);
    // path[0] is the root, which is not a level of nesting.
    if (known !== undefined) {
      if (path.length - 1 + known.length > maxDepth) tooDeep([...path, ...known]);
      return known;
    }
    path.push(name);
    let longest: string[] = [];
    for (const child of childrenOf(name)) {
      const chain = visit(child);
      if (chain.length > longest.length) longest = chain;
    }
    path.pop();
    const chain = [name, ...longest];
    if (path.length - 1 + chain.length > maxDepth) tooDeep([...path, ...chain]);
    deepest.set(name, chain);
    return chain;
  };
  const tooDeep = (chain: string[]) => {
    add({ kind: 'too-deep', key: `too-deep:${chain[0] ?? ''}`, path: chain, maxDepth });
  };

  for (const [root, release] of [...served].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!release.enabled) continue;
    const direct = new Set<string>();
    for (const content of release.contents) for (const p of extractPartials(content)) direct.add(p);
    path.push(root);
    for (const partial of [...direct].sort()) visit(partial);
    path.pop();
  }
  return [...problems.values()];
}

/** The same cycle whichever member it was entered by: rotated to start at its smallest name. */
function rotateToSmallest(loop: string[]): string[] {
  let best = 0;
  loop.forEach((name, i) => {
    if (name < (loop[best] ?? '')) best = i;
  });
  return [...loop.slice(best), ...loop.slice(0, best)];
}
