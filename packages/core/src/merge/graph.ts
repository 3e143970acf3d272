/** The version DAG of a prompt: ancestry and the merge base of two versions. */

/** A version as the graph needs it: its number and its parents' numbers. */
export interface GraphVersion {
  number: number;
  parents: readonly number[];
}

/** `number` and every version it descends from. */
export function ancestorsOf(versions: ReadonlyMap<number, readonly number[]>, number: number): Set<number> {
  const seen = new Set<number>();
  const stack = [number];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    for (const parent of versions.get(next) ?? []) stack.push(parent);
  }
  return seen;
}

/** Parents by number, for {@link ancestorsOf} and {@link mergeBase}. */
export function parentMap(versions: readonly GraphVersion[]): Map<number, readonly number[]> {
  return new Map(versions.map((v) => [v.number, v.parents]));
}

/**
 * The best common ancestor of `a` and `b`: a common ancestor that no other common ancestor
 * descends from (a version counts as its own ancestor). After criss-cross merges there can be
 * several; the newest (highest number) is taken. Null when they share no history.
 *
 * @example
 * // 1 ← 2 ← 3 (main), 2 ← 4 (branch)
 * mergeBase(parentMap([{number:1,parents:[]},{number:2,parents:[1]},{number:3,parents:[2]},{number:4,parents:[2]}]), 3, 4); // 2
 */
export function mergeBase(
  versions: ReadonlyMap<number, readonly number[]>,
  a: number,
  b: number,
): number | null {
  const fromA = ancestorsOf(versions, a);
  const common = [...ancestorsOf(versions, b)].filter((n) => fromA.has(n));
  // A common ancestor is "best" unless it is a strict ancestor of another common one.
  const dominated = new Set<number>();
  for (const n of common) {
    for (const ancestor of ancestorsOf(versions, n)) if (ancestor !== n) dominated.add(ancestor);
  }
  const best = common.filter((n) => !dominated.has(n));
  return best.length === 0 ? null : Math.max(...best);
}
