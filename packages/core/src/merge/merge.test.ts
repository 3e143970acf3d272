import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChatMessage, ModelConfig } from '../schemas.ts';
import { mergeBase, parentMap } from './graph.ts';
import { hasConflictMarkers, withConflictMarkers } from './markers.ts';
import { cleanText, mergeText } from './text.ts';
import { type MergeSide, mergeConfig, mergedVersion, mergeMessages, mergeVersions } from './version.ts';

const text = (template: string, config: ModelConfig = {}): MergeSide => ({
  content: { type: 'text', template },
  config,
});
const chat = (messages: ChatMessage[], config: ModelConfig = {}): MergeSide => ({
  content: { type: 'chat', messages },
  config,
});

describe('mergeText', () => {
  it('takes changes to different lines from both sides', () => {
    const parts = mergeText('one\ntwo\nthree\nfour\n', 'ONE\ntwo\nthree\nfour\n', 'one\ntwo\nthree\nFOUR\n');
    expect(cleanText(parts)).toBe('ONE\ntwo\nthree\nFOUR\n');
  });

  it('merges word by word when both sides changed the same line in different places', () => {
    const parts = mergeText(
      'You are a helpful assistant. Answer briefly.\n',
      'You are a friendly assistant. Answer briefly.\n',
      'You are a helpful assistant. Answer in French.\n',
    );
    expect(cleanText(parts)).toBe('You are a friendly assistant. Answer in French.\n');
  });

  it('merges edits of neighbouring lines (no stable line between them) word by word', () => {
    const parts = mergeText('a b\nc d\n', 'a B\nc d\n', 'a b\nC d\n');
    expect(cleanText(parts)).toBe('a B\nC d\n');
  });

  it('reports the region as a conflict when both sides changed the same words differently', () => {
    const parts = mergeText(
      'intro\nBe brief.\noutro\n',
      'intro\nBe very brief.\noutro\n',
      'intro\nBe terse.\noutro\n',
    );
    expect(cleanText(parts)).toBeNull();
    expect(parts).toEqual([
      { op: 'clean', text: 'intro\n' },
      { op: 'conflict', base: 'Be brief.\n', ours: 'Be very brief.\n', theirs: 'Be terse.\n' },
      { op: 'clean', text: 'outro\n' },
    ]);
  });

  it('takes an identical change once', () => {
    expect(cleanText(mergeText('a\n', 'b\n', 'b\n'))).toBe('b\n');
  });

  it('keeps a text without a final line break as it is', () => {
    expect(cleanText(mergeText('a\nb', 'a\nB', 'A\nb'))).toBe('A\nB');
  });

  it('writes conflicts between git-style markers', () => {
    const parts = mergeText('x\nold\ny', 'x\nours\ny', 'x\ntheirs\ny');
    const marked = withConflictMarkers(parts, 'main', 'experiment/shorter');
    expect(marked).toBe('x\n<<<<<<< main\nours\n=======\ntheirs\n>>>>>>> experiment/shorter\ny');
    expect(hasConflictMarkers(marked)).toBe(true);
    expect(hasConflictMarkers('x\n=== not a marker\n')).toBe(false);
  });
});

const line = fc.stringMatching(/^[a-z ]{0,12}$/);
const lines = fc.array(line, { minLength: 0, maxLength: 12 });
const toText = (list: readonly string[]): string => list.map((l) => `${l}\n`).join('');

describe('mergeText properties', () => {
  it('a side left as the base yields the other side, cleanly', () => {
    fc.assert(
      fc.property(lines, lines, (base, other) => {
        expect(cleanText(mergeText(toText(base), toText(other), toText(base)))).toBe(toText(other));
        expect(cleanText(mergeText(toText(base), toText(base), toText(other)))).toBe(toText(other));
      }),
    );
  });

  it('the same change on both sides is that change', () => {
    fc.assert(
      fc.property(lines, lines, (base, both) => {
        expect(cleanText(mergeText(toText(base), toText(both), toText(both)))).toBe(toText(both));
      }),
    );
  });

  it('is symmetric: swapping the sides swaps ours and theirs and nothing else', () => {
    fc.assert(
      fc.property(lines, lines, lines, (base, ours, theirs) => {
        const forward = mergeText(toText(base), toText(ours), toText(theirs));
        const backward = mergeText(toText(base), toText(theirs), toText(ours));
        expect(backward).toEqual(
          forward.map((p) => (p.op === 'clean' ? p : { ...p, ours: p.theirs, theirs: p.ours })),
        );
      }),
    );
  });

  it('edits of lines apart from each other (an untouched line between) always merge cleanly', () => {
    const distinct = fc.uniqueArray(fc.stringMatching(/^[a-z]{3,8}$/), { minLength: 6, maxLength: 20 });
    fc.assert(
      fc.property(distinct, fc.nat(), fc.nat(), (base, a, b) => {
        const i = a % base.length;
        const j = b % base.length;
        fc.pre(Math.abs(i - j) >= 2);
        const ours = base.map((l, k) => (k === i ? `${l} ours` : l));
        const theirs = base.map((l, k) => (k === j ? `${l} theirs` : l));
        const both = base.map((l, k) => (k === i ? `${l} ours` : k === j ? `${l} theirs` : l));
        expect(cleanText(mergeText(toText(base), toText(ours), toText(theirs)))).toBe(toText(both));
      }),
    );
  });

  it('choosing a side for every conflict gives a text that contains the clean parts in order', () => {
    fc.assert(
      fc.property(lines, lines, lines, (base, ours, theirs) => {
        const parts = mergeText(toText(base), toText(ours), toText(theirs));
        const mine = parts.map((p) => (p.op === 'clean' ? p.text : p.ours)).join('');
        const marked = withConflictMarkers(parts, 'main', 'b');
        expect(hasConflictMarkers(marked)).toBe(parts.some((p) => p.op === 'conflict'));
        if (!parts.some((p) => p.op === 'conflict')) expect(marked).toBe(mine);
      }),
    );
  });
});

describe('mergeConfig', () => {
  it('merges keys changed on different sides, recursing into parameters', () => {
    const { config, conflicts } = mergeConfig(
      { model: 'gpt-4o', parameters: { temperature: 0.2, top_p: 1 } },
      { model: 'gpt-4o-mini', parameters: { temperature: 0.2, top_p: 1 } },
      { model: 'gpt-4o', parameters: { temperature: 0.7, top_p: 1, max_tokens: 100 } },
    );
    expect(conflicts).toEqual([]);
    expect(config).toEqual({
      model: 'gpt-4o-mini',
      parameters: { temperature: 0.7, top_p: 1, max_tokens: 100 },
    });
  });

  it('reports a key changed differently on both sides, keeping ours in the draft', () => {
    const { config, conflicts } = mergeConfig(
      { parameters: { temperature: 0.2 } },
      { parameters: { temperature: 0.3 } },
      { parameters: { temperature: 0.9 } },
    );
    expect(config).toEqual({ parameters: { temperature: 0.3 } });
    expect(conflicts).toEqual([
      { key: 'parameters.temperature', kind: 'config', base: 0.2, ours: 0.3, theirs: 0.9 },
    ]);
  });

  it('treats a removal against a change as a conflict, and removals on one side as removals', () => {
    const removed = mergeConfig({ model: 'a', provider: 'p' }, { model: 'a' }, { model: 'b', provider: 'p' });
    expect(removed).toEqual({ config: { model: 'b' }, conflicts: [] });
    const clash = mergeConfig({ model: 'a' }, {}, { model: 'b' });
    expect(clash.conflicts).toEqual([{ key: 'model', kind: 'config', base: 'a', theirs: 'b' }]);
  });

  it('merges the input schema per property and names schema conflicts as such', () => {
    const base: ModelConfig = { input: { schema: { name: 'string' } } };
    const clean = mergeConfig(
      base,
      { input: { schema: { name: 'string', tone: 'string' } } },
      { input: { schema: { name: 'string', lang: 'string' } } },
    );
    expect(clean.config).toEqual({ input: { schema: { lang: 'string', name: 'string', tone: 'string' } } });
    const clash = mergeConfig(
      { output: { format: 'json' } },
      { output: { format: 'text' } },
      { output: { format: 'json', schema: { type: 'object' } } },
    );
    expect(clash.conflicts).toEqual([]);
    const both = mergeConfig(
      base,
      { input: { schema: { name: 'number' } } },
      { input: { schema: { name: 'any' } } },
    );
    expect(both.conflicts).toEqual([
      { key: 'input.schema.name', kind: 'schema', base: 'string', ours: 'number', theirs: 'any' },
    ]);
  });

  it('property: a side equal to the base yields the other side', () => {
    const value = fc.jsonValue({ maxDepth: 3 });
    const config = fc.dictionary(fc.constantFrom('model', 'provider', 'parameters', 'tools', 'extra'), value);
    fc.assert(
      fc.property(config, config, (base, other) => {
        const cfg = (c: Record<string, unknown>) => JSON.parse(JSON.stringify(c)) as ModelConfig;
        expect(mergeConfig(cfg(base), cfg(other), cfg(base))).toEqual({ config: cfg(other), conflicts: [] });
        expect(mergeConfig(cfg(base), cfg(base), cfg(other)).conflicts).toEqual([]);
      }),
    );
  });
});

describe('mergeMessages', () => {
  const system = (content: string): ChatMessage => ({ role: 'system', content });
  const user = (content: string): ChatMessage => ({ role: 'user', content });

  it('merges changes to different messages', () => {
    const parts = mergeMessages(
      [system('Be kind.'), user('{{q}}')],
      [system('Be kind and brief.'), user('{{q}}')],
      [system('Be kind.'), user('Question: {{q}}')],
    );
    expect(parts).toEqual([
      { op: 'clean', messages: [system('Be kind and brief.'), user('Question: {{q}}')] },
    ]);
  });

  it('merges the content of one message edited on both sides, word by word', () => {
    const parts = mergeMessages(
      [system('Be kind. Be brief.')],
      [system('Be warm. Be brief.')],
      [system('Be kind. Be terse.')],
    );
    expect(parts).toEqual([{ op: 'clean', messages: [system('Be warm. Be terse.')] }]);
  });

  it('reports a message whose content conflicts with its role and text parts', () => {
    const parts = mergeMessages(
      [user('x'), system('Be brief.')],
      [user('x'), system('Be short.')],
      [user('x'), system('Be terse.')],
    );
    expect(parts).toEqual([
      { op: 'clean', messages: [user('x')] },
      {
        op: 'text',
        role: 'system',
        parts: [{ op: 'conflict', base: 'Be brief.', ours: 'Be short.', theirs: 'Be terse.' }],
      },
    ]);
  });

  it('keeps a message added on one side and reports different additions at the same place', () => {
    expect(mergeMessages([system('s')], [system('s'), user('a')], [system('s')])).toEqual([
      { op: 'clean', messages: [system('s'), user('a')] },
    ]);
    expect(mergeMessages([system('s')], [system('s'), user('a')], [system('s'), user('b')])).toEqual([
      { op: 'clean', messages: [system('s')] },
      { op: 'conflict', base: [], ours: [user('a')], theirs: [user('b')] },
    ]);
  });

  it('merges placeholders as whole messages', () => {
    const history: ChatMessage = { type: 'placeholder', name: 'history' };
    const parts = mergeMessages([system('s'), history], [system('S'), history], [system('s')]);
    expect(parts).toEqual([{ op: 'clean', messages: [system('S')] }]);
  });
});

describe('mergeVersions', () => {
  it('merges template and config into one clean version', () => {
    const outcome = mergeVersions(
      text('Hello {{name}}.\nBe brief.\n', { model: 'a' }),
      text('Hello {{name}}!\nBe brief.\n', { model: 'a' }),
      text('Hello {{name}}.\nBe brief.\n', { model: 'b' }),
    );
    expect(outcome.conflicts).toBe(0);
    expect(mergedVersion(outcome)).toEqual(text('Hello {{name}}!\nBe brief.\n', { model: 'b' }));
  });

  it('counts template, message and config conflicts', () => {
    const outcome = mergeVersions(
      text('a\n', { model: 'x' }),
      text('b\n', { model: 'y' }),
      text('c\n', { model: 'z' }),
    );
    expect(outcome.conflicts).toBe(2);
    expect(mergedVersion(outcome)).toBeNull();
  });

  it('takes a switch from text to chat when the other side kept the base, else reports the content', () => {
    const base = text('hi');
    const switched = chat([{ role: 'user', content: 'hi' }]);
    expect(mergedVersion(mergeVersions(base, base, switched))).toEqual(switched);
    const outcome = mergeVersions(base, text('hello'), switched);
    expect(outcome.conflicts).toBe(1);
    expect(outcome.content).toEqual({
      base: base.content,
      ours: { type: 'text', template: 'hello' },
      theirs: switched.content,
    });
  });
});

describe('mergeBase', () => {
  // 1 ← 2 ← 3 ← 6 (main, 6 merges 5)   2 ← 4 ← 5 (branch)
  const graph = parentMap([
    { number: 1, parents: [] },
    { number: 2, parents: [1] },
    { number: 3, parents: [2] },
    { number: 4, parents: [2] },
    { number: 5, parents: [4] },
    { number: 6, parents: [3, 5] },
    { number: 7, parents: [5] },
  ]);

  it('is the fork point of two lines', () => {
    expect(mergeBase(graph, 3, 5)).toBe(2);
  });

  it('after a merge, is the branch head that was merged', () => {
    expect(mergeBase(graph, 6, 7)).toBe(5);
  });

  it('is the version itself when one descends from the other', () => {
    expect(mergeBase(graph, 6, 3)).toBe(3);
  });

  it('is null for versions with no shared history', () => {
    expect(
      mergeBase(
        parentMap([
          { number: 1, parents: [] },
          { number: 2, parents: [] },
        ]),
        1,
        2,
      ),
    ).toBeNull();
  });
});

describe('mergeMessages across insertions', () => {
  it('merges an edited message when the other side appended one after it', () => {
    const s: ChatMessage = { role: 'system', content: 'Be kind.' };
    const u: ChatMessage = { role: 'user', content: '{{q}}' };
    const parts = mergeMessages(
      [s, u],
      [s, { role: 'user', content: 'Q: {{q}}' }],
      [s, u, { role: 'user', content: 'Thanks' }],
    );
    expect(parts).toEqual([
      {
        op: 'clean',
        messages: [s, { role: 'user', content: 'Q: {{q}}' }, { role: 'user', content: 'Thanks' }],
      },
    ]);
  });
});
