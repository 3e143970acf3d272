import { describe, expect, it } from 'vitest';
import { extractVariables, scanTags } from './mustache.ts';

describe('extractVariables', () => {
  it('lists top-level names in order of first use', () => {
    expect(extractVariables('Hi {{user.name}}, about {{topic}} and {{ user.id }}')).toEqual([
      'user',
      'topic',
    ]);
  });

  it('counts a section name but not the fields used inside it', () => {
    expect(extractVariables('{{#items}}- {{title}}{{/items}}{{^items}}none{{/items}} {{after}}')).toEqual([
      'items',
      'after',
    ]);
  });

  it('ignores comments and partials, and reads triple mustaches', () => {
    expect(extractVariables('{{! note }}{{> other/prompt}}{{{raw}}}{{&amp}}')).toEqual(['raw', 'amp']);
  });
});

describe('scanTags', () => {
  it('gives each tag its kind and position', () => {
    expect(scanTags('a {{#s}}{{/s}}')).toEqual([
      { kind: 'section', name: 's', from: 2, to: 8 },
      { kind: 'close', name: 's', from: 8, to: 14 },
    ]);
  });
});
