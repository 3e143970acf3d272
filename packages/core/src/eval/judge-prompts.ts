/**
 * The judge prompts of the model-graded assertions, kept as plain data: chat messages whose
 * contents are `{{variable}}` templates. A team overrides one by registering a Promptline prompt of
 * the same name (or by `rubricPrompt` on the assertion); nothing here is code.
 */
import type { VersionContent } from '../schemas.ts';
import { renderContent } from '../template/content.ts';
import { renderVars } from './render-vars.ts';

/** A judge prompt: a registry name and its chat messages (templates). */
export interface JudgePrompt {
  name: string;
  messages: { role: 'system' | 'user'; content: string }[];
}

const JSON_ONLY = 'Answer with one JSON object and nothing else.';

/** Default judge prompts by assertion type. */
export const JUDGE_PROMPTS = {
  'llm-rubric': {
    name: 'promptline/judges/llm-rubric',
    messages: [
      {
        role: 'system',
        content: `You grade the output of an AI system against a rubric. Decide whether the output meets the rubric, give a score from 0.0 (fails completely) to 1.0 (meets it fully) and a one-sentence reason. ${JSON_ONLY} Its shape: {"reason": string, "pass": boolean, "score": number}.`,
      },
      { role: 'user', content: '<Output>\n{{output}}\n</Output>\n<Rubric>\n{{rubric}}\n</Rubric>' },
    ],
  },
  factuality: {
    name: 'promptline/judges/factuality',
    messages: [
      {
        role: 'system',
        content: `You compare a submitted answer with an expert answer to a question. Ignore differences in style, grammar or punctuation. Pick one category:
(A) The submitted answer is a subset of the expert answer and fully consistent with it.
(B) The submitted answer is a superset of the expert answer and fully consistent with it.
(C) The submitted answer contains all the same details as the expert answer.
(D) There is a disagreement between the submitted answer and the expert answer.
(E) The answers differ, but these differences don't matter from the perspective of factuality.
${JSON_ONLY} Its shape: {"category": "A" | "B" | "C" | "D" | "E", "reason": string}.`,
      },
      {
        role: 'user',
        content: '[Question]: {{input}}\n[Expert]: {{ideal}}\n[Submission]: {{output}}',
      },
    ],
  },
  'answer-relevance': {
    name: 'promptline/judges/answer-relevance',
    messages: [
      {
        role: 'system',
        content: `You judge how relevant an answer is to the question it replies to: 1.0 when it addresses the question directly and completely, 0.0 when it is off-topic or evasive. ${JSON_ONLY} Its shape: {"score": number, "reason": string}.`,
      },
      { role: 'user', content: '[Question]: {{input}}\n[Answer]: {{output}}' },
    ],
  },
  'select-best': {
    name: 'promptline/judges/select-best',
    messages: [
      {
        role: 'system',
        content: `You compare several outputs for the same input and pick the one that best meets the criteria. Outputs are numbered from 0. ${JSON_ONLY} Its shape: {"best": number, "reason": string}.`,
      },
      { role: 'user', content: '<Criteria>\n{{criteria}}\n</Criteria>\n{{outputs}}' },
    ],
  },
} as const satisfies Record<string, JudgePrompt>;

/** Assertion types whose judge prompt can be overridden. */
export type JudgeKind = keyof typeof JUDGE_PROMPTS;

const reason = { type: 'string' } as const;
const unitScore = { type: 'number', minimum: 0, maximum: 1 } as const;
const answerObject = (properties: Record<string, unknown>) => ({
  type: 'object',
  properties,
  // Structured-output strict mode: every property required, no others.
  required: Object.keys(properties),
  additionalProperties: false,
});

/** The JSON Schema of each judge's answer (what the assertions parse), asked for as structured output. */
export const JUDGE_ANSWER_SCHEMAS: Record<JudgeKind, Record<string, unknown>> = {
  'llm-rubric': answerObject({ reason, pass: { type: 'boolean' }, score: unitScore }),
  factuality: answerObject({ category: { type: 'string', enum: ['A', 'B', 'C', 'D', 'E'] }, reason }),
  'answer-relevance': answerObject({ score: unitScore, reason }),
  'select-best': answerObject({ best: { type: 'integer', minimum: 0 }, reason }),
};

/**
 * The response format a judge call asks for: OpenAI's `json_schema` structured output with the
 * kind's answer schema (`maxIndex` bounds select-best's `best`). Providers translate it to their
 * own structured output; the built-in `mock` answers schema-valid JSON, so judged suites pass on it.
 */
export function judgeResponseFormat(kind: JudgeKind, options: { maxIndex?: number } = {}): unknown {
  let schema = JUDGE_ANSWER_SCHEMAS[kind];
  if (kind === 'select-best' && options.maxIndex !== undefined) {
    schema = answerObject({ best: { type: 'integer', minimum: 0, maximum: options.maxIndex }, reason });
  }
  return {
    type: 'json_schema',
    json_schema: { name: `promptline_${kind.replaceAll('-', '_')}`, strict: true, schema },
  };
}

/**
 * A judge prompt taken from the Promptline registry (a version of `promptline/judges/<kind>` or the
 * prompt a `rubricPrompt: registry:<name>` names). It renders with the registry's engine
 * (Mustache, strict, partials), exactly as the registry renders it.
 */
export interface RegistryJudgePrompt {
  name: string;
  version: number;
  content: VersionContent;
  /** Partial name → template text, collected when the prompt was fetched. */
  partials: Record<string, string>;
}

/** Judge prompts that replace the built-in ones for a run, by assertion type. */
export type JudgeOverrides = Partial<Record<JudgeKind, RegistryJudgePrompt>>;

/** Anything a judge prompt can be: built-in, from the registry, or a `rubricPrompt` literal. */
export type JudgeTemplate = JudgePrompt | RegistryJudgePrompt | string;

type JudgeMessage = { role: 'system' | 'user' | 'assistant'; content: string };

/** True for a judge prompt fetched from the registry (also when it sits in an assertion's `rubricPrompt`). */
export function isRegistryJudgePrompt(value: unknown): value is RegistryJudgePrompt {
  if (!value || typeof value !== 'object') return false;
  const v = value as Partial<RegistryJudgePrompt>;
  return typeof v.name === 'string' && typeof v.version === 'number' && typeof v.content === 'object';
}

/**
 * The messages sent to the judge: built-in prompts and `rubricPrompt` strings substitute
 * promptfoo-style `{{var}}`; registry prompts render with the registry's Mustache engine (strict: a
 * variable the judge prompt uses but the assertion does not provide is an error naming it).
 *
 * @throws AppError TEMPLATE_VARIABLE_MISSING and other template errors of a registry prompt.
 */
export function renderJudgeMessages(template: JudgeTemplate, vars: Record<string, unknown>): JudgeMessage[] {
  if (typeof template === 'string') return [{ role: 'user', content: renderVars(template, vars) }];
  if (!('content' in template)) {
    return template.messages.map((m) => ({ role: m.role, content: renderVars(m.content, vars) }));
  }
  const partials = template.partials;
  const rendered = renderContent(template.content, vars, {
    strict: true,
    partials: (n) => (Object.hasOwn(partials, n) ? partials[n] : undefined),
  });
  if (rendered.type === 'text') return [{ role: 'user', content: rendered.text }];
  return rendered.messages.map((m) => ({
    // Judges are called with system/user/assistant only; a developer message is a system one.
    role: m.role === 'user' || m.role === 'assistant' ? m.role : 'system',
    content: m.content,
  }));
}
