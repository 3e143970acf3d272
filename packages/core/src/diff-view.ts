/**
 * Helpers for drawing a {@link VersionDiff} (the web app's diff tab, `formatDiff` in a terminal):
 * pure functions over the diff's shapes, with no diff algorithm and no schema library, so a browser
 * can import them through `@promptline/core/browser`.
 */
import type { ChatMessage, TextDiffPart, VersionDiff } from './schemas.ts';

/** A chat message that is text (not a placeholder). */
export function isTextMessage(message: ChatMessage): message is Extract<ChatMessage, { role: string }> {
  return !('type' in message && message.type === 'placeholder');
}

/**
 * The parts one side of a side-by-side view shows: `before` drops insertions, `after` drops
 * deletions; the unchanged parts are on both.
 *
 * @example
 * diffSide([{ op: 'equal', text: 'Hi ' }, { op: 'delete', text: 'Bob' }, { op: 'insert', text: 'Ada' }], 'after');
 * // [{ op: 'equal', text: 'Hi ' }, { op: 'insert', text: 'Ada' }]
 */
export function diffSide(parts: readonly TextDiffPart[], side: 'before' | 'after'): TextDiffPart[] {
  const hidden = side === 'before' ? 'insert' : 'delete';
  return parts.filter((part) => part.op !== hidden);
}

/**
 * True when two versions render the same: same type, no config change, no variable added or
 * removed, and every text part or message equal.
 */
export function isUnchangedDiff(diff: VersionDiff): boolean {
  return (
    !diff.typeChanged &&
    diff.config.length === 0 &&
    diff.variables.added.length === 0 &&
    diff.variables.removed.length === 0 &&
    (diff.text ?? []).every((part) => part.op === 'equal') &&
    (diff.messages ?? []).every((message) => message.op === 'equal')
  );
}

/** One line naming a chat message: `system: Be brief.`, or `[placeholder: history]`. */
export function describeChatMessage(message: ChatMessage): string {
  return isTextMessage(message) ? `${message.role}: ${message.content}` : `[placeholder: ${message.name}]`;
}
