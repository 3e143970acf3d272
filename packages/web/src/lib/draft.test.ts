import { describe, expect, it } from 'vitest';
import { type DraftContent, draftVariables, previewSemver } from './draft.ts';

const text = (template: string, config = {}): DraftContent => ({ type: 'text', template, config });
const head = (draft: DraftContent, semver = '1.4.2') => ({ semver, draft });

describe('previewSemver (core’s bump rule)', () => {
  it('is major when the variable contract or the type changes', () => {
    expect(previewSemver(head(text('Hi {{a}}')), text('Hi {{a}} {{b}}')).semver).toBe('2.0.0');
    expect(previewSemver(head(text('Hi {{a}}')), text('Hi')).required).toBe('major');
    expect(
      previewSemver(head(text('Hi')), {
        type: 'chat',
        messages: [{ role: 'user', content: 'Hi' }],
        config: {},
      }).required,
    ).toBe('major');
  });

  it('is minor for text or config changes and patch for whitespace only', () => {
    expect(previewSemver(head(text('Hi {{a}}')), text('Hello {{a}}')).semver).toBe('1.5.0');
    expect(previewSemver(head(text('Hi', { model: 'x' })), text('Hi', { model: 'y' })).required).toBe(
      'minor',
    );
    expect(previewSemver(head(text('Hi  there')), text('Hi there\n')).semver).toBe('1.4.3');
  });

  it('keeps the semver when nothing changed, and starts at 1.0.0', () => {
    expect(previewSemver(head(text('Hi', { a: 1, b: 2 })), text('Hi', { b: 2, a: 1 }))).toEqual({
      required: null,
      semver: '1.4.2',
      problem: null,
    });
    expect(previewSemver(null, text('Hi')).semver).toBe('1.0.0');
  });

  it('honours a higher requested bump and explains a too-low one as the server will refuse it', () => {
    expect(previewSemver(head(text('Hi')), text('Hello'), 'major').semver).toBe('2.0.0');
    const low = previewSemver(head(text('Hi {{a}}')), text('Hi {{b}}'), 'patch');
    expect(low.semver).toBeNull();
    expect(low.problem).toMatch(/needs at least major/);
  });

  it('reports a template that does not parse instead of guessing', () => {
    const broken = previewSemver(head(text('Hi')), text('Hi {{#open}}'));
    expect(broken.semver).toBeNull();
    expect(broken.problem).toBeTruthy();
  });
});

describe('draftVariables (core’s extraction)', () => {
  it('lists template variables and chat placeholders, null while a tag is unfinished', () => {
    expect(draftVariables(text('Hi {{user.name}} about {{topic}}'))?.sort()).toEqual(['topic', 'user']);
    expect(
      draftVariables({
        type: 'chat',
        messages: [
          { role: 'system', content: 'Be {{tone}}' },
          { type: 'placeholder', name: 'history' },
        ],
        config: {},
      }),
    ).toEqual(['history', 'tone']);
    expect(draftVariables(text('{{#items}}{{title}}{{/items}}'))).toEqual(['items']);
    expect(draftVariables(text('Hi {{ti'))).toBeNull();
  });
});
