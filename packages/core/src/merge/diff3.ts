/**
 * Three-way alignment of sequences (diff3): both sides are aligned against the base with the same
 * Myers LCS the diff uses (`commonRuns`), and the base is cut into stable stretches (kept by both
 * sides) and unstable ones (changed by at least one). Deciding an unstable stretch is the caller's
 * business; {@link mergeSequences} does the usual: one side changed it → that side, both made the
 * same change → it, else a conflict.
 */
import { commonRuns } from '../diff.ts';

/** A stretch of the merge: kept by both sides, or changed by at least one. */
export type Diff3Chunk =
  | { stable: true; items: string[] }
  | { stable: false; base: string[]; ours: string[]; theirs: string[] };

/** For each base index, the index of the item of `side` it is aligned with (LCS), or -1. */
function alignment(base: readonly string[], side: readonly string[]): Int32Array {
  const matched = new Int32Array(base.length).fill(-1);
  // Over the diff's comparison budget the two are too far apart to align: nothing is matched.
  for (const run of commonRuns(base, side) ?? []) {
    for (let k = 0; k < run.length; k++) matched[run.aStart + k] = run.bStart + k;
  }
  return matched;
}

/** Cuts base, ours and theirs into stable and unstable chunks, in order. */
export function diff3(
  base: readonly string[],
  ours: readonly string[],
  theirs: readonly string[],
): Diff3Chunk[] {
  const toOurs = alignment(base, ours);
  const toTheirs = alignment(base, theirs);
  const chunks: Diff3Chunk[] = [];
  let i = 0;
  let j = 0;
  let k = 0;
  for (;;) {
    let run = 0;
    while (i + run < base.length && toOurs[i + run] === j + run && toTheirs[i + run] === k + run) run++;
    if (run > 0) {
      chunks.push({ stable: true, items: base.slice(i, i + run) });
      i += run;
      j += run;
      k += run;
      continue;
    }
    // The next base item both sides kept ends the unstable stretch.
    let b = i;
    while (b < base.length && ((toOurs[b] ?? -1) < 0 || (toTheirs[b] ?? -1) < 0)) b++;
    const oursEnd = b < base.length ? (toOurs[b] ?? ours.length) : ours.length;
    const theirsEnd = b < base.length ? (toTheirs[b] ?? theirs.length) : theirs.length;
    if (b > i || oursEnd > j || theirsEnd > k) {
      chunks.push({
        stable: false,
        base: base.slice(i, b),
        ours: ours.slice(j, oursEnd),
        theirs: theirs.slice(k, theirsEnd),
      });
    }
    if (b >= base.length) break;
    i = b;
    j = oursEnd;
    k = theirsEnd;
  }
  return chunks;
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

/** A decided stretch, or a conflict with the three versions of it. */
export type MergedChunk =
  | { conflict: false; items: string[] }
  | { conflict: true; base: string[]; ours: string[]; theirs: string[] };

/**
 * diff3 with the usual decisions: a stretch changed on one side only takes that side, the same
 * change on both sides is taken once, and different changes to one stretch are a conflict.
 * Adjacent decided chunks are joined.
 */
export function mergeSequences(
  base: readonly string[],
  ours: readonly string[],
  theirs: readonly string[],
): MergedChunk[] {
  const out: MergedChunk[] = [];
  const keep = (items: string[]): void => {
    if (items.length === 0) return;
    const last = out.at(-1);
    if (last && !last.conflict) last.items.push(...items);
    else out.push({ conflict: false, items: [...items] });
  };
  for (const chunk of diff3(base, ours, theirs)) {
    if (chunk.stable) keep(chunk.items);
    else if (same(chunk.ours, chunk.base)) keep(chunk.theirs);
    else if (same(chunk.theirs, chunk.base) || same(chunk.ours, chunk.theirs)) keep(chunk.ours);
    else out.push({ conflict: true, base: chunk.base, ours: chunk.ours, theirs: chunk.theirs });
  }
  return out;
}
