/**
 * Grades one stored span with a rule's assertions through the eval engine (`gradeOutput`): the
 * deterministic checks as they are, JSON Schema through the engine's validator, inline code in its
 * worker sandbox, and model-graded assertions through the rule's judge. Judge and embedding calls
 * that fail are reported (the job retries the span); the cost of every judge call is counted.
 */
import {
  AppError,
  type AssertionOutcome,
  createProvider,
  type GradingEnv,
  type GradingInput,
  gradeOutput,
  type Provider,
  type ProviderSettings,
} from '@promptline/core';
import { type CodeRunner, createJsonSchemaValidator } from '@promptline/core/node';
import type { SpanForEval } from '../traces/service.ts';
import type { StoredRule } from './store.ts';

/** How a rule's judge is reached: the project's stored provider settings (or `mock`). */
export type JudgeResolver = (projectId: number, provider: string) => Promise<ProviderSettings>;

export interface Graded {
  outcomes: AssertionOutcome[];
  /** Judge cost of this attempt (USD), failed calls included when they reported usage. */
  costUsd: number;
  /** Messages of judge or embedding calls that failed: the attempt must be retried. */
  callErrors: string[];
}

/** The text an assertion grades: a string as is, a chat answer's content, anything else as JSON. */
export function textOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  const last = Array.isArray(value) ? value.at(-1) : value;
  if (last && typeof last === 'object' && typeof (last as { content?: unknown }).content === 'string') {
    return (last as { content: string }).content;
  }
  return JSON.stringify(value);
}

function varsOf(span: SpanForEval): Record<string, unknown> {
  const vars =
    span.variables && typeof span.variables === 'object' && !Array.isArray(span.variables)
      ? (span.variables as Record<string, unknown>)
      : {};
  // `answer-relevance` and judge templates read the question from `input` when no variable names it.
  return { input: textOf(span.input), ...vars };
}

export function createGrader(options: { resolveJudge: JudgeResolver; codeRunner: CodeRunner }) {
  const validateJsonSchema = createJsonSchemaValidator();

  return async function grade(rule: StoredRule, span: SpanForEval, signal: AbortSignal): Promise<Graded> {
    let costUsd = 0;
    const callErrors: string[] = [];
    let judge: Provider | undefined;
    const judgeClient = async (): Promise<Provider> => {
      if (!rule.judge) {
        throw new AppError(
          'CONFIG_INVALID',
          `Online eval "${rule.name}" has no judge for a model-graded assertion.`,
        );
      }
      // No retries inside the client: the job runner retries the span with backoff, durably.
      judge ??= createProvider({
        ...(await options.resolveJudge(rule.projectId, rule.judge.provider)),
        maxRetries: 0,
      });
      return judge;
    };
    const failing = async <T>(call: () => Promise<T>): Promise<T> => {
      try {
        return await call();
      } catch (error) {
        callErrors.push((error as Error).message);
        throw error;
      }
    };
    const env: GradingEnv = {
      validateJsonSchema,
      runCode: (evaluator, output, context) => options.codeRunner.evaluate(evaluator, output, context),
      signal,
      judge: (call) =>
        failing(async () => {
          const client = await judgeClient();
          const result = await client.complete({
            model: rule.judge?.model ?? '',
            messages: call.messages,
            parameters: { temperature: 0 },
            ...(call.responseFormat === undefined ? {} : { responseFormat: call.responseFormat }),
            signal,
          });
          costUsd += result.cost?.totalUsd ?? 0;
          return result.text;
        }),
      embed: (_provider, texts) =>
        failing(async () => {
          const client = await judgeClient();
          if (!client.embed) {
            throw new AppError(
              'CONFIG_INVALID',
              `The judge "${rule.judge?.provider}" cannot compute embeddings.`,
            );
          }
          return client.embed(texts, { model: rule.judge?.model ?? '', signal });
        }),
    };
    const input: GradingInput = {
      output: textOf(span.output),
      toolCalls: [],
      finishReason: null,
      latencyMs: span.durationMs,
      costUsd: span.costUsd,
      cached: false,
      prompt: textOf(span.input),
      vars: varsOf(span),
      tools: [],
    };
    const result = await gradeOutput(rule.assertions, input, {}, env);
    return { outcomes: result.assertions, costUsd, callErrors };
  };
}

export type Grader = ReturnType<typeof createGrader>;

/** Score names of a rule's outcomes: the assertion's `metric`, else `<rule>.<type>` (numbered when repeated). */
export function scoreNames(ruleName: string, outcomes: readonly AssertionOutcome[]): string[] {
  const seen = new Map<string, number>();
  return outcomes.map((o) => {
    const base = o.metric ?? `${ruleName}.${o.type}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}.${n}`;
  });
}
