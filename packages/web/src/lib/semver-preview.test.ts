import { describe, expect, it } from 'vitest';
import { applyBump, predictBump } from './semver-preview.ts';

const text = (template: string, config = {}) => ({ type: 'text' as const, template, config });

describe('predictBump', () => {
  it('is major when the variable contract or the type changes', () => {
    expect(predictBump(text('Hi {{a}}'), text('Hi {{a}} {{b}}'))).toBe('major');
    expect(predictBump(text('Hi {{a}}'), text('Hi'))).toBe('major');
    expect(
      predictBump(text('Hi'), { type: 'chat', messages: [{ role: 'user', content: 'Hi' }], config: {} }),
    ).toBe('major');
  });

  it('is minor for text or config changes and patch for whitespace only', () => {
    expect(predictBump(text('Hi {{a}}'), text('Hello {{a}}'))).toBe('minor');
    expect(predictBump(text('Hi', { model: 'x' }), text('Hi', { model: 'y' }))).toBe('minor');
    expect(predictBump(text('Hi  there'), text('Hi there\n'))).toBe('patch');
  });

  it('is null when nothing changed or there is no previous version', () => {
    expect(predictBump(text('Hi', { a: 1, b: 2 }), text('Hi', { b: 2, a: 1 }))).toBeNull();
    expect(predictBump(null, text('Hi'))).toBeNull();
  });
});

describe('applyBump', () => {
  it('resets the lower parts', () => {
    expect(applyBump('1.4.2', 'major')).toBe('2.0.0');
    expect(applyBump('1.4.2', 'minor')).toBe('1.5.0');
    expect(applyBump('1.4.2', 'patch')).toBe('1.4.3');
  });
});
