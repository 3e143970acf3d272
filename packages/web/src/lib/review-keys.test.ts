import { describe, expect, it } from 'vitest';
import { keyedOptions, reviewAction } from './review-keys.ts';

const numeric = (min: number | null, max: number | null) => ({
  dataType: 'numeric' as const,
  min,
  max,
  categories: [],
});
const categorical = (categories: string[]) => ({
  dataType: 'categorical' as const,
  min: null,
  max: null,
  categories,
});
const boolean = { dataType: 'boolean' as const, min: null, max: null, categories: [] };

describe('review keys', () => {
  it('keys the steps of a small whole-number range from 1, and types anything else', () => {
    expect(keyedOptions(numeric(1, 5))?.map((o) => [o.key, o.value])).toEqual([
      ['1', 1],
      ['2', 2],
      ['3', 3],
      ['4', 4],
      ['5', 5],
    ]);
    expect(keyedOptions(numeric(0, 1))?.map((o) => [o.key, o.value])).toEqual([
      ['1', 0],
      ['2', 1],
    ]);
    expect(keyedOptions(numeric(0, 10))).toBeNull();
    expect(keyedOptions(numeric(0, 0.5))).toBeNull();
    expect(keyedOptions(numeric(null, 5))).toBeNull();
  });

  it('keys up to nine categories in order, and y/n for a boolean', () => {
    expect(keyedOptions(categorical(['a', 'b']))?.map((o) => [o.key, o.value])).toEqual([
      ['1', 'a'],
      ['2', 'b'],
    ]);
    expect(keyedOptions(categorical(Array.from({ length: 10 }, (_, i) => `c${i}`)))).toBeNull();
    expect(reviewAction('y', boolean)).toEqual({ type: 'set', value: true });
    expect(reviewAction('n', boolean)).toEqual({ type: 'set', value: false });
    expect(reviewAction('1', boolean)).toBeUndefined();
  });

  it('maps the other keys whatever the score in focus, and ignores unknown ones', () => {
    expect(reviewAction('3', categorical(['a', 'b', 'c']))).toEqual({ type: 'set', value: 'c' });
    expect(reviewAction('4', categorical(['a', 'b', 'c']))).toBeUndefined();
    expect(reviewAction('Enter', undefined)).toEqual({ type: 'submit' });
    expect(reviewAction('s', boolean)).toEqual({ type: 'skip' });
    expect(reviewAction('c', undefined)).toEqual({ type: 'comment' });
    expect(reviewAction('d', undefined)).toEqual({ type: 'dataset' });
    expect(reviewAction('?', undefined)).toEqual({ type: 'help' });
    expect(reviewAction('ArrowDown', undefined)).toEqual({ type: 'move', by: 1 });
    expect(reviewAction('k', undefined)).toEqual({ type: 'move', by: -1 });
    expect(reviewAction('x', boolean)).toBeUndefined();
  });
});
