/**
 * The judge prompts of the model-graded assertions, kept as plain data: chat messages whose
 * contents are `{{variable}}` templates. A team overrides one by registering a Promptline prompt of
 * the same name (or by `rubricPrompt` on the assertion); nothing here is code.
 */

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
