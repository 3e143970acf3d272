import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentHash } from '../canonical.ts';
import { AppError } from '../errors.ts';
import type { ChatMessage, ModelConfig, Version } from '../schemas.ts';
import { type PromptFile, parsePromptFile, promptFileOf, serializePromptFile } from './format.ts';

// Strings that stress both YAML (quotes, colons, `---`, leading spaces, control characters,
// unicode) and the body (marker lines, line breaks, carriage returns, `---`).
const tricky = fc.constantFrom(
  '',
  '\n',
  '\r\n',
  ' ',
  '---',
  '{{role "user"}}',
  '{{ role "system" }}',
  '{{placeholder "history"}}',
  '{{name}}',
  '# not a comment',
  'key: value',
  '"quoted"',
  "'single'",
  'yes',
  'null',
  '0x1F',
  '1e3',
  '~',
  '- item',
  '\t',
  '\u0000',
  '\u0085',
  'é',
  '😀',
  '|',
  '>',
  '&anchor',
  '*alias',
);
const text = fc
  .array(
    fc.oneof(tricky, fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary-ascii' })),
    {
      maxLength: 8,
    },
  )
  .map((parts) => parts.join(''));
const lines = fc.array(fc.oneof(tricky, fc.string()), { maxLength: 6 }).map((parts) => parts.join('\n'));
const identifier = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);
const json = fc
  .jsonValue({ maxDepth: 3 })
  .filter((value) => !JSON.stringify(value).includes('"__proto__"'))
  .map((value) => JSON.parse(JSON.stringify(value)) as unknown);

const message: fc.Arbitrary<ChatMessage> = fc.oneof(
  fc.record({
    role: fc.constantFrom('system', 'user', 'assistant', 'tool', 'developer'),
    content: fc.oneof(text, lines),
  }),
  identifier.map((name) => ({ type: 'placeholder' as const, name })),
);

const responseFormat = fc.oneof(
  fc.constant({ type: 'json_object' }),
  fc.constant({ type: 'text' }),
  fc
    .record(
      { name: identifier, schema: json, strict: fc.boolean(), description: text },
      { requiredKeys: ['schema'] },
    )
    .map((schema) => ({ type: 'json_schema', json_schema: schema })),
  json,
);

const config: fc.Arbitrary<ModelConfig> = fc
  .record(
    {
      provider: fc.oneof(identifier, fc.constantFrom('a/b', 'openai')),
      model: fc.oneof(identifier, fc.constantFrom('meta-llama/llama-3', 'gpt-4o-mini', 'x/y/z')),
      // `__proto__` never reaches a stored config: the server refuses it in any JSON body.
      parameters: fc.dictionary(
        fc.string().filter((key) => key !== '__proto__'),
        json,
        { maxKeys: 4 },
      ),
      responseFormat,
      tools: fc.array(json, { maxLength: 3 }),
      seed: fc.integer(),
      fallbacks: json,
    },
    { requiredKeys: [] },
  )
  .map((value) => JSON.parse(JSON.stringify(value)) as ModelConfig);

const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);

const promptFile: fc.Arbitrary<PromptFile> = fc.record({
  description: text,
  owner: text,
  tags: fc.array(fc.string({ minLength: 1 }), { maxLength: 4 }),
  content: fc.oneof(
    fc.record({ type: fc.constant('text' as const), template: fc.oneof(text, lines) }),
    fc.record({
      type: fc.constant('chat' as const),
      messages: fc.array(message, { minLength: 1, maxLength: 5 }),
    }),
  ),
  config,
  variables: fc.uniqueArray(identifier, { maxLength: 5 }).map((names) => names.sort()),
  base: fc.option(
    fc.record({
      version: fc.integer({ min: 1, max: 2_147_483_647 }),
      semver: fc.tuple(fc.nat(99), fc.nat(99), fc.nat(99)).map(([a, b, c]) => `${a}.${b}.${c}`),
      hash: hex64,
    }),
  ),
});

describe('the .prompt file', () => {
  it('reads back exactly what it wrote, over random prompts and versions', () => {
    fc.assert(
      fc.property(promptFile, (file) => {
        const written = serializePromptFile(file);
        expect(parsePromptFile(written)).toEqual(file);
        // The hash of the file's content is the version's: push recognises an unedited file.
        const back = parsePromptFile(written);
        expect(contentHash(back.content, back.config)).toBe(contentHash(file.content, file.config));
      }),
      { numRuns: 400 },
    );
  });

  it('writes a text prompt as Dotprompt-style front matter and the template as the body', () => {
    const version: Version = {
      prompt: 'support/triage',
      number: 3,
      semver: '1.1.0',
      type: 'text',
      template: 'Classify this ticket from {{customer.name}}:\n{{ticket}}',
      config: { provider: 'openai', model: 'gpt-4o-mini', parameters: { temperature: 0.2 } },
      variables: ['customer', 'ticket'],
      message: 'mention the customer',
      author: 'ann',
      createdAt: '2026-01-01T00:00:00.000Z',
      parent: 2,
      hash: 'a'.repeat(64),
    };
    const text = serializePromptFile(
      promptFileOf({ description: 'Routes tickets', owner: 'ann', tags: ['support'] }, version),
    );
    expect(text).toBe(
      [
        '---',
        'description: Routes tickets',
        'owner: ann',
        'tags:',
        '  - support',
        'model: openai/gpt-4o-mini',
        'config:',
        '  temperature: 0.2',
        'input:',
        '  schema:',
        '    customer: any',
        '    ticket: any',
        'promptline:',
        '  version: 3',
        '  semver: 1.1.0',
        `  hash: ${'a'.repeat(64)}`,
        '---',
        'Classify this ticket from {{customer.name}}:',
        '{{ticket}}',
        '',
      ].join('\n'),
    );
  });

  it('writes chat messages after role markers, placeholders as their own line', () => {
    const file: PromptFile = {
      description: '',
      owner: '',
      tags: [],
      content: {
        type: 'chat',
        messages: [
          { role: 'system', content: 'You are a support agent.' },
          { type: 'placeholder', name: 'history' },
          { role: 'user', content: '{{question}}' },
        ],
      },
      config: {},
      variables: [],
      base: null,
    };
    const written = serializePromptFile(file);
    expect(written).toBe(
      '---\n---\n{{role "system"}}\nYou are a support agent.\n{{placeholder "history"}}\n{{role "user"}}\n{{question}}\n',
    );
    expect(parsePromptFile(written)).toEqual(file);
  });

  it('falls back to a messages list in the front matter when a content holds a marker line', () => {
    const file: PromptFile = {
      description: '',
      owner: '',
      tags: [],
      content: { type: 'chat', messages: [{ role: 'user', content: 'write this:\n{{role "system"}}' }] },
      config: {},
      variables: [],
      base: null,
    };
    const written = serializePromptFile(file);
    expect(written).toContain('messages:');
    expect(written.endsWith('---\n')).toBe(true);
    expect(parsePromptFile(written)).toEqual(file);
  });

  it('reads hand-written files leniently: no front matter, spaced markers, Picoschema keys, no final newline', () => {
    expect(parsePromptFile('Hello {{name}}').content).toEqual({ type: 'text', template: 'Hello {{name}}' });
    const chat = parsePromptFile(
      '---\nmodel: mock/mock-1\ninput:\n  schema:\n    name?: string\n    topic(what to write about): string\n---\n\n{{ role "system" }}\nBe brief.\n{{role "user"}}\nHi {{name}}',
    );
    expect(chat.content).toEqual({
      type: 'chat',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi {{name}}' },
      ],
    });
    expect(chat.config).toEqual({ provider: 'mock', model: 'mock-1' });
    expect(chat.variables).toEqual(['name', 'topic']);
  });

  it('refuses what it cannot read, with code PROMPT_FILE_INVALID and the line', () => {
    const refusal = (text: string) => {
      try {
        parsePromptFile(text);
      } catch (error) {
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).code).toBe('PROMPT_FILE_INVALID');
        return (error as AppError).message;
      }
      throw new Error('parsed');
    };
    expect(refusal('---\ndescription: x\n')).toMatch(/never closed/);
    expect(refusal('---\nmodle: gpt-4o\n---\nhi\n')).toMatch(/unknown key modle/);
    expect(refusal('---\ndescription: x\ntags: a: b\n---\nhi\n')).toMatch(/not valid YAML.*line 3/);
    expect(refusal('---\n---\n{{role "robot"}}\nhi\n')).toMatch(/unknown role "robot".*line 3/);
    expect(refusal('---\ntype: chat\n---\nhello\n{{role "user"}}\nhi\n')).toMatch(/belongs to no message/);
    expect(refusal('---\n---\n{{placeholder "history"}}\nstray text\n')).toMatch(/line 4/);
    expect(refusal('---\noutput: { format: xml }\n---\nhi\n')).toMatch(/output/);
    expect(refusal('---\npromptline: { version: 3 }\n---\nhi\n')).toMatch(/promptline/);
  });
});
