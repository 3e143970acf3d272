/**
 * Assertions: each type grades one output and answers pass, score and reason. The semantics follow
 * promptfoo's (values, default thresholds, `not-` inversion, weighted case score) so a promptfoo
 * suite gets the same verdicts here.
 *
 * Over 500 lines because it is one table: each assertion type is a short entry, and keeping them
 * side by side is what makes promptfoo parity checkable. Model-graded types live in their own files.
 */
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { DETERMINISTIC_ASSERTIONS, MODEL_GRADED_ASSERTIONS } from './assertion-types.ts';
import {
  isRegistryJudgePrompt,
  JUDGE_PROMPTS,
  type JudgeKind,
  type JudgeTemplate,
  judgeResponseFormat,
  renderJudgeMessages,
} from './judge-prompts.ts';
import { renderVarsDeep } from './render-vars.ts';
import {
  bleu,
  cosineSimilarity,
  countWords,
  extractJsonObjects,
  levenshtein,
  rougeN,
} from './text-metrics.ts';
import type {
  AssertionOutcome,
  AssertionSpec,
  CodeEvaluator,
  GradingEnv,
  GradingInput,
  GradingResult,
} from './types.ts';

export { DETERMINISTIC_ASSERTIONS, MODEL_GRADED_ASSERTIONS };

/** Every supported type (each also as `not-<type>`). */
export const SUPPORTED_ASSERTIONS: readonly string[] = [
  ...DETERMINISTIC_ASSERTIONS,
  'javascript',
  'python',
  ...MODEL_GRADED_ASSERTIONS,
];

/** Where assertions are validated: Python runs only where the caller allows it (the CLI). */
export interface ValidateAssertionOptions {
  /** Accept `python` assertions (default false: the server runs no Python). */
  python?: boolean;
}

const UNSUPPORTED_HINTS: Record<string, string> = {
  python:
    'Python evaluators run only in `promptline eval` on your machine; here, rewrite it as a `javascript` assertion (inline or file://evaluator.js).',
  ruby: 'Ruby evaluators are not supported: rewrite it as a `javascript` assertion.',
  'assert-set':
    'assert-set groups are not supported: list the assertions directly and use the case `threshold`.',
  webhook:
    'webhook assertions are not supported: call the service from a `javascript` file evaluator instead.',
};

/** Splits `not-contains` into `{ base: 'contains', inverse: true }`. */
export function parseAssertionType(type: string): { base: string; inverse: boolean } {
  return type.startsWith('not-') ? { base: type.slice(4), inverse: true } : { base: type, inverse: false };
}

/**
 * Checks an assertion at config time: known type, required value or threshold present.
 *
 * @throws AppError CONFIG_INVALID naming the type and what to do.
 */
export function validateAssertion(
  spec: AssertionSpec,
  where = 'assert',
  options: ValidateAssertionOptions = {},
): void {
  const { base } = parseAssertionType(spec.type);
  if (!SUPPORTED_ASSERTIONS.includes(base) || (base === 'python' && options.python !== true)) {
    const hint =
      UNSUPPORTED_HINTS[base] ??
      `Supported types: ${SUPPORTED_ASSERTIONS.join(', ')} (each also as not-<type>).`;
    throw new AppError('CONFIG_INVALID', `${where}: assertion type "${spec.type}" is not supported. ${hint}`);
  }
  const valueOptional = [
    'is-json',
    'contains-json',
    'latency',
    'cost',
    'is-valid-openai-tools-call',
    'select-best',
    // Judged against the question var (input, question or query), not a value.
    'answer-relevance',
  ];
  if (!valueOptional.includes(base) && spec.value === undefined) {
    throw new AppError('CONFIG_INVALID', `${where}: assertion "${spec.type}" needs a \`value\`.`);
  }
  if ((base === 'latency' || base === 'cost') && spec.threshold === undefined) {
    throw new AppError(
      'CONFIG_INVALID',
      `${where}: assertion "${spec.type}" needs a \`threshold\` (${base === 'latency' ? 'milliseconds' : 'USD'}).`,
    );
  }
}

interface Verdict {
  pass: boolean;
  score: number;
  reason: string;
}

function binary(ok: boolean, inverse: boolean, failReason: string): Verdict {
  const pass = ok !== inverse;
  return { pass, score: pass ? 1 : 0, reason: pass ? 'Assertion passed' : failReason };
}

function scored(score: number, threshold: number, inverse: boolean, label: string): Verdict {
  const pass = score >= threshold !== inverse;
  return {
    pass,
    score: inverse ? 1 - score : score,
    reason: pass
      ? 'Assertion passed'
      : `${label} ${score.toFixed(4)} is ${inverse ? 'greater than or equal to' : 'less than'} threshold ${threshold}`,
  };
}

/** promptfoo's CSV-like list syntax for contains-any/all string values. */
function listValue(value: unknown, type: string): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string') {
    const out: string[] = [];
    for (const m of value.matchAll(/\s*(?:"((?:[^"\\]|\\.|"")*)"|([^,]*))\s*(?:,|$)/g)) {
      if (m[0] === '') break;
      const field =
        m[1] !== undefined ? m[1].replace(/\\(["\\])|""/g, (_s, c) => c ?? '"') : (m[2] ?? '').trim();
      if (field !== '' || m[1] !== undefined) out.push(field);
    }
    return out;
  }
  throw new Error(`"${type}" needs a list value (a YAML list or a comma-separated string)`);
}

function textValue(value: unknown, type: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`"${type}" needs a string value`);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function schemaOf(value: unknown, type: string): unknown {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'object') return value;
  if (typeof value === 'string') {
    try {
      return JSON.parse(value);
    } catch {
      throw new Error(`"${type}" value must be a JSON Schema object (YAML mapping or JSON string)`);
    }
  }
  throw new Error(`"${type}" value must be a JSON Schema object`);
}

function requireSchemaValidator(env: GradingEnv): NonNullable<GradingEnv['validateJsonSchema']> {
  if (!env.validateJsonSchema) {
    throw new Error('JSON Schema validation needs the Node runner (@promptline/core/node)');
  }
  return env.validateJsonSchema;
}

function bounds(value: unknown, type: string): { min?: number; max?: number; exact?: number } {
  if (typeof value === 'number') return { exact: value };
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)))
    return { exact: Number(value) };
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const { min, max } = value as { min?: unknown; max?: unknown };
    const out: { min?: number; max?: number } = {};
    if (typeof min === 'number') out.min = min;
    if (typeof max === 'number') out.max = max;
    if (out.min !== undefined || out.max !== undefined) return out;
  }
  throw new Error(`"${type}" needs a number or {min, max}`);
}

function checkBounds(count: number, value: unknown, type: string, unit: string, inverse: boolean): Verdict {
  const b = bounds(value, type);
  const ok =
    b.exact !== undefined
      ? count === b.exact
      : (b.min === undefined || count >= b.min) && (b.max === undefined || count <= b.max);
  const want =
    b.exact !== undefined
      ? `exactly ${b.exact}`
      : b.min !== undefined && b.max !== undefined
        ? `between ${b.min} and ${b.max}`
        : b.min !== undefined
          ? `at least ${b.min}`
          : `at most ${b.max}`;
  return binary(ok, inverse, `Expected ${inverse ? 'not ' : ''}${want} ${unit}, got ${count}`);
}

function validToolCalls(input: GradingInput, env: GradingEnv, inverse: boolean): Verdict {
  if (input.toolCalls.length === 0) return binary(false, inverse, 'The model made no tool call');
  const tools = new Map<string, unknown>();
  for (const tool of input.tools) {
    const fn = (tool as { function?: { name?: unknown; parameters?: unknown } }).function;
    if (fn && typeof fn.name === 'string') tools.set(fn.name, fn.parameters);
  }
  if (tools.size === 0)
    return binary(false, inverse, 'No tools are configured for this provider, but the model called one');
  for (const call of input.toolCalls) {
    if (!tools.has(call.name))
      return binary(false, inverse, `Tool "${call.name}" is not among the configured tools`);
    let args: unknown;
    try {
      args = JSON.parse(call.arguments || '{}');
    } catch {
      // The parse failure is the verdict.
      return binary(false, inverse, `Arguments of tool call "${call.name}" are not valid JSON`);
    }
    const schema = tools.get(call.name);
    if (schema) {
      const result = requireSchemaValidator(env)(schema, args);
      if (!result.valid) {
        return binary(
          false,
          inverse,
          `Arguments of tool call "${call.name}" do not match its schema: ${result.errors}`,
        );
      }
    }
  }
  return binary(true, inverse, '');
}

function toolCallF1(
  input: GradingInput,
  value: unknown,
  threshold: number | undefined,
  inverse: boolean,
): Verdict {
  const expected = new Set(listValue(value, 'tool-call-f1'));
  const actual = new Set(input.toolCalls.map((c) => c.name));
  const hit = [...expected].filter((t) => actual.has(t)).length;
  const precision = actual.size ? hit / actual.size : 0;
  const recall = expected.size ? hit / expected.size : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  const t = threshold ?? 1;
  const pass = f1 >= t !== inverse;
  return {
    pass,
    score: f1,
    reason: pass
      ? 'Assertion passed'
      : `Tool-call F1 ${f1.toFixed(3)} is below threshold ${t} (expected [${[...expected].join(', ')}], called [${[...actual].join(', ')}])`,
  };
}

/** Normalises what a custom evaluator returned (boolean, number or {pass, score, reason}). */
export function interpretCodeResult(
  result: unknown,
  threshold: number | undefined,
  inverse: boolean,
): Verdict {
  if (typeof result === 'boolean') return binary(result, inverse, `Custom function returned ${result}`);
  if (typeof result === 'number') {
    const raw = threshold === undefined ? result > 0 : result >= threshold;
    const pass = raw !== inverse;
    return { pass, score: result, reason: pass ? 'Assertion passed' : `Custom function returned ${result}` };
  }
  if (result && typeof result === 'object' && typeof (result as { pass?: unknown }).pass === 'boolean') {
    const r = result as { pass: boolean; score?: unknown; reason?: unknown };
    const pass = r.pass !== inverse;
    const score = typeof r.score === 'number' ? r.score : pass ? 1 : 0;
    const reason =
      pass === r.pass && typeof r.reason === 'string'
        ? r.reason
        : pass
          ? 'Assertion passed'
          : `Custom function returned ${r.pass}`;
    return { pass, score, reason };
  }
  return {
    pass: false,
    score: 0,
    reason: `Custom function must return a boolean, a number or {pass, score, reason}; it returned ${JSON.stringify(result) ?? 'undefined'}`,
  };
}

/**
 * Reads `value` of a python assertion: `file://path.py[:fn]` (default function `get_assert`) or
 * inline code (one line: an expression; several: a function body with `return`).
 */
export function pythonEvaluatorOf(value: unknown): CodeEvaluator {
  if (typeof value !== 'string' || value.trim() === '')
    throw new Error('"python" needs code or file://path.py');
  if (value.startsWith('file://')) {
    const rest = value.slice('file://'.length);
    const m = /^(.*\.py):([A-Za-z_][\w.]*)$/.exec(rest);
    return m?.[1] && m[2] ? { kind: 'file', path: m[1], functionName: m[2] } : { kind: 'file', path: rest };
  }
  return { kind: 'inline', code: value.trimEnd() };
}

/** Reads `value` of a javascript assertion: `file://path.js[:fn]` or inline code. */
export function codeEvaluatorOf(value: unknown): CodeEvaluator {
  if (typeof value !== 'string' || value.trim() === '')
    throw new Error('"javascript" needs code or file://path.js');
  if (value.startsWith('file://')) {
    const rest = value.slice('file://'.length);
    const m = /^(.*\.[cm]?[jt]s):([A-Za-z_$][\w$]*)$/.exec(rest);
    return m?.[1] && m[2] ? { kind: 'file', path: m[1], functionName: m[2] } : { kind: 'file', path: rest };
  }
  return { kind: 'inline', code: value.trimEnd() };
}

const RubricAnswer = z.object({
  pass: z.boolean(),
  score: z.number().min(0).max(1).optional(),
  reason: z.string(),
});
const FactualityAnswer = z.object({ category: z.enum(['A', 'B', 'C', 'D', 'E']), reason: z.string() });
const RelevanceAnswer = z.object({ score: z.number().min(0).max(1), reason: z.string() });

/** Parses a judge's answer: the first JSON object in its text, validated. */
export function parseJudgeAnswer<T>(text: string, schema: z.ZodType<T>): T {
  const candidates: unknown[] = [];
  try {
    candidates.push(JSON.parse(text));
  } catch {
    // Judges often wrap their JSON in prose: look for objects inside the text.
    candidates.push(...extractJsonObjects(text));
  }
  for (const candidate of candidates) {
    const parsed = schema.safeParse(candidate);
    if (parsed.success) return parsed.data;
  }
  throw new Error(`The judge did not answer the expected JSON: ${text.slice(0, 200)}`);
}

function requireJudge(env: GradingEnv): NonNullable<GradingEnv['judge']> {
  if (!env.judge)
    throw new Error('Model-graded assertions need a judge provider (run them with the Node runner)');
  return env.judge;
}

/**
 * The judge prompt of an assertion: its own `rubricPrompt` (a literal template, or a registry
 * prompt the CLI fetched for `registry:<name>`), else the run's override for the type, else the
 * built-in one.
 */
export function judgeTemplateFor(
  kind: JudgeKind,
  spec: Pick<AssertionSpec, 'rubricPrompt'>,
  env: Pick<GradingEnv, 'judgePrompts'>,
): JudgeTemplate {
  if (typeof spec.rubricPrompt === 'string') {
    if (spec.rubricPrompt.startsWith('registry:'))
      throw new Error(
        `rubricPrompt "${spec.rubricPrompt}" names a registry prompt: run it with \`promptline eval\` and PROMPTLINE_URL set`,
      );
    return spec.rubricPrompt;
  }
  if (isRegistryJudgePrompt(spec.rubricPrompt)) return spec.rubricPrompt;
  return env.judgePrompts?.[kind] ?? JUDGE_PROMPTS[kind];
}

/** The user's question as judges see it: the `input`/`question`/`query` var, else the prompt. */
function questionOf(input: GradingInput): string {
  for (const key of ['input', 'question', 'query']) {
    const v = input.vars[key];
    if (typeof v === 'string') return v;
  }
  return input.prompt;
}

async function gradeOne(spec: AssertionSpec, input: GradingInput, env: GradingEnv): Promise<Verdict> {
  const { base, inverse } = parseAssertionType(spec.type);
  // Code is passed as written: `{{` in it is code, not a variable.
  const value =
    base === 'javascript' || base === 'python' ? spec.value : renderVarsDeep(spec.value, input.vars);
  const out = input.output;
  switch (base) {
    case 'equals': {
      if (value !== null && typeof value === 'object') {
        let ok = false;
        try {
          ok = deepEqual(value, JSON.parse(out));
        } catch {
          // Output that is not JSON cannot equal an object.
          ok = false;
        }
        return binary(
          ok,
          inverse,
          `Expected output to ${inverse ? 'not ' : ''}equal ${JSON.stringify(value)}`,
        );
      }
      return binary(
        String(value) === out,
        inverse,
        `Expected output "${out}" to ${inverse ? 'not ' : ''}equal "${String(value)}"`,
      );
    }
    case 'contains': {
      const v = textValue(value, base);
      return binary(out.includes(v), inverse, `Expected output to ${inverse ? 'not ' : ''}contain "${v}"`);
    }
    case 'icontains': {
      const v = textValue(value, base);
      return binary(
        out.toLowerCase().includes(v.toLowerCase()),
        inverse,
        `Expected output to ${inverse ? 'not ' : ''}contain "${v}" (any case)`,
      );
    }
    case 'contains-any':
    case 'icontains-any': {
      const list = listValue(value, base);
      const fold = base === 'icontains-any';
      const hay = fold ? out.toLowerCase() : out;
      const ok = list.some((v) => hay.includes(fold ? v.toLowerCase() : v));
      return binary(
        ok,
        inverse,
        `Expected output to ${inverse ? 'not ' : ''}contain one of "${list.join(', ')}"`,
      );
    }
    case 'contains-all':
    case 'icontains-all': {
      const list = listValue(value, base);
      const fold = base === 'icontains-all';
      const hay = fold ? out.toLowerCase() : out;
      const missing = list.filter((v) => !hay.includes(fold ? v.toLowerCase() : v));
      return binary(
        missing.length === 0,
        inverse,
        `Expected output to ${inverse ? 'not ' : ''}contain all of [${list.join(', ')}]. Missing: [${missing.join(', ')}]`,
      );
    }
    case 'starts-with': {
      const v = textValue(value, base);
      return binary(
        out.startsWith(v),
        inverse,
        `Expected output to ${inverse ? 'not ' : ''}start with "${v}"`,
      );
    }
    case 'regex': {
      const v = textValue(value, base);
      let re: RegExp;
      try {
        re = new RegExp(v);
      } catch (err) {
        return { pass: false, score: 0, reason: `Invalid regex pattern: ${(err as Error).message}` };
      }
      return binary(re.test(out), inverse, `Expected output to ${inverse ? 'not ' : ''}match regex "${v}"`);
    }
    case 'is-json':
    case 'json-schema':
    case 'is-valid-json-schema': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(out);
      } catch {
        // The parse failure is the verdict.
        return binary(false, inverse, 'Expected output to be valid JSON');
      }
      const schema = schemaOf(value, base);
      if (schema === undefined) {
        if (base !== 'is-json') throw new Error(`"${base}" needs a JSON Schema value`);
        return binary(true, inverse, 'Expected output to not be valid JSON');
      }
      const result = requireSchemaValidator(env)(schema, parsed);
      return binary(
        result.valid,
        inverse,
        inverse
          ? 'Output is JSON that conforms to the schema'
          : `JSON does not conform to the schema: ${result.errors}`,
      );
    }
    case 'contains-json': {
      const objects = extractJsonObjects(out);
      const schema = schemaOf(value, base);
      if (schema === undefined)
        return binary(objects.length > 0, inverse, 'Expected output to contain valid JSON');
      const validate = requireSchemaValidator(env);
      let errors = 'no JSON object found';
      for (const obj of objects) {
        const result = validate(schema, obj);
        if (result.valid) return binary(true, inverse, 'Output contains JSON conforming to the schema');
        errors = result.errors;
      }
      return binary(false, inverse, `JSON does not conform to the schema: ${errors}`);
    }
    case 'levenshtein': {
      const v = textValue(value, base);
      const d = levenshtein(out, v);
      const t = spec.threshold ?? 5;
      return binary(
        d <= t,
        inverse,
        `Levenshtein distance ${d} is ${inverse ? 'less than or equal to' : 'greater than'} threshold ${t}`,
      );
    }
    case 'rouge-n':
      return scored(rougeN(out, textValue(value, base)), spec.threshold ?? 0.75, inverse, 'ROUGE-N score');
    case 'bleu': {
      const refs = Array.isArray(value) ? value.map(String) : [textValue(value, base)];
      return scored(bleu(out, refs), spec.threshold ?? 0.5, inverse, 'BLEU score');
    }
    case 'word-count':
      return checkBounds(countWords(out), value, base, 'words', inverse);
    case 'char-count':
      return checkBounds([...out].length, value, base, 'characters', inverse);
    case 'latency': {
      const t = spec.threshold ?? 0;
      if (input.cached) {
        return {
          pass: false,
          score: 0,
          reason: 'Latency cannot be asserted on a cached response: rerun with --no-cache',
        };
      }
      return binary(
        input.latencyMs <= t,
        inverse,
        `Latency ${Math.round(input.latencyMs)}ms is ${inverse ? 'within' : 'over'} ${t}ms`,
      );
    }
    case 'cost': {
      const t = spec.threshold ?? 0;
      if (input.costUsd === null) {
        return {
          pass: false,
          score: 0,
          reason: 'Cost is unknown for this provider/model, so it cannot be asserted',
        };
      }
      return binary(
        input.costUsd <= t,
        inverse,
        `Cost $${input.costUsd.toPrecision(2)} is ${inverse ? 'within' : 'over'} $${t}`,
      );
    }
    case 'finish-reason': {
      const v = textValue(value, base);
      if (!input.finishReason) return binary(false, inverse, 'The provider did not report a finish reason');
      return binary(
        v.toLowerCase() === input.finishReason.toLowerCase(),
        inverse,
        `Expected finish reason ${inverse ? 'not ' : ''}"${v}", got "${input.finishReason}"`,
      );
    }
    case 'is-valid-openai-tools-call':
      return validToolCalls(input, env, inverse);
    case 'tool-call-f1':
      return toolCallF1(input, value, spec.threshold, inverse);
    case 'javascript': {
      if (!env.runCode) throw new Error('javascript assertions need the Node runner (@promptline/core/node)');
      const evaluator = codeEvaluatorOf(value);
      const context = { vars: input.vars, prompt: input.prompt, test: { vars: input.vars } };
      const result = await env.runCode(evaluator, out, context);
      return interpretCodeResult(result, spec.threshold, inverse);
    }
    case 'python': {
      if (!env.runPython) throw new Error('python assertions need the Node runner (promptline eval)');
      const evaluator = pythonEvaluatorOf(value);
      const context = { vars: input.vars, prompt: input.prompt, test: { vars: input.vars } };
      const result = await env.runPython(evaluator, out, context);
      return interpretCodeResult(result, spec.threshold, inverse);
    }
    case 'llm-rubric': {
      const judge = requireJudge(env);
      const rubric = typeof value === 'string' ? value : JSON.stringify(value);
      const text = await judge({
        provider: spec.provider,
        responseFormat: judgeResponseFormat('llm-rubric'),
        messages: renderJudgeMessages(judgeTemplateFor('llm-rubric', spec, env), {
          ...input.vars,
          output: out,
          rubric,
        }),
      });
      const answer = parseJudgeAnswer(text, RubricAnswer);
      const score = answer.score ?? (answer.pass ? 1 : 0);
      const ok = answer.pass && (spec.threshold === undefined || score >= spec.threshold);
      const pass = ok !== inverse;
      return { pass, score: inverse ? 1 - score : score, reason: answer.reason };
    }
    case 'factuality': {
      const judge = requireJudge(env);
      const text = await judge({
        provider: spec.provider,
        responseFormat: judgeResponseFormat('factuality'),
        messages: renderJudgeMessages(judgeTemplateFor('factuality', spec, env), {
          input: questionOf(input),
          ideal: textValue(value, base),
          output: out,
        }),
      });
      const answer = parseJudgeAnswer(text, FactualityAnswer);
      return binary(answer.category !== 'D', inverse, `(${answer.category}) ${answer.reason}`);
    }
    case 'answer-relevance': {
      const judge = requireJudge(env);
      const text = await judge({
        provider: spec.provider,
        responseFormat: judgeResponseFormat('answer-relevance'),
        messages: renderJudgeMessages(judgeTemplateFor('answer-relevance', spec, env), {
          input: questionOf(input),
          output: out,
        }),
      });
      const answer = parseJudgeAnswer(text, RelevanceAnswer);
      const verdict = scored(answer.score, spec.threshold ?? 0.7, inverse, 'Answer relevance');
      return { ...verdict, reason: verdict.pass ? answer.reason : `${verdict.reason}: ${answer.reason}` };
    }
    case 'similar': {
      if (!env.embed) throw new Error('"similar" needs an embedding provider (run it with the Node runner)');
      const expected = Array.isArray(value) ? value.map(String) : [textValue(value, base)];
      const vectors = await env.embed(spec.provider, [out, ...expected]);
      const [first, ...rest] = vectors;
      if (!first || rest.length !== expected.length)
        throw new Error('The embedding provider returned too few vectors');
      const best = Math.max(...rest.map((v) => cosineSimilarity(first, v)));
      return scored(best, spec.threshold ?? 0.75, inverse, 'Similarity');
    }
    case 'select-best':
      throw new Error('select-best is graded across the outputs of a case by the runner');
    default:
      throw new Error(`assertion type "${spec.type}" is not supported`);
  }
}

/**
 * Grades one output with one assertion. An assertion that cannot be evaluated (bad value, judge
 * failure, evaluator crash) fails with the error as its reason instead of throwing.
 */
export async function runAssertion(
  spec: AssertionSpec,
  input: GradingInput,
  env: GradingEnv = {},
): Promise<AssertionOutcome> {
  let verdict: Verdict;
  try {
    verdict = await gradeOne(spec, input, env);
  } catch (err) {
    verdict = { pass: false, score: 0, reason: `Error in "${spec.type}": ${(err as Error).message}` };
  }
  const outcome: AssertionOutcome = { type: spec.type, ...verdict, weight: spec.weight ?? 1 };
  if (spec.metric !== undefined) outcome.metric = spec.metric;
  return outcome;
}

/**
 * Combines assertion outcomes the promptfoo way: score is the weighted mean; the case passes when
 * every assertion passes, or — when `threshold` is set — when the score reaches it.
 */
export function combineOutcomes(outcomes: AssertionOutcome[], threshold?: number): GradingResult {
  if (outcomes.length === 0) {
    return { pass: true, score: 1, reason: 'No assertions', assertions: [], namedScores: {} };
  }
  let total = 0;
  let weights = 0;
  let failed: string | null = null;
  const named = new Map<string, { sum: number; weight: number }>();
  for (const o of outcomes) {
    total += o.score * o.weight;
    weights += o.weight;
    if (!o.pass && failed === null) failed = o.reason;
    if (o.metric !== undefined) {
      const m = named.get(o.metric) ?? { sum: 0, weight: 0 };
      m.sum += o.score * o.weight;
      m.weight += o.weight;
      named.set(o.metric, m);
    }
  }
  const score = weights > 0 ? total / weights : 0;
  let pass = failed === null;
  let reason = failed ?? 'All assertions passed';
  if (threshold !== undefined && !Number.isNaN(threshold)) {
    pass = score >= threshold;
    reason = `Aggregate score ${score.toFixed(2)} ${pass ? '≥' : '<'} ${threshold} threshold`;
  }
  const namedScores: Record<string, number> = {};
  for (const [name, m] of named) namedScores[name] = m.weight > 0 ? m.sum / m.weight : 0;
  return { pass, score, reason, assertions: outcomes, namedScores };
}

/**
 * Grades an output with a list of assertions (select-best excluded: the runner grades it across a
 * case's outputs) and combines them.
 *
 * @example
 * await gradeOutput([{ type: 'icontains', value: 'paris' }], input) // { pass: true, score: 1, … }
 */
export async function gradeOutput(
  asserts: AssertionSpec[],
  input: GradingInput,
  options: { threshold?: number } = {},
  env: GradingEnv = {},
): Promise<GradingResult> {
  const graded = asserts.filter((spec) => parseAssertionType(spec.type).base !== 'select-best');
  const outcomes = await Promise.all(graded.map((spec) => runAssertion(spec, input, env)));
  return combineOutcomes(outcomes, options.threshold);
}
