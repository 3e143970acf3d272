/**
 * The review screen's keyboard: which value a key picks for a score definition, and what the
 * other keys do. Pure, so it is tested without a browser.
 */
import type { ScoreDefinition } from '@promptline/core';

export type ScoreValue = number | boolean | string;

/** A value a key picks: `1`–`9` for a category or a step of a small whole-number range, `y`/`n` for a boolean. */
export interface KeyedOption {
  key: string;
  value: ScoreValue;
  label: string;
}

/**
 * The keyed options of a definition, or null when its values are typed (a numeric range that is
 * unbounded, fractional or longer than nine steps).
 */
export function keyedOptions(
  d: Pick<ScoreDefinition, 'dataType' | 'min' | 'max' | 'categories'>,
): KeyedOption[] | null {
  if (d.dataType === 'boolean') {
    return [
      { key: 'y', value: true, label: 'yes' },
      { key: 'n', value: false, label: 'no' },
    ];
  }
  if (d.dataType === 'categorical') {
    if (d.categories.length > 9) return null;
    return d.categories.map((c, i) => ({ key: String(i + 1), value: c, label: c }));
  }
  const { min, max } = d;
  if (min === null || max === null || !Number.isInteger(min) || !Number.isInteger(max) || max - min > 8)
    return null;
  return Array.from({ length: max - min + 1 }, (_, i) => ({
    key: String(i + 1),
    value: min + i,
    label: String(min + i),
  }));
}

export type ReviewAction =
  | { type: 'set'; value: ScoreValue }
  | { type: 'submit' }
  | { type: 'skip' }
  | { type: 'comment' }
  | { type: 'dataset' }
  | { type: 'help' }
  | { type: 'move'; by: 1 | -1 };

/** What a key press does with `current` the definition in focus (undefined: the key does nothing). */
export function reviewAction(
  key: string,
  current: Pick<ScoreDefinition, 'dataType' | 'min' | 'max' | 'categories'> | undefined,
): ReviewAction | undefined {
  switch (key) {
    case 'Enter':
      return { type: 'submit' };
    case 's':
      return { type: 'skip' };
    case 'c':
      return { type: 'comment' };
    case 'd':
      return { type: 'dataset' };
    case '?':
      return { type: 'help' };
    case 'ArrowDown':
    case 'j':
      return { type: 'move', by: 1 };
    case 'ArrowUp':
    case 'k':
      return { type: 'move', by: -1 };
  }
  if (!current) return undefined;
  const option = keyedOptions(current)?.find((o) => o.key === key);
  return option ? { type: 'set', value: option.value } : undefined;
}

/** The shortcuts as the page lists them. */
export const SHORTCUTS: readonly [string, string][] = [
  ['1–9', 'pick a value of the score in focus'],
  ['y / n', 'yes / no for a boolean score'],
  ['↓ ↑ (j / k)', 'move between scores'],
  ['c', 'write a comment (Esc leaves it)'],
  ['Enter', 'submit and take the next item'],
  ['s', 'skip this item'],
  ['d', 'add the trace to a dataset'],
  ['?', 'show or hide these shortcuts'],
];
