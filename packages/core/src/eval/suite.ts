/**
 * A normalised eval suite: what the runner executes, whatever config format it came from
 * (Promptline YAML, promptfoo's promptfooconfig.yaml, or the server's datasets later).
 */
import type { InputContract, OutputContract } from '../contract/shapes.ts';
import type { ModelParameters, ProviderSettings } from '../providers/types.ts';
import type { VersionContent } from '../schemas.ts';
import type { Thresholds } from './compare.ts';
import type { AssertionSpec, ResultDatasetItem, ResultPromptRef } from './types.ts';

/**
 * What a prompt renders: a text template or chat messages whose contents are promptfoo-style
 * `{{var}}` templates, or a registry version's content, rendered by the registry's engine (Mustache,
 * strict, with the partials collected when it was fetched).
 */
export type EvalPromptContent =
  | { type: 'text'; template: string }
  | { type: 'chat'; messages: { role: 'system' | 'developer' | 'user' | 'assistant'; content: string }[] }
  | { type: 'registry'; content: VersionContent; partials: Record<string, string> }
  /**
   * A Python prompt function (`file://prompts.py:fn`, called with `{ vars, provider }`), or a
   * script (`file://prompt.py`, run with the context as its argument; what it prints is the prompt).
   */
  | { type: 'python'; path: string; functionName?: string };

/** One prompt of the matrix. */
export interface EvalPrompt {
  id: string;
  label: string;
  content: EvalPromptContent;
  /** The registry version this prompt is (copied onto its results). */
  registry?: ResultPromptRef;
  /** The version's typed inputs: a case whose vars break them is an error, not a model call. */
  input?: InputContract;
  /** The version's output contract: an implicit `output-contract` assertion of every case. */
  output?: OutputContract;
}

/** How a provider of the matrix is reached. */
export type EvalTarget =
  /** A provider client of core (`openai`, `anthropic`, `gemini`, `openai-compatible`, `mock`). */
  | { kind: 'provider'; settings: ProviderSettings; model: string }
  /** promptfoo's `http` provider: a request template and a response transform. */
  | {
      kind: 'http';
      url: string;
      method: string;
      headers: Record<string, string>;
      /** JSON body or string, with `{{prompt}}` and `{{var}}` placeholders. */
      body: unknown;
      /** JS expression over `json` and `text` (run in the evaluator sandbox); default: the body text. */
      transformResponse: string | null;
    }
  /** Answers the rendered prompt itself (promptfoo's `echo`): for dry runs and tests. */
  | { kind: 'echo' }
  /** promptfoo's Python provider: `call_api(prompt, options, context)` (or the named function) in `path`. */
  | { kind: 'python'; path: string; functionName?: string; config: Record<string, unknown> };

/** One provider (model configuration) of the matrix. */
export interface EvalProvider {
  id: string;
  label: string;
  target: EvalTarget;
  parameters: ModelParameters;
  responseFormat?: unknown;
  tools?: unknown[];
  /** Client-side request budget for this provider. */
  rateLimit?: { requestsPerSecond: number };
}

/** One test case: variables and assertions. */
export interface EvalCase {
  description: string | null;
  vars: Record<string, unknown>;
  assert: AssertionSpec[];
  /** Passing score of the weighted assertions (default: every assertion must pass). */
  threshold?: number;
  /** Judge provider for this case's model-graded assertions. */
  provider?: unknown;
  /** Free-form data carried to the case's results (a dataset item's metadata). */
  metadata?: Record<string, unknown>;
  /** The dataset item this case is (copied onto its results). */
  item?: ResultDatasetItem;
}

/** Everything the runner needs to evaluate a matrix. */
export interface EvalSuite {
  description: string | null;
  prompts: EvalPrompt[];
  providers: EvalProvider[];
  cases: EvalCase[];
  /** Runs of each cell (for measuring variance). */
  repeat: number;
  maxConcurrency: number;
  thresholds?: Thresholds;
  /** Default judge for model-graded assertions (a provider spec like `openai:chat:gpt-4.1-mini`). */
  grader?: unknown;
  /** Default embedding provider for `similar`. */
  embedder?: unknown;
}
