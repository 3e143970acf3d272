import { describe, expect, it } from 'vitest';
import { AppError } from './errors.ts';
import type { ModelConfig, SemverBump, VersionContent } from './schemas.ts';
import { FIRST_SEMVER, nextSemver, parseSemver, requiredBump } from './semver.ts';

const text = (template: string): VersionContent => ({ type: 'text', template });
const chat = (...messages: Extract<VersionContent, { type: 'chat' }>['messages']): VersionContent => ({
  type: 'chat',
  messages,
});

describe('parseSemver', () => {
  it('parses major.minor.patch', () => {
    expect(parseSemver(FIRST_SEMVER)).toEqual({ major: 1, minor: 0, patch: 0 });
    expect(parseSemver('12.0.345')).toEqual({ major: 12, minor: 0, patch: 345 });
  });

  it.each(['', '1', '1.2', '1.2.3.4', 'v1.2.3', '1.2.3-beta', '01.2.3', '1.-2.3', ' 1.2.3', '1.2.x'])(
    'rejects %j with VALIDATION_FAILED',
    (input) => {
      expect(() => parseSemver(input)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    },
  );
});

describe('requiredBump', () => {
  type Case = [
    string,
    VersionContent,
    ModelConfig | undefined,
    VersionContent,
    ModelConfig | undefined,
    SemverBump | null,
  ];
  const cases: Case[] = [
    ['identical text', text('Hi {{name}}'), undefined, text('Hi {{name}}'), undefined, null],
    ['missing config vs empty config', text('Hi'), undefined, text('Hi'), {}, null],
    [
      'same config in another key order',
      text('Hi'),
      { model: 'm', provider: 'p' },
      text('Hi'),
      { provider: 'p', model: 'm' },
      null,
    ],
    [
      'variable added',
      text('Hi {{name}}'),
      undefined,
      text('Hi {{name}} from {{company}}'),
      undefined,
      'major',
    ],
    ['variable removed', text('Hi {{name}}'), undefined, text('Hi there'), undefined, 'major'],
    ['variable renamed', text('Hi {{name}}'), undefined, text('Hi {{user}}'), undefined, 'major'],
    ['section variable added', text('Hi'), undefined, text('Hi{{#vip}} VIP{{/vip}}'), undefined, 'major'],
    [
      'text to chat',
      text('Hi {{name}}'),
      undefined,
      chat({ role: 'user', content: 'Hi {{name}}' }),
      undefined,
      'major',
    ],
    ['chat to text', chat({ role: 'user', content: 'Hi' }), undefined, text('Hi'), undefined, 'major'],
    [
      'chat placeholder added',
      chat({ role: 'system', content: 'Be kind.' }, { role: 'user', content: '{{q}}' }),
      undefined,
      chat(
        { role: 'system', content: 'Be kind.' },
        { type: 'placeholder', name: 'history' },
        { role: 'user', content: '{{q}}' },
      ),
      undefined,
      'major',
    ],
    [
      'placeholder replaced by a same-named variable',
      chat({ type: 'placeholder', name: 'history' }),
      undefined,
      chat({ role: 'user', content: '{{history}}' }),
      undefined,
      'major',
    ],
    ['template words changed', text('Hi {{name}}'), undefined, text('Hello {{name}}'), undefined, 'minor'],
    [
      'variable moved, same set',
      text('{{a}} then {{b}}'),
      undefined,
      text('{{b}} then {{a}}'),
      undefined,
      'minor',
    ],
    ['config-only change', text('Hi'), { model: 'gpt-4o' }, text('Hi'), { model: 'gpt-4o-mini' }, 'minor'],
    ['config added', text('Hi'), undefined, text('Hi'), { parameters: { temperature: 0 } }, 'minor'],
    [
      'whitespace change with config change',
      text('Hi  there'),
      { model: 'a' },
      text('Hi there'),
      { model: 'b' },
      'minor',
    ],
    [
      'message role changed',
      chat({ role: 'system', content: 'Be kind.' }),
      undefined,
      chat({ role: 'developer', content: 'Be kind.' }),
      undefined,
      'minor',
    ],
    [
      'message added without new variables',
      chat({ role: 'user', content: '{{q}}' }),
      undefined,
      chat({ role: 'system', content: 'Be kind.' }, { role: 'user', content: '{{q}}' }),
      undefined,
      'minor',
    ],
    [
      'words joined (whitespace removed inside text)',
      text('Hi there'),
      undefined,
      text('Hithere'),
      undefined,
      'minor',
    ],
    [
      'whitespace-only: runs collapsed',
      text('Hi   {{name}},  welcome'),
      undefined,
      text('Hi {{name}}, welcome'),
      undefined,
      'patch',
    ],
    [
      'whitespace-only: trailing newline and indentation',
      text('Hi {{name}}'),
      undefined,
      text('  Hi {{name}}\n'),
      undefined,
      'patch',
    ],
    [
      'whitespace-only: line reflowed',
      text('Answer briefly\nand politely.'),
      undefined,
      text('Answer briefly and politely.'),
      undefined,
      'patch',
    ],
    [
      'whitespace-only in a chat message',
      chat({ role: 'system', content: 'Be kind.' }, { role: 'user', content: '{{q}}' }),
      { model: 'm' },
      chat({ role: 'system', content: '  Be   kind.\n' }, { role: 'user', content: '{{q}}' }),
      { model: 'm' },
      'patch',
    ],
  ];

  it.each(cases)('%s', (_name, prevContent, prevConfig, nextContent, nextConfig, expected) => {
    expect(
      requiredBump(
        { content: prevContent, config: prevConfig },
        { content: nextContent, config: nextConfig },
      ),
    ).toBe(expected);
  });
});

describe('nextSemver', () => {
  it('applies the required bump', () => {
    expect(nextSemver('1.4.2', 'patch')).toBe('1.4.3');
    expect(nextSemver('1.4.2', 'minor')).toBe('1.5.0');
    expect(nextSemver('1.4.2', 'major')).toBe('2.0.0');
  });

  it('applies a requested bump that is higher than or equal to the required one', () => {
    expect(nextSemver('1.4.2', 'patch', 'minor')).toBe('1.5.0');
    expect(nextSemver('1.4.2', 'patch', 'major')).toBe('2.0.0');
    expect(nextSemver('1.4.2', 'minor', 'minor')).toBe('1.5.0');
  });

  it('refuses a requested bump lower than the required one, naming both and why', () => {
    let error: unknown;
    try {
      nextSemver('1.4.2', 'major', 'minor');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AppError);
    const appError = error as AppError;
    expect(appError.code).toBe('SEMVER_BUMP_TOO_LOW');
    expect(appError.status).toBe(422);
    expect(appError.message).toContain('minor');
    expect(appError.message).toContain('major');
    expect(appError.message).toMatch(/variable/);
    expect(appError.details).toEqual({ required: 'major', requested: 'minor' });
    expect(() => nextSemver('1.4.2', 'minor', 'patch')).toThrow(/at least minor/);
  });

  it('rejects a malformed previous semver', () => {
    expect(() => nextSemver('1.4', 'patch')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
