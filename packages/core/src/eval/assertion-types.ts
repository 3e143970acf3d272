/**
 * The assertion types by how they grade, without anything else of the engine (no zod): the web
 * app's assertion pickers read them through `@promptline/core/browser`.
 */

/** Types graded from the output alone (plus latency/cost/tool calls of the call). */
export const DETERMINISTIC_ASSERTIONS = [
  'equals',
  'contains',
  'icontains',
  'contains-any',
  'contains-all',
  'icontains-any',
  'icontains-all',
  'starts-with',
  'regex',
  'is-json',
  'contains-json',
  'json-schema',
  'is-valid-json-schema',
  'levenshtein',
  'rouge-n',
  'bleu',
  'word-count',
  'char-count',
  'latency',
  'cost',
  'finish-reason',
  'is-valid-openai-tools-call',
  'tool-call-f1',
] as const;

/** Types graded by a model. `select-best` compares all outputs of one case. */
export const MODEL_GRADED_ASSERTIONS = [
  'llm-rubric',
  'factuality',
  'answer-relevance',
  'similar',
  'select-best',
] as const;
