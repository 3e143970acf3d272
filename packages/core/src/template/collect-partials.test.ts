import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.ts';
import type { VersionContent } from '../schemas.ts';
import { collectPartials } from './index.ts';

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError, but the promise resolved');
}

/** An async loader over a fixed library that records every name it was asked for. */
function loaderFor(library: Record<string, string>) {
  const calls: string[] = [];
  const load = async (name: string) => {
    calls.push(name);
    await new Promise((resolve) => setTimeout(resolve, 1));
    return library[name];
  };
  return { load, calls };
}

const text = (template: string): VersionContent => ({ type: 'text', template });

describe('collectPartials', () => {
  it('loads the whole include graph once per partial, from text and chat contents', async () => {
    const { load, calls } = loaderFor({
      'shared/tone': 'Be kind. {{> shared/sign}}',
      'shared/footer': '{{#x}}{{> shared/sign}}{{/x}}',
      'shared/sign': '— Acme',
    });
    const chat: VersionContent = {
      type: 'chat',
      messages: [
        { role: 'system', content: '{{> shared/tone}}' },
        { type: 'placeholder', name: 'history' },
        { role: 'user', content: '{{q}} {{> shared/footer}}' },
      ],
    };
    const partials = await collectPartials(chat, load);
    expect(Object.fromEntries(partials)).toEqual({
      'shared/tone': 'Be kind. {{> shared/sign}}',
      'shared/footer': '{{#x}}{{> shared/sign}}{{/x}}',
      'shared/sign': '— Acme',
    });
    expect(calls.sort()).toEqual(['shared/footer', 'shared/sign', 'shared/tone']);
    expect(await collectPartials(text('no includes'), load)).toEqual(new Map());
  });

  it('accepts a synchronous loader', async () => {
    const partials = await collectPartials(text('{{> a}}'), (name) => (name === 'a' ? 'A' : undefined));
    expect(partials.get('a')).toBe('A');
  });

  it('names a missing partial and who includes it', async () => {
    const { load } = loaderFor({ a: 'x {{> b}}' });
    const nested = await rejection(collectPartials(text('{{> a}}'), load));
    expect(nested.code).toBe('TEMPLATE_PARTIAL_NOT_FOUND');
    expect(nested.message).toContain('Partial "b" was not found (included by partial "a")');
    const direct = await rejection(collectPartials(text('{{> zzz}}'), load));
    expect(direct.message).toContain('Partial "zzz" was not found (included by the template)');
  });

  it('leaves a missing partial out with strict: false, so it renders as empty', async () => {
    const { load } = loaderFor({ a: 'A{{> gone}}' });
    const partials = await collectPartials(text('{{> a}}{{> zzz}}'), load, { strict: false });
    expect(Object.fromEntries(partials)).toEqual({ a: 'A{{> gone}}' });
    const strict = await rejection(collectPartials(text('{{> a}}'), load, { strict: true }));
    expect(strict.code).toBe('TEMPLATE_PARTIAL_NOT_FOUND');
  });

  it('rejects a cycle and shows its path', async () => {
    const { load } = loaderFor({ a: '{{> b}}', b: '{{> c}}', c: '{{#l}}{{> a}}{{/l}}' });
    const error = await rejection(collectPartials(text('{{> a}}'), load));
    expect(error.code).toBe('TEMPLATE_PARTIAL_CYCLE');
    expect(error.message).toContain('a → b → c → a');
    expect(error.details).toEqual({ cycle: ['a', 'b', 'c', 'a'] });
  });

  it('allows depth 5 and rejects depth 6 with TEMPLATE_PARTIAL_TOO_DEEP', async () => {
    const library: Record<string, string> = {
      p1: '{{> p2}}',
      p2: '{{> p3}}',
      p3: '{{> p4}}',
      p4: '{{> p5}}',
    };
    const five = await collectPartials(text('{{> p1}}'), loaderFor({ ...library, p5: 'end' }).load);
    expect([...five.keys()].sort()).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);

    const { load } = loaderFor({ ...library, p5: '{{> p6}}', p6: 'end' });
    const error = await rejection(collectPartials(text('{{> p1}}'), load));
    expect(error.code).toBe('TEMPLATE_PARTIAL_TOO_DEEP');
    expect(error.message).toContain('template → p1 → p2 → p3 → p4 → p5 → p6');
    expect((await collectPartials(text('{{> p1}}'), load, { maxDepth: 6 })).size).toBe(6);
  });

  it('checks depth on every route to a shared partial, not only the first', async () => {
    // `deep` is first reached at depth 1, then again at depth 5 where its own chain of 2 is too long.
    const { load } = loaderFor({
      deep: '{{> leaf}}',
      leaf: 'x',
      a: '{{> b}}',
      b: '{{> c}}',
      c: '{{> d}}',
      d: '{{> deep}}',
    });
    const error = await rejection(collectPartials(text('{{> deep}} {{> a}}'), load));
    expect(error.code).toBe('TEMPLATE_PARTIAL_TOO_DEEP');
    expect(error.message).toContain('template → a → b → c → d → deep → leaf');
  });

  it('names the partial that has a syntax error', async () => {
    const error = await rejection(collectPartials(text('{{> a}}'), () => 'line\n{{#open}}'));
    expect(error.code).toBe('TEMPLATE_SYNTAX');
    expect(error.message).toContain('In partial "a": Template syntax error at line 2, column 1');
  });
});
