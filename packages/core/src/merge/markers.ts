/**
 * Conflict markers, as git writes them, for a merge outcome's text: the CLI writes them to a file
 * for a person to resolve in an editor.
 *
 * ```
 * <<<<<<< main
 * our lines
 * =======
 * their lines
 * >>>>>>> experiment/shorter
 * ```
 */
import type { MergeTextPart } from './schemas.ts';

const withBreak = (text: string): string => (text === '' || text.endsWith('\n') ? text : `${text}\n`);

/** The text of `parts` with each conflict written between markers labelled `ours` and `theirs`. */
export function withConflictMarkers(parts: readonly MergeTextPart[], ours: string, theirs: string): string {
  let out = '';
  for (const part of parts) {
    if (part.op === 'clean') {
      out += part.text;
      continue;
    }
    out = withBreak(out);
    out += `<<<<<<< ${ours}\n${withBreak(part.ours)}=======\n${withBreak(part.theirs)}>>>>>>> ${theirs}\n`;
  }
  return out;
}

/** True when `text` still holds a conflict marker line. */
export function hasConflictMarkers(text: string): boolean {
  return /^(<{7} |={7}$|>{7} )/m.test(text);
}
