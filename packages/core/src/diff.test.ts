import { describe, expect, it } from 'vitest';
import { diffConfig, diffMessages, diffVersions, diffWords, formatDiff } from './diff.ts';
import type { ChatMessage, TextDiffPart, Version } from './schemas.ts';

function sides(parts: readonly TextDiffPart[]): { a: string; b: string } {
  return {
    a: parts
      .filter((p) => p.op !== 'insert')
      .map((p) => p.text)
      .join(''),
    b: parts
      .filter((p) => p.op !== 'delete')
      .map((p) => p.text)
      .join(''),
  };
}

function expectWellFormed(parts: readonly TextDiffPart[], a: string, b: string): void {
  expect(sides(parts)).toEqual({ a, b });
  for (const [i, part] of parts.entries()) {
    expect(part.text).not.toBe('');
    if (i > 0) expect(parts[i - 1]?.op).not.toBe(part.op);
  }
}

/** Small deterministic PRNG (mulberry32) so a failing case can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'the',
  'user',
  'asks',
  'about',
  '{{name}}',
  'refund',
  'é',
  '日本',
  '😀',
  'a',
  'b',
  '.',
  ',',
  '!',
  '\n',
];

function randomText(random: () => number, maxWords: number): string {
  const n = Math.floor(random() * maxWords);
  let out = '';
  for (let i = 0; i < n; i++) {
    out += WORDS[Math.floor(random() * WORDS.length)] ?? '';
    const r = random();
    out += r < 0.6 ? ' ' : r < 0.7 ? '  ' : r < 0.8 ? '\t' : '';
  }
  return out;
}

function mutate(random: () => number, text: string): string {
  const words = text.split(' ');
  const edits = Math.floor(random() * 5);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(random() * (words.length + 1));
    const r = random();
    if (r < 0.33) words.splice(at, 1);
    else if (r < 0.66) words.splice(at, 0, WORDS[Math.floor(random() * WORDS.length)] ?? '');
    else words[at] = `${words[at] ?? ''}x`;
  }
  return words.join(' ');
}

describe('diffWords', () => {
  it('marks an inserted word with its space', () => {
    expect(diffWords('Be brief.', 'Be very brief.')).toEqual([
      { op: 'equal', text: 'Be ' },
      { op: 'insert', text: 'very ' },
      { op: 'equal', text: 'brief.' },
    ]);
  });

  it('puts the deletion before the insertion for a replaced word', () => {
    expect(diffWords('Answer in English.', 'Answer in French.')).toEqual([
      { op: 'equal', text: 'Answer in ' },
      { op: 'delete', text: 'English' },
      { op: 'insert', text: 'French' },
      { op: 'equal', text: '.' },
    ]);
  });

  it('treats whitespace runs and single punctuation characters as tokens of their own', () => {
    expect(diffWords('Hi {{name}}!', 'Hi  {{name}}?')).toEqual([
      { op: 'equal', text: 'Hi' },
      { op: 'delete', text: ' ' },
      { op: 'insert', text: '  ' },
      { op: 'equal', text: '{{name}}' },
      { op: 'delete', text: '!' },
      { op: 'insert', text: '?' },
    ]);
  });

  it('keeps whole words of non-Latin scripts and whole emoji', () => {
    expect(diffWords('Grüße 😀 日本語', 'Grüße 🚀 日本語')).toEqual([
      { op: 'equal', text: 'Grüße ' },
      { op: 'delete', text: '😀' },
      { op: 'insert', text: '🚀' },
      { op: 'equal', text: ' 日本語' },
    ]);
  });

  it('handles empty and equal sides', () => {
    expect(diffWords('', '')).toEqual([]);
    expect(diffWords('same', 'same')).toEqual([{ op: 'equal', text: 'same' }]);
    expect(diffWords('', 'new text')).toEqual([{ op: 'insert', text: 'new text' }]);
    expect(diffWords('old text', '')).toEqual([{ op: 'delete', text: 'old text' }]);
  });

  it('reconstructs both sides of 200 random pairs, with merged non-empty parts', () => {
    const random = prng(20260301);
    for (let i = 0; i < 200; i++) {
      const a = randomText(random, 40);
      const b = random() < 0.5 ? mutate(random, a) : randomText(random, 40);
      expectWellFormed(diffWords(a, b), a, b);
    }
  });

  it('finds the minimal change in a 10 KB text with a few edits', () => {
    const random = prng(7);
    let a = '';
    while (a.length < 10_000) a += `${WORDS[Math.floor(random() * 6)]} `;
    const b = `${a.slice(0, 3000)}inserted ${a.slice(3000, 7000)}${a.slice(7010)}`;
    const parts = diffWords(a, b);
    expectWellFormed(parts, a, b);
    const changed = parts.filter((p) => p.op !== 'equal').reduce((n, p) => n + p.text.length, 0);
    expect(changed).toBeLessThan(40);
  });

  it('stays correct on two unrelated 10 KB texts (bounded work falls back to replace)', () => {
    const random = prng(11);
    const a = randomText(random, 3000).slice(0, 10_000);
    const b = randomText(random, 3000).slice(0, 10_000);
    expectWellFormed(diffWords(a, b), a, b);
  });

  it('gives up aligning two long, barely related texts and shows one deletion and one insertion', () => {
    const random = prng(5);
    const coin = (n: number) => Array.from({ length: n }, () => (random() < 0.5 ? 'p' : 'q')).join(' ');
    // Thousands of shared tokens, so a full alignment would interleave hundreds of equal parts.
    const a = `start ${coin(5000)} end`;
    const b = `start ${coin(5000)} end`;
    const parts = diffWords(a, b);
    expectWellFormed(parts, a, b);
    expect(parts.map((p) => p.op)).toEqual(['equal', 'delete', 'insert', 'equal']);
  });
});

describe('diffMessages', () => {
  const system: ChatMessage = { role: 'system', content: 'You triage support tickets.' };
  const history: ChatMessage = { type: 'placeholder', name: 'history' };
  const user: ChatMessage = { role: 'user', content: 'Ticket: {{ticket}}' };

  it('marks identical messages equal', () => {
    expect(diffMessages([system, user], [system, user])).toEqual([
      { op: 'equal', from: system, to: system },
      { op: 'equal', from: user, to: user },
    ]);
  });

  it('pairs a removed and an added text message at the same position as changed, with word parts', () => {
    const edited: ChatMessage = { role: 'system', content: 'You triage billing tickets.' };
    expect(diffMessages([system, user], [edited, user])).toEqual([
      {
        op: 'changed',
        from: system,
        to: edited,
        parts: [
          { op: 'equal', text: 'You triage ' },
          { op: 'delete', text: 'support' },
          { op: 'insert', text: 'billing' },
          { op: 'equal', text: ' tickets.' },
        ],
      },
      { op: 'equal', from: user, to: user },
    ]);
  });

  it('aligns on the unchanged messages when one is inserted', () => {
    expect(diffMessages([system, user], [system, history, user]).map((m) => m.op)).toEqual([
      'equal',
      'added',
      'equal',
    ]);
    expect(diffMessages([system, history, user], [system, user]).map((m) => m.op)).toEqual([
      'equal',
      'removed',
      'equal',
    ]);
  });

  it('never pairs a placeholder with a text message', () => {
    const result = diffMessages([system, history], [system, user]);
    expect(result).toEqual([
      { op: 'equal', from: system, to: system },
      { op: 'removed', from: history, to: null },
      { op: 'added', from: null, to: user },
    ]);
  });

  it('covers every message of both sides in order', () => {
    const random = prng(3);
    const pool: ChatMessage[] = [
      system,
      history,
      user,
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: 'x' },
    ];
    for (let i = 0; i < 100; i++) {
      const pick = () =>
        Array.from({ length: Math.floor(random() * 6) }, () => pool[Math.floor(random() * 5)] ?? system);
      const a = pick();
      const b = pick();
      const result = diffMessages(a, b);
      expect(result.flatMap((m) => (m.op === 'added' || m.from === null ? [] : [m.from]))).toEqual(a);
      expect(result.flatMap((m) => (m.op === 'removed' || m.to === null ? [] : [m.to]))).toEqual(b);
    }
  });
});

describe('diffConfig', () => {
  it('lists changes key by key with dotted keys, sorted', () => {
    expect(
      diffConfig(
        { provider: 'openai', model: 'gpt-4o', parameters: { temperature: 0.2, maxTokens: 100 } },
        { provider: 'openai', model: 'gpt-4o-mini', parameters: { temperature: 0.7, topP: 0.9 } },
      ),
    ).toEqual([
      { key: 'model', op: 'changed', from: 'gpt-4o', to: 'gpt-4o-mini' },
      { key: 'parameters.maxTokens', op: 'removed', from: 100 },
      { key: 'parameters.temperature', op: 'changed', from: 0.2, to: 0.7 },
      { key: 'parameters.topP', op: 'added', to: 0.9 },
    ]);
  });

  it('compares arrays whole and treats a missing config as empty', () => {
    expect(diffConfig({ tools: [{ name: 'a' }] }, { tools: [{ name: 'a' }] })).toEqual([]);
    expect(diffConfig({ tools: [1, 2] }, { tools: [2, 1] })).toEqual([
      { key: 'tools', op: 'changed', from: [1, 2], to: [2, 1] },
    ]);
    expect(diffConfig(undefined, {})).toEqual([]);
    expect(diffConfig(undefined, { parameters: { seed: 1 } })).toEqual([
      { key: 'parameters.seed', op: 'added', to: 1 },
    ]);
  });

  it('ignores key order inside compared values and reports an object replaced by a scalar whole', () => {
    expect(
      diffConfig({ responseFormat: { type: 'json', x: 1 } }, { responseFormat: { x: 1, type: 'json' } }),
    ).toEqual([]);
    expect(diffConfig({ extra: { a: 1 } }, { extra: 'flat' })).toEqual([
      { key: 'extra', op: 'changed', from: { a: 1 }, to: 'flat' },
    ]);
  });
});

function version(number: number, body: Partial<Version> & Pick<Version, 'type'>): Version {
  const base = {
    prompt: 'support/triage',
    number,
    semver: `1.${number}.0`,
    config: {},
    variables: [],
    message: '',
    author: 'alice',
    createdAt: '2026-03-01T10:00:00.000Z',
    parent: null,
    hash: 'h',
  };
  return { ...base, ...body } as Version;
}

describe('diffVersions', () => {
  it('diffs two text versions word by word, with config and variable changes', () => {
    const from = version(1, {
      type: 'text',
      template: 'Hi {{name}}',
      variables: ['name'],
      config: { model: 'a' },
    });
    const to = version(2, {
      type: 'text',
      template: 'Hi {{user}}',
      variables: ['user'],
      config: { model: 'b' },
    });
    const diff = diffVersions(from, to);
    expect(diff).toMatchObject({
      prompt: 'support/triage',
      from: 1,
      to: 2,
      fromSemver: '1.1.0',
      toSemver: '1.2.0',
      typeChanged: false,
      config: [{ key: 'model', op: 'changed', from: 'a', to: 'b' }],
      variables: { added: ['user'], removed: ['name'] },
    });
    expect(diff.messages).toBeUndefined();
    expect(sides(diff.text ?? [])).toEqual({ a: 'Hi {{name}}', b: 'Hi {{user}}' });
  });

  it('diffs two chat versions per message', () => {
    const from = version(1, { type: 'chat', messages: [{ role: 'user', content: 'a' }] });
    const to = version(2, { type: 'chat', messages: [{ role: 'user', content: 'b' }] });
    const diff = diffVersions(from, to);
    expect(diff.text).toBeUndefined();
    expect(diff.messages?.map((m) => m.op)).toEqual(['changed']);
  });

  it('on a type change, diffs the text rendering of both sides', () => {
    const from = version(1, { type: 'text', template: 'Summarise {{doc}}' });
    const to = version(2, {
      type: 'chat',
      messages: [
        { role: 'system', content: 'Be short.' },
        { type: 'placeholder', name: 'history' },
        { role: 'user', content: 'Summarise {{doc}}' },
      ],
    });
    const diff = diffVersions(from, to);
    expect(diff.typeChanged).toBe(true);
    expect(sides(diff.text ?? [])).toEqual({
      a: 'Summarise {{doc}}',
      b: 'system: Be short.\n[placeholder: history]\nuser: Summarise {{doc}}',
    });
  });
});

describe('formatDiff', () => {
  const diff = diffVersions(
    version(1, { type: 'text', template: 'Answer in English.', variables: ['a'], config: { model: 'x' } }),
    version(2, { type: 'text', template: 'Answer in French.', variables: ['b'], config: { model: 'y' } }),
  );

  it('prints plain markers without colour', () => {
    const out = formatDiff(diff, { color: false });
    expect(out).not.toContain('\u001b[');
    expect(out).toContain('Answer in [-English-]{+French+}.');
    expect(out).toContain('~ model: [-"x"-] {+"y"+}');
    expect(out).toContain('+ {+b+}');
    expect(out).toContain('- [-a-]');
    expect(out).toContain('support/triage: version 1 (1.1.0) → 2 (1.2.0)');
  });

  it('colours deletions red and insertions green by default', () => {
    const out = formatDiff(diff);
    expect(out).toContain('\u001b[31m[-English-]\u001b[0m');
    expect(out).toContain('\u001b[32m{+French+}\u001b[0m');
  });

  it('prints chat diffs message by message', () => {
    const chat = diffVersions(
      version(1, {
        type: 'chat',
        messages: [
          { role: 'system', content: 'Be kind.' },
          { type: 'placeholder', name: 'h' },
        ],
      }),
      version(2, {
        type: 'chat',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hi' },
        ],
      }),
    );
    const out = formatDiff(chat, { color: false });
    expect(out).toContain('~ #1 system: Be [-kind-]{+brief+}.');
    expect(out).toContain('- #2 [-[placeholder: h]-]');
    expect(out).toContain('+ #3 {+user: hi+}');
  });
});
