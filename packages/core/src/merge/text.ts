/**
 * Three-way merge of a text (a template, a message's content): line by line first, then word by
 * word inside the stretches both sides changed, so edits on neighbouring lines, or on different
 * words of one line, merge cleanly. What still overlaps is a conflict region with its base, ours
 * and theirs text.
 */
import { tokenize } from '../diff.ts';
import { mergeSequences } from './diff3.ts';
import type { MergeTextPart } from './schemas.ts';

/** Lines with their line break kept, so joining them gives the text back. */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function pushClean(parts: MergeTextPart[], text: string): void {
  if (text === '') return;
  const last = parts.at(-1);
  if (last && last.op === 'clean') last.text += text;
  else parts.push({ op: 'clean', text });
}

/**
 * Merges `ours` and `theirs`, both edited from `base`. Concatenating the `clean` parts and, for
 * each conflict, one of its sides gives a merged text; with no conflict part the merge is clean.
 *
 * @example
 * mergeText('a\nb\nc\n', 'A\nb\nc\n', 'a\nb\nC\n'); // [{ op: 'clean', text: 'A\nb\nC\n' }]
 */
export function mergeText(base: string, ours: string, theirs: string): MergeTextPart[] {
  const parts: MergeTextPart[] = [];
  for (const chunk of mergeSequences(splitLines(base), splitLines(ours), splitLines(theirs))) {
    if (!chunk.conflict) {
      pushClean(parts, chunk.items.join(''));
      continue;
    }
    const region = { base: chunk.base.join(''), ours: chunk.ours.join(''), theirs: chunk.theirs.join('') };
    const words = mergeSequences(tokenize(region.base), tokenize(region.ours), tokenize(region.theirs));
    if (words.every((w) => !w.conflict)) {
      pushClean(parts, words.map((w) => (w.conflict ? '' : w.items.join(''))).join(''));
    } else {
      // The whole line region is the conflict: word fragments side by side would be unreadable.
      parts.push({ op: 'conflict', ...region });
    }
  }
  return parts;
}

/** The merged text when `parts` has no conflict, else null. */
export function cleanText(parts: readonly MergeTextPart[]): string | null {
  let text = '';
  for (const part of parts) {
    if (part.op === 'conflict') return null;
    text += part.text;
  }
  return text;
}
