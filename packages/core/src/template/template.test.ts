import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.ts';
import {
  compileTemplate,
  extractPartials,
  extractVariables,
  renderContent,
  renderTemplate,
} from './index.ts';

/** Runs `fn`, expecting an AppError, and returns it for closer checks. */
function catchAppError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError, but nothing was thrown');
}

describe('interpolation', () => {
  it('never HTML-escapes, in any tag form', () => {
    const vars = { x: `<b> & "q" 'a'` };
    expect(renderTemplate('{{x}}|{{{x}}}|{{& x}}', vars)).toBe(`<b> & "q" 'a'|<b> & "q" 'a'|<b> & "q" 'a'`);
  });

  it('prints numbers as JS does, null as nothing, objects and arrays as JSON', () => {
    const vars = { n: 1.5, big: 1e21, t: true, z: null, o: { a: [1, 'b'] }, l: [1, 2] };
    expect(renderTemplate('{{n}} {{big}} {{t}} [{{z}}] {{o}} {{l}}', vars)).toBe(
      '1.5 1e+21 true [] {"a":[1,"b"]} [1,2]',
    );
  });

  it('resolves dotted names and never reaches into prototypes', () => {
    expect(renderTemplate('{{user.name}}', { user: { name: 'Ada' } })).toBe('Ada');
    const error = catchAppError(() => renderTemplate('{{constructor}}{{user.toString}}', { user: {} }));
    expect(error.details).toEqual({ missing: ['constructor', 'user.toString'] });
  });
});

describe('strict mode', () => {
  it('collects every missing name into one TEMPLATE_VARIABLE_MISSING error', () => {
    const template = 'Hi {{name}}, {{user.email}}{{#flags}}x{{/flags}}{{^banned}}ok{{/banned}} {{name}}';
    const error = catchAppError(() => renderTemplate(template, {}));
    expect(error.code).toBe('TEMPLATE_VARIABLE_MISSING');
    expect(error.status).toBe(422);
    expect(error.details).toEqual({ missing: ['name', 'user.email', 'flags', 'banned'] });
    expect(error.message).toContain('"name", "user.email", "flags", "banned"');
    expect(error.message).toContain(
      'pass them in variables, or render with strict: false'.replace('pass', 'Pass'),
    );
  });

  it('reports a broken dotted chain as written', () => {
    const error = catchAppError(() => renderTemplate('{{user.address.city}}', { user: { name: 'Ada' } }));
    expect(error.details).toEqual({ missing: ['user.address.city'] });
  });

  it('counts null and false as present', () => {
    expect(renderTemplate('[{{a}}][{{#b}}x{{/b}}][{{^a}}none{{/a}}]', { a: null, b: false })).toBe(
      '[][][none]',
    );
  });

  it('resolves names inside sections from the item or from outer contexts', () => {
    const template = '{{#items}}{{name}}@{{shop}} {{/items}}';
    expect(renderTemplate(template, { shop: 'S', items: [{ name: 'a' }, { name: 'b' }] })).toBe('a@S b@S ');
    const error = catchAppError(() => renderTemplate(template, { items: [{ name: 'a' }] }));
    expect(error.details).toEqual({ missing: ['shop'] });
  });

  it('renders misses as empty when strict is false', () => {
    expect(renderTemplate('a{{x}}b{{#y}}c{{/y}}{{^z}}d{{/z}}', {}, { strict: false })).toBe('abd');
  });
});

describe('sections', () => {
  it('treats empty strings, 0 and empty lists as false, non-empty strings and objects as true', () => {
    const template = '{{#s}}S{{/s}}{{#e}}E{{/e}}{{#zero}}Z{{/zero}}{{#l}}L{{/l}}{{#o}}{{k}}{{/o}}';
    expect(renderTemplate(template, { s: 'yes', e: '', zero: 0, l: [], o: { k: 'K' } })).toBe('SK');
  });

  it('iterates lists with the implicit iterator', () => {
    expect(renderTemplate('{{#tags}}#{{.}} {{/tags}}', { tags: ['a', 1, true] })).toBe('#a #1 #true ');
  });
});

describe('variable and partial extraction', () => {
  it('lists top-level names: outside sections, section names, names inside inverted sections', () => {
    const t = compileTemplate(
      '{{b.c}} {{#items}}{{name}}{{other}}{{> inner}}{{/items}} {{^empty}}{{z}}{{#n}}{{deep}}{{/n}}{{/empty}} {{.}} {{> outer}}{{> outer}}{{! c }}{{a}}',
    );
    expect(t.variables).toEqual(['a', 'b', 'empty', 'items', 'n', 'z']);
    expect(t.partials).toEqual(['inner', 'outer']);
  });

  it('extracts from chat contents including placeholder names', () => {
    const content = {
      type: 'chat' as const,
      messages: [
        { role: 'system' as const, content: 'You help {{company}}. {{> shared/tone}}' },
        { type: 'placeholder' as const, name: 'history' },
        { role: 'user' as const, content: '{{question}} ({{company}}) {{> shared/footer}}' },
      ],
    };
    expect(extractVariables(content)).toEqual(['company', 'history', 'question']);
    expect(extractPartials(content)).toEqual(['shared/footer', 'shared/tone']);
    expect(extractVariables({ type: 'text', template: '{{b}}{{a}}' })).toEqual(['a', 'b']);
  });
});

describe('syntax errors', () => {
  const cases: [string, string, number, number, string][] = [
    ['unclosed section', 'Hello\n  {{#items}}\n{{name}}', 2, 3, 'add {{/items}}'],
    ['mismatched close', '{{#a}}\n{{#b}}x{{/a}}', 2, 8, 'close it with {{/b}} first'],
    ['close without open', 'x {{/a}}', 1, 3, 'never opened'],
    ['unclosed tag', 'Dear {{name}},\nabout {{topic', 2, 7, 'close it with "}}"'],
    ['unclosed triple', '{{{raw}}', 1, 1, '"}}}"'],
    ['set delimiters', 'a\n{{=<% %>=}}', 2, 1, 'delimiters'],
    ['empty tag', 'a {{ }}', 1, 3, 'empty'],
    ['space in name', '{{first name}}', 1, 1, 'cannot contain spaces'],
  ];
  for (const [what, template, line, column, hint] of cases) {
    it(`${what}: TEMPLATE_SYNTAX with line ${line}, column ${column}`, () => {
      const error = catchAppError(() => compileTemplate(template));
      expect(error.code).toBe('TEMPLATE_SYNTAX');
      expect(error.message).toContain(`line ${line}, column ${column}`);
      expect(error.message).toContain(hint);
      expect(error.details).toEqual({ line, column });
    });
  }
});

describe('partials at render time', () => {
  const library: Record<string, string> = {
    greet: 'Hello {{name}}!',
    list: '{{#items}}\n  {{> item}}\n{{/items}}',
    item: '- {{.}}\n',
    self: 'x{{> self}}',
  };
  const partials = (name: string) => library[name];

  it('renders partials in the current context, indenting standalone ones', () => {
    expect(renderTemplate('{{> greet}}', { name: 'Ada' }, { partials })).toBe('Hello Ada!');
    expect(renderTemplate('{{> list}}', { items: ['a', 'b'] }, { partials })).toBe('  - a\n  - b\n');
  });

  it('fails on an unknown partial in strict mode, renders empty otherwise', () => {
    const error = catchAppError(() => renderTemplate('a{{> nope}}b', {}, { partials }));
    expect(error.code).toBe('TEMPLATE_PARTIAL_NOT_FOUND');
    expect(error.message).toContain('"nope"');
    expect(renderTemplate('a{{> nope}}b', {}, { partials, strict: false })).toBe('ab');
  });

  it('stops a self-including partial at maxPartialDepth with TEMPLATE_PARTIAL_TOO_DEEP', () => {
    const error = catchAppError(() => renderTemplate('{{> self}}', {}, { partials }));
    expect(error.code).toBe('TEMPLATE_PARTIAL_TOO_DEEP');
    expect(error.message).toContain('template → self → self → self → self → self → self');
    expect(renderTemplate('{{> self}}', {}, { partials: (n) => (n === 'self' ? 'x' : undefined) })).toBe('x');
  });

  it('allows exactly maxPartialDepth levels', () => {
    const chain = (name: string) => {
      const level = Number(name.slice(1));
      return level < 6 ? `${level}{{> p${level + 1}}}` : 'end';
    };
    expect(renderTemplate('{{> p1}}', {}, { partials: chain, maxPartialDepth: 6 })).toBe('12345end');
    expect(catchAppError(() => renderTemplate('{{> p1}}', {}, { partials: chain })).code).toBe(
      'TEMPLATE_PARTIAL_TOO_DEEP',
    );
  });

  it('names the partial in its syntax errors', () => {
    const error = catchAppError(() => renderTemplate('{{> bad}}', {}, { partials: () => 'a {{#x}}' }));
    expect(error.code).toBe('TEMPLATE_SYNTAX');
    expect(error.message).toContain('In partial "bad"');
    expect(error.message).toContain('line 1, column 3');
  });
});

describe('compile cache', () => {
  it('returns the same compiled object for the same text', () => {
    const source = `Cache me {{x}} ${Math.random()}`;
    const a = compileTemplate(source);
    expect(compileTemplate(source)).toBe(a);
    expect(compileTemplate(`${source} `)).not.toBe(a);
    expect(Object.isFrozen(a.variables)).toBe(true);
  });

  it('still compiles and caches after more than 1000 distinct templates', () => {
    const first = compileTemplate('evicted? {{a}}');
    for (let i = 0; i < 1100; i++) compileTemplate(`filler ${i} {{x}}`);
    const again = compileTemplate('evicted? {{a}}');
    expect(again).not.toBe(first);
    expect(compileTemplate('evicted? {{a}}')).toBe(again);
  });
});

describe('renderContent', () => {
  const chat = {
    type: 'chat' as const,
    messages: [
      { role: 'system' as const, content: 'You are {{persona}}.' },
      { type: 'placeholder' as const, name: 'history' },
      { role: 'user' as const, content: '{{question}}' },
    ],
  };

  it('renders a text content', () => {
    expect(renderContent({ type: 'text', template: 'Hi {{n}}' }, { n: 1 })).toEqual({
      type: 'text',
      text: 'Hi 1',
    });
  });

  it('renders chat messages and splices placeholder lists in place', () => {
    const history = [
      { role: 'user', content: 'Hi {{not rendered}}' },
      { role: 'assistant', content: 'Hello', name: 'bot' },
    ];
    expect(renderContent(chat, { persona: 'kind', history, question: 'Why?' })).toEqual({
      type: 'chat',
      messages: [
        { role: 'system', content: 'You are kind.' },
        { role: 'user', content: 'Hi {{not rendered}}' },
        { role: 'assistant', content: 'Hello', name: 'bot' },
        { role: 'user', content: 'Why?' },
      ],
    });
  });

  it('reports missing names of every message and a missing placeholder in one error', () => {
    const error = catchAppError(() => renderContent(chat, {}));
    expect(error.code).toBe('TEMPLATE_VARIABLE_MISSING');
    expect(error.details).toEqual({ missing: ['persona', 'history', 'question'] });
  });

  it('treats a missing placeholder as an empty list when strict is false', () => {
    const result = renderContent(chat, { persona: 'p', question: 'q' }, { strict: false });
    expect(result).toEqual({
      type: 'chat',
      messages: [
        { role: 'system', content: 'You are p.' },
        { role: 'user', content: 'q' },
      ],
    });
  });

  it('rejects placeholder values that are not lists of {role, content}', () => {
    const notList = catchAppError(() => renderContent(chat, { persona: 'p', question: 'q', history: 'hi' }));
    expect(notList.code).toBe('VALIDATION_FAILED');
    expect(notList.message).toContain('"history"');
    expect(notList.errors).toEqual([{ path: 'variables.history', message: notList.message }]);
    const badItem = catchAppError(() =>
      renderContent(chat, {
        persona: 'p',
        question: 'q',
        history: [{ role: 'user', content: 'a' }, { role: 'user' }],
      }),
    );
    expect(badItem.code).toBe('VALIDATION_FAILED');
    expect(badItem.errors?.[0]?.path).toBe('variables.history.1');
  });
});
