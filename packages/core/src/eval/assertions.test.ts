import { describe, expect, it } from 'vitest';
import { createJsonSchemaValidator } from '../eval-node/json-schema.ts';
import { combineOutcomes, gradeOutput, runAssertion, validateAssertion } from './assertions.ts';
import { renderVars } from './render-vars.ts';
import { bleu, levenshtein, rougeN } from './text-metrics.ts';
import type { AssertionSpec, GradingEnv, GradingInput } from './types.ts';

const env: GradingEnv = { validateJsonSchema: createJsonSchemaValidator() };

function input(output: string, extra: Partial<GradingInput> = {}): GradingInput {
  return {
    output,
    toolCalls: [],
    finishReason: 'stop',
    latencyMs: 120,
    costUsd: 0.002,
    cached: false,
    prompt: 'What is the capital of France?',
    vars: { city: 'Paris' },
    tools: [],
    ...extra,
  };
}

async function verdict(spec: AssertionSpec, output: string, extra: Partial<GradingInput> = {}) {
  return runAssertion(spec, input(output, extra), env);
}

const schema = { type: 'object', required: ['name'], properties: { name: { type: 'string' } } };
const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: { type: 'object', required: ['city'], properties: { city: { type: 'string' } } },
  },
};

// [spec, an output that passes, an output that fails, extra grading input]
const table: [AssertionSpec, string, string, Partial<GradingInput>?][] = [
  [{ type: 'equals', value: 'Paris' }, 'Paris', 'paris'],
  [{ type: 'equals', value: { a: 1 } }, '{"a":1}', '{"a":2}'],
  [{ type: 'contains', value: '{{city}}' }, 'It is Paris.', 'It is Lyon.'],
  [{ type: 'icontains', value: 'PARIS' }, 'paris!', 'lyon'],
  [{ type: 'contains-any', value: ['Paris', 'Lyon'] }, 'Lyon', 'Nice'],
  [{ type: 'contains-any', value: 'Paris, "Ly,on"' }, 'Ly,on', 'Lyon'],
  [{ type: 'contains-all', value: ['a', 'b'] }, 'ab', 'a'],
  [{ type: 'icontains-any', value: ['PARIS'] }, 'paris', 'rome'],
  [{ type: 'icontains-all', value: ['A', 'B'] }, 'a b', 'a'],
  [{ type: 'starts-with', value: 'The' }, 'The end', 'An end'],
  [{ type: 'regex', value: '^\\d{3}$' }, '123', '12a'],
  [{ type: 'is-json' }, '{"x":1}', '{x:1}'],
  [{ type: 'is-json', value: schema }, '{"name":"a"}', '{"nom":"a"}'],
  [{ type: 'json-schema', value: schema }, '{"name":"a"}', '{"name":1}'],
  [{ type: 'contains-json' }, 'here: {"a": {"b": 1}} done', 'no json {here'],
  [{ type: 'contains-json', value: schema }, 'x {"name":"n"} y', 'x {"other":1} y'],
  [{ type: 'levenshtein', value: 'kitten', threshold: 3 }, 'sitting', 'sitting down'],
  [
    { type: 'rouge-n', value: 'the cat sat on the mat', threshold: 0.75 },
    'The cat sat on the mat.',
    'a dog ran',
  ],
  [
    { type: 'bleu', value: 'the quick brown fox jumps over the lazy dog' },
    'the quick brown fox jumps over the lazy dog',
    'hello world',
  ],
  [{ type: 'word-count', value: { min: 2, max: 3 } }, 'two words', 'one'],
  [{ type: 'word-count', value: 2 }, 'two words', 'three words here'],
  [{ type: 'char-count', value: { max: 5 } }, 'short', 'too long'],
  [{ type: 'latency', threshold: 200 }, 'x', 'x', { latencyMs: 500 }],
  [{ type: 'cost', threshold: 0.01 }, 'x', 'x', { costUsd: 0.5 }],
  [{ type: 'finish-reason', value: 'stop' }, 'x', 'x', { finishReason: 'length' }],
  [
    { type: 'tool-call-f1', value: ['get_weather'] },
    'x',
    'y',
    { toolCalls: [{ id: '1', name: 'get_weather', arguments: '{}' }] },
  ],
];

describe('deterministic assertions', () => {
  it.each(table)('%j passes, fails, and inverts with not-', async (spec, good, bad, extra) => {
    const failExtra = extra ?? {};
    // For call-level assertions the failing input differs by its extra fields, not its text.
    const passExtra = spec.type === 'tool-call-f1' ? failExtra : {};
    const failInput = spec.type === 'tool-call-f1' ? {} : failExtra;
    const ok = await verdict(spec, good, passExtra);
    expect(ok.pass, ok.reason).toBe(true);
    const ko = await verdict(spec, bad, failInput);
    expect(ko.pass).toBe(false);
    expect(ko.reason).not.toBe('Assertion passed');
    const notOk = await verdict({ ...spec, type: `not-${spec.type}` }, good, passExtra);
    expect(notOk.pass).toBe(false);
    const notKo = await verdict({ ...spec, type: `not-${spec.type}` }, bad, failInput);
    expect(notKo.pass).toBe(true);
  });

  it('fails latency on cached answers and cost when the price is unknown, saying why', async () => {
    expect((await verdict({ type: 'latency', threshold: 1000 }, 'x', { cached: true })).reason).toMatch(
      /--no-cache/,
    );
    expect((await verdict({ type: 'cost', threshold: 1 }, 'x', { costUsd: null })).pass).toBe(false);
  });

  it('validates OpenAI tool calls against the tools schemas', async () => {
    const tools = [weatherTool];
    const good = await verdict({ type: 'is-valid-openai-tools-call' }, '', {
      tools,
      toolCalls: [{ id: '1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
    });
    expect(good.pass).toBe(true);
    const badArgs = await verdict({ type: 'is-valid-openai-tools-call' }, '', {
      tools,
      toolCalls: [{ id: '1', name: 'get_weather', arguments: '{"town":"Paris"}' }],
    });
    expect(badArgs.pass).toBe(false);
    expect(badArgs.reason).toMatch(/city/);
    const unknown = await verdict({ type: 'is-valid-openai-tools-call' }, '', {
      tools,
      toolCalls: [{ id: '1', name: 'launch', arguments: '{}' }],
    });
    expect(unknown.pass).toBe(false);
    const none = await verdict({ type: 'not-is-valid-openai-tools-call' }, 'plain text', { tools });
    expect(none.pass).toBe(true);
  });

  it('turns a bad assertion value into a failed assertion, not a thrown error', async () => {
    const r = await verdict({ type: 'contains-any', value: 42 }, 'x');
    expect(r.pass).toBe(false);
    expect(r.reason).toMatch(/list value/);
  });
});

describe('case scoring', () => {
  it('fails a case when any assertion fails, with the weighted mean as score', async () => {
    const r = await gradeOutput(
      [
        { type: 'contains', value: 'a', weight: 3 },
        { type: 'contains', value: 'z', weight: 1 },
      ],
      input('abc'),
    );
    expect(r.pass).toBe(false);
    expect(r.score).toBeCloseTo(0.75);
  });

  it('passes a case whose weighted score reaches the threshold', async () => {
    const asserts: AssertionSpec[] = [
      { type: 'contains', value: 'a', weight: 3 },
      { type: 'contains', value: 'z', weight: 1 },
    ];
    expect((await gradeOutput(asserts, input('abc'), { threshold: 0.7 })).pass).toBe(true);
    expect((await gradeOutput(asserts, input('abc'), { threshold: 0.8 })).pass).toBe(false);
  });

  it('averages named metrics by weight', () => {
    const r = combineOutcomes([
      { type: 'a', pass: true, score: 1, reason: '', weight: 1, metric: 'tone' },
      { type: 'b', pass: false, score: 0, reason: 'no', weight: 3, metric: 'tone' },
      { type: 'c', pass: true, score: 1, reason: '', weight: 1, metric: 'format' },
    ]);
    expect(r.namedScores).toEqual({ tone: 0.25, format: 1 });
  });

  it('passes a case without assertions with score 1', () => {
    expect(combineOutcomes([])).toMatchObject({ pass: true, score: 1 });
  });
});

describe('model-graded assertions', () => {
  const judged = (answer: string): GradingEnv => ({ ...env, judge: async () => answer });

  it('llm-rubric follows the judge and its threshold', async () => {
    const pass = await runAssertion(
      { type: 'llm-rubric', value: 'is polite' },
      input('Thank you!'),
      judged('{"pass": true, "score": 0.9, "reason": "polite"}'),
    );
    expect(pass).toMatchObject({ pass: true, score: 0.9 });
    const below = await runAssertion(
      { type: 'llm-rubric', value: 'is polite', threshold: 0.95 },
      input('Thank you!'),
      judged('{"pass": true, "score": 0.9, "reason": "polite"}'),
    );
    expect(below.pass).toBe(false);
    const garbage = await runAssertion({ type: 'llm-rubric', value: 'x' }, input('y'), judged('I think so'));
    expect(garbage.pass).toBe(false);
    expect(garbage.reason).toMatch(/expected JSON/);
  });

  it('factuality fails only on disagreement', async () => {
    const agree = await runAssertion(
      { type: 'factuality', value: 'Paris' },
      input('Paris'),
      judged('{"category":"C","reason":"same"}'),
    );
    const disagree = await runAssertion(
      { type: 'factuality', value: 'Paris' },
      input('Lyon'),
      judged('{"category":"D","reason":"no"}'),
    );
    expect([agree.pass, disagree.pass]).toEqual([true, false]);
  });

  it('similar compares embeddings by cosine', async () => {
    const embedEnv: GradingEnv = {
      embed: async (_p, texts) => texts.map((t) => (t.includes('cat') ? [1, 0] : [0, 1])),
    };
    expect((await runAssertion({ type: 'similar', value: 'a cat' }, input('my cat'), embedEnv)).pass).toBe(
      true,
    );
    expect((await runAssertion({ type: 'similar', value: 'a cat' }, input('a dog'), embedEnv)).pass).toBe(
      false,
    );
  });
});

describe('config validation', () => {
  it('refuses unsupported types by name, with a hint', () => {
    // Python runs only where the caller allows it (the CLI), never on the server.
    expect(() => validateAssertion({ type: 'python', value: 'x' })).toThrow(/promptline eval.*javascript/i);
    expect(() =>
      validateAssertion({ type: 'not-python', value: 'x' }, 'assert', { python: true }),
    ).not.toThrow();
    expect(() => validateAssertion({ type: 'python' }, 'assert', { python: true })).toThrow(/value/);
    expect(() => validateAssertion({ type: 'not-perplexity' })).toThrow(/not-perplexity/);
    expect(() => validateAssertion({ type: 'latency' })).toThrow(/threshold/);
    expect(() => validateAssertion({ type: 'contains' })).toThrow(/value/);
  });
});

describe('text metrics and vars', () => {
  it('computes the classic values', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(rougeN('the cat sat', 'the cat sat')).toBe(1);
    expect(rougeN('a b', 'c d')).toBe(0);
    expect(bleu('the cat is on the mat', ['the cat is on the mat'])).toBeCloseTo(1);
  });

  it('renders {{ var }} like promptfoo and refuses filters and tags', () => {
    expect(
      renderVars('Hi {{ name }} {{user.city}} {{missing}}!', { name: 'Ada', user: { city: 'Oslo' } }),
    ).toBe('Hi Ada Oslo !');
    expect(() => renderVars('{{ name | upper }}', {})).toThrow(/filter "upper"/);
    expect(() => renderVars('{% if x %}y{% endif %}', {})).toThrow(/not supported/);
  });
});
