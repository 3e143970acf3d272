import { describe, expect, it } from 'vitest';
import {
  formatFields,
  formatMessages,
  formatRelease,
  formatTable,
  formatWeight,
  oneLine,
  shouldColor,
} from './output.ts';

describe('formatTable', () => {
  it('aligns columns to the widest cell and leaves no trailing spaces', () => {
    const table = formatTable(
      ['NAME', 'LATEST', 'DESCRIPTION'],
      [
        ['support/triage', 'v2', ''],
        ['a', 'v10', 'short'],
      ],
    );
    expect(table).toBe(
      'NAME            LATEST  DESCRIPTION\n' + 'support/triage  v2\n' + 'a               v10     short\n',
    );
  });

  it('adds ANSI styling to the header only when colour is on', () => {
    expect(formatTable(['A'], [['x']], true)).toBe('\u001b[1mA\u001b[22m\nx\n');
    expect(formatTable(['A'], [['x']], false)).not.toContain('\u001b');
  });
});

describe('formatRelease', () => {
  it('shows a single version, weighted variants and the kill switch', () => {
    expect(formatRelease({ variants: [{ version: 2, weight: 10_000 }], enabled: true })).toBe('v2');
    expect(
      formatRelease({
        variants: [
          { version: 3, weight: 500 },
          { version: 2, weight: 9500 },
        ],
      }),
    ).toBe('v3 5% · v2 95%');
    expect(formatRelease({ variants: [{ version: 1, weight: 10_000 }], enabled: false })).toBe(
      'v1 (disabled)',
    );
    expect(formatWeight(3333)).toBe('33.33%');
  });
});

describe('formatMessages', () => {
  it('prints role: content blocks separated by blank lines and names placeholders', () => {
    expect(
      formatMessages([
        { role: 'system', content: 'Be brief.' },
        { type: 'placeholder', name: 'history' },
        { role: 'user', content: 'Hi Ann' },
      ]),
    ).toBe('system: Be brief.\n\n[placeholder history]\n\nuser: Hi Ann');
  });
});

describe('small helpers', () => {
  it('formatFields aligns keys and drops undefined values', () => {
    expect(
      formatFields([
        ['name', 'x'],
        ['owner', undefined],
        ['description', 'y'],
      ]),
    ).toBe('name:        x\ndescription: y\n');
  });

  it('oneLine flattens whitespace and truncates', () => {
    expect(oneLine('a\n  b', 10)).toBe('a b');
    expect(oneLine('abcdefghijkl', 5)).toBe('abcd…');
    expect(oneLine(null)).toBe('');
  });

  it('shouldColor follows FORCE_COLOR, NO_COLOR and the terminal', () => {
    expect(shouldColor({ write: () => true, isTTY: true }, {})).toBe(true);
    expect(shouldColor({ write: () => true, isTTY: false }, {})).toBe(false);
    expect(shouldColor({ write: () => true, isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(shouldColor({ write: () => true, isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(shouldColor({ write: () => true, isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });
});
