/**
 * Shapes of the evaluation engine: assertions, what they grade, what they answer, and the result of
 * one cell of the eval matrix (prompt × provider × case × repeat). Browser safe.
 */
import { z } from 'zod';
import type { ToolCall, Usage } from '../providers/types.ts';
import type { JudgeOverrides } from './judge-prompts.ts';

/** One assertion as written in a config: promptfoo's shape (`type`, `value`, `threshold`, …). */
export const AssertionSpec = z
  .object({
    type: z.string().min(1),
    value: z.unknown().optional(),
    threshold: z.number().optional(),
    weight: z.number().min(0).optional(),
    metric: z.string().optional(),
    /** Judge or embedding provider for model-graded assertions (`openai:chat:gpt-4.1-mini` or an object). */
    provider: z.unknown().optional(),
    /** Rubric prompt override for model-graded assertions (a template with `{{output}}`, `{{rubric}}`). */
    rubricPrompt: z.unknown().optional(),
  })
  .strict();
export type AssertionSpec = z.infer<typeof AssertionSpec>;

/** Everything an assertion can look at about one model call. */
export interface GradingInput {
  output: string;
  toolCalls: ToolCall[];
  finishReason: string | null;
  latencyMs: number;
  /** Total cost in USD; null when the provider's price is unknown. */
  costUsd: number | null;
  /** True when the output came from the response cache (latency is then meaningless). */
  cached: boolean;
  /** The rendered prompt as sent (text, or the JSON of the messages). */
  prompt: string;
  vars: Record<string, unknown>;
  /** Tools offered to the model, in OpenAI's function shape (for tool-call checks). */
  tools: unknown[];
}

/** The verdict of one assertion. */
export interface AssertionOutcome {
  type: string;
  pass: boolean;
  /** 0…1 (or the raw number a custom evaluator returned). */
  score: number;
  reason: string;
  weight: number;
  metric?: string;
}

/** The verdict of all assertions of a case. */
export interface GradingResult {
  pass: boolean;
  /** Weighted mean of the assertion scores (1 when there are none). */
  score: number;
  reason: string;
  assertions: AssertionOutcome[];
  /** Per named metric: weighted mean score of the assertions that carry that `metric`. */
  namedScores: Record<string, number>;
}

/** A custom code evaluator, as the worker runs it. */
export type CodeEvaluator =
  | { kind: 'inline'; code: string }
  | { kind: 'file'; path: string; functionName?: string };

/** Model call used by model-graded assertions. */
export interface JudgeCall {
  /** Provider spec from the assertion or the case options; undefined = the suite's default grader. */
  provider: unknown;
  messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
  /** Structured output to ask for (see `judgeResponseFormat`); a provider's own `response_format` wins. */
  responseFormat?: unknown;
}

/**
 * What the environment lends to assertions that need more than the output: JSON Schema validation,
 * custom code, a judge model, embeddings. The Node runner provides all of them; a browser can
 * evaluate deterministic assertions without any.
 */
export interface GradingEnv {
  validateJsonSchema?(schema: unknown, data: unknown): { valid: boolean; errors: string };
  runCode?(evaluator: CodeEvaluator, output: string, context: Record<string, unknown>): Promise<unknown>;
  /** Runs a `python` assertion (inline code or `file://x.py[:fn]`) in a python3 process. */
  runPython?(evaluator: CodeEvaluator, output: string, context: Record<string, unknown>): Promise<unknown>;
  judge?(call: JudgeCall): Promise<string>;
  embed?(provider: unknown, texts: string[]): Promise<number[][]>;
  /** Judge prompts replacing the built-in ones (e.g. fetched from the registry); per type. */
  judgePrompts?: JudgeOverrides;
  signal?: AbortSignal;
}

/** Where a result's prompt came from when it is a registry version. */
export interface ResultPromptRef {
  name: string;
  version: number;
}

/** Where a result's case came from when it is a dataset item. */
export interface ResultDatasetItem {
  dataset: string;
  revision: number;
  itemId: number;
}

/** One cell of the eval matrix, graded: what sinks receive and result files hold (one per line in JSONL). */
export interface EvalResult {
  /** Stable identity across runs: `<promptId>|<providerId>|<caseKey>|<repeat>` (used for baselines). */
  key: string;
  promptId: string;
  promptLabel: string;
  providerId: string;
  providerLabel: string;
  caseIndex: number;
  repeatIndex: number;
  description: string | null;
  vars: Record<string, unknown>;
  /** The rendered prompt as sent. */
  prompt: string;
  output: string;
  toolCalls: ToolCall[];
  /** Set when the model call (or rendering) failed; the case then fails. */
  error: string | null;
  pass: boolean;
  score: number;
  reason: string;
  assertions: AssertionOutcome[];
  namedScores: Record<string, number>;
  latencyMs: number;
  usage: Usage | null;
  costUsd: number | null;
  cached: boolean;
  /** Set when the prompt is a registry version (`{ registry: name, version }` in the config). */
  registry?: ResultPromptRef;
  /** Set when the case is a dataset item from the server. */
  item?: ResultDatasetItem;
  /** The case's metadata (a dataset item's `metadata`), when it has any. */
  metadata?: Record<string, unknown>;
}
