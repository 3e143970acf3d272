import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash, sha256Hex } from './canonical.ts';
import { AppError } from './errors.ts';

describe('canonicalJson', () => {
  it('sorts object keys recursively and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, { d: null, c: 'x' }], c: { z: 1, y: { x: 2, w: 3 } } })).toBe(
      '{"a":[true,{"c":"x","d":null}],"b":1,"c":{"y":{"w":3,"x":2},"z":1}}',
    );
  });

  it('sorts integer-like keys as strings, not in the order JS objects list them', () => {
    expect(canonicalJson({ b: 1, 10: 2, 2: 3 })).toBe('{"10":2,"2":3,"b":1}');
  });

  it('gives the same text whatever the insertion order', () => {
    expect(canonicalJson({ x: 1, y: { p: 1, q: 2 } })).toBe(canonicalJson({ y: { q: 2, p: 1 }, x: 1 }));
  });

  it('drops undefined members and writes undefined array items as null, as JSON.stringify does', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 1, () => 1], c: 1 })).toBe(
      '{"b":[null,1,null],"c":1}',
    );
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('writes non-finite numbers as null and uses toJSON', () => {
    expect(canonicalJson([Number.NaN, Number.POSITIVE_INFINITY, -0, 1e21, 0.1])).toBe(
      '[null,null,0,1e+21,0.1]',
    );
    expect(canonicalJson({ at: new Date('2026-03-01T10:00:00.000Z') })).toBe(
      '{"at":"2026-03-01T10:00:00.000Z"}',
    );
  });

  it('escapes strings as JSON, including quotes, control characters and lone surrogates', () => {
    expect(canonicalJson({ 'k"ey': 'a"b\n\u0001\ud800' })).toBe('{"k\\"ey":"a\\"b\\n\\u0001\\ud800"}');
  });

  it('matches JSON.stringify on values whose keys are already sorted', () => {
    const value = { a: 1, b: 'two', c: [1, { d: false, e: null }], f: { g: 'é😀' } };
    expect(canonicalJson(value)).toBe(JSON.stringify(value));
  });

  it('refuses cycles and bigints with an AppError, but allows shared (non-cyclic) references', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(AppError);
    expect(() => canonicalJson({ n: 10n })).toThrow(/bigint/);
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
});

describe('sha256Hex', () => {
  it('matches the SHA-256 reference values of the UTF-8 bytes', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    // Checked against Python's hashlib.sha256('héllo 😀'.encode()).
    expect(sha256Hex('héllo 😀')).toBe('a53c56966616f0ec3ed9db7ea07a6034430149528bbaba8966c284f9373669c2');
  });
});

describe('contentHash', () => {
  const text = { type: 'text' as const, template: 'Hello {{name}}' };

  it('is the SHA-256 of the canonical {type, template, config}', () => {
    // sha256('{"config":{},"template":"Hello {{name}}","type":"text"}'), computed with Python.
    expect(contentHash(text, undefined)).toBe(
      '0d05631402513338dd19ce8f7ed6fee63ba397b345cda00ea3d8feb8726dcf83',
    );
  });

  it('hashes a missing config and an empty one (or one of undefined members) the same', () => {
    expect(contentHash(text, {})).toBe(contentHash(text, undefined));
    expect(contentHash(text, { model: undefined })).toBe(contentHash(text, undefined));
  });

  it('ignores request fields that do not render (message, parent, bump)', () => {
    const request = { ...text, message: 'first', parent: 3, bump: 'major' as const };
    expect(contentHash(request, undefined)).toBe(contentHash(text, undefined));
  });

  it('does not depend on config key order', () => {
    expect(contentHash(text, { model: 'm', provider: 'p', parameters: { a: 1, b: 2 } })).toBe(
      contentHash(text, { parameters: { b: 2, a: 1 }, provider: 'p', model: 'm' }),
    );
  });

  it('changes with the template, the config, the type and the messages', () => {
    const base = contentHash(text, { model: 'm' });
    expect(contentHash({ type: 'text', template: 'Hello {{name}}!' }, { model: 'm' })).not.toBe(base);
    expect(contentHash(text, { model: 'n' })).not.toBe(base);
    const chat = contentHash(
      { type: 'chat', messages: [{ role: 'user', content: 'Hello {{name}}' }] },
      { model: 'm' },
    );
    expect(chat).not.toBe(base);
    expect(
      contentHash(
        { type: 'chat', messages: [{ role: 'system', content: 'Hello {{name}}' }] },
        { model: 'm' },
      ),
    ).not.toBe(chat);
    expect(contentHash(text, { model: 'm' })).toMatch(/^[0-9a-f]{64}$/);
  });
});
