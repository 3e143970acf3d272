import { describe, expect, it } from 'vitest';
import type { VersionContent } from '../schemas.ts';
import { partialGraphProblems, type ServedForGraph } from './index.ts';

const text = (template: string): VersionContent => ({ type: 'text', template });
const on = (...templates: string[]): ServedForGraph => ({ enabled: true, contents: templates.map(text) });
const graph = (entries: Record<string, ServedForGraph>) => new Map(Object.entries(entries));

describe('partialGraphProblems', () => {
  it('finds nothing wrong in a graph whose partials are all served', () => {
    expect(
      partialGraphProblems(
        graph({
          main: on('{{> shared/tone}} {{q}}'),
          'shared/tone': on('Be kind. {{> sign}}'),
          sign: on('—'),
        }),
      ),
    ).toEqual([]);
  });

  it('names a partial that is not deployed, disabled or chat, and who includes it', () => {
    const problems = partialGraphProblems(
      graph({
        a: on('{{> gone}}'),
        b: on('{{> off}}', 'v2 without it'),
        off: { enabled: false, contents: [text('x')] },
        c: on('{{> talk}}'),
        talk: { enabled: true, contents: [{ type: 'chat', messages: [{ role: 'user', content: 'hi' }] }] },
      }),
    );
    expect(
      problems.map((p) => (p.kind === 'missing' ? [p.includedBy, p.partial, p.reason] : p.kind)),
    ).toEqual([
      ['a', 'gone', 'not-deployed'],
      ['b', 'off', 'disabled'],
      ['c', 'talk', 'chat'],
    ]);
  });

  it('checks every variant, chat messages included, and ignores disabled prompts as includers', () => {
    const problems = partialGraphProblems(
      graph({
        split: on('fine', 'uses {{> nope}}'),
        chat: {
          enabled: true,
          contents: [{ type: 'chat', messages: [{ role: 'system', content: '{{> alsonope}}' }] }],
        },
        dormant: { enabled: false, contents: [text('{{> nowhere}}')] },
      }),
    );
    expect(problems.map((p) => p.key)).toEqual(['missing:chat>alsonope', 'missing:split>nope']);
  });

  it('reports a cycle once, whichever prompt it is entered from', () => {
    const problems = partialGraphProblems(
      graph({ a: on('{{> b}}'), b: on('{{> c}}'), c: on('{{#l}}{{> a}}{{/l}}'), root: on('{{> b}}') }),
    );
    expect(problems).toEqual([{ kind: 'cycle', key: 'cycle:a>b>c', cycle: ['a', 'b', 'c', 'a'] }]);
  });

  it('reports a chain deeper than the render limit', () => {
    const chain = graph({
      root: on('{{> p1}}'),
      p1: on('{{> p2}}'),
      p2: on('{{> p3}}'),
      p3: on('{{> p4}}'),
      p4: on('{{> p5}}'),
      p5: on('end'),
    });
    // p1 included by root is at depth 1 … p5 at depth 5: allowed. Root p1 itself reaches only 4.
    expect(partialGraphProblems(chain)).toEqual([]);
    chain.set('p5', on('{{> p6}}'));
    chain.set('p6', on('end'));
    const problems = partialGraphProblems(chain);
    expect(problems).toEqual([
      {
        kind: 'too-deep',
        key: 'too-deep:root',
        path: ['root', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6'],
        maxDepth: 5,
      },
    ]);
  });
});
