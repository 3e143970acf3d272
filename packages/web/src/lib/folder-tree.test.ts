import { describe, expect, it } from 'vitest';
import { ancestorsOf, buildFolderTree } from './folder-tree.ts';

describe('buildFolderTree', () => {
  it('nests folders by path segment and counts the prompts below each', () => {
    const tree = buildFolderTree([
      'support/triage',
      'support/billing/refund',
      'support/billing/dispute',
      'welcome',
    ]);
    expect(tree.count).toBe(4);
    expect(tree.children.map((c) => [c.path, c.count])).toEqual([['support/', 3]]);
    const support = tree.children[0];
    expect(support?.children.map((c) => [c.name, c.path, c.count])).toEqual([
      ['billing', 'support/billing/', 2],
    ]);
  });

  it('sorts sibling folders by name', () => {
    const tree = buildFolderTree(['b/x', 'a/x', 'c/x']);
    expect(tree.children.map((c) => c.name)).toEqual(['a', 'b', 'c']);
  });
});

describe('ancestorsOf', () => {
  it('lists every folder from the root to the path', () => {
    expect(ancestorsOf('support/billing/')).toEqual(['support/', 'support/billing/']);
    expect(ancestorsOf('')).toEqual([]);
  });
});
