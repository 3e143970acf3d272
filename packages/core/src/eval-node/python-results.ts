/**
 * What Python code in an eval answers, read with promptfoo's contracts: a provider's `call_api`
 * returns `{output, error?, tokenUsage?, cost?}`; a prompt function returns the prompt text, a list
 * of chat messages, or `{prompt}`.
 */
import { AppError } from '../errors.ts';
import type { CachedResponse } from './cache.ts';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : 0;
}

/**
 * A provider's answer as a model call's outcome.
 * @throws AppError PROVIDER_ERROR when it returned `error`, or something that is not a result dict.
 */
export function pythonProviderOutcome(
  answer: unknown,
  providerId: string,
  latencyMs: number,
): CachedResponse {
  if (!isRecord(answer)) {
    throw new AppError(
      'PROVIDER_ERROR',
      `${providerId}: call_api must return a dict like {"output": "…"}, it returned ${JSON.stringify(answer) ?? 'None'}.`,
    );
  }
  if (answer.error !== undefined && answer.error !== null && answer.error !== '') {
    throw new AppError('PROVIDER_ERROR', `${providerId}: ${String(answer.error)}`);
  }
  if (answer.output === undefined || answer.output === null) {
    throw new AppError('PROVIDER_ERROR', `${providerId}: call_api returned no "output".`);
  }
  const output = answer.output;
  const usage = isRecord(answer.tokenUsage) ? answer.tokenUsage : undefined;
  return {
    text: typeof output === 'string' ? output : JSON.stringify(output),
    toolCalls: [],
    finishReason: null,
    usage:
      usage === undefined
        ? null
        : {
            inputTokens: count(usage.prompt),
            outputTokens: count(usage.completion),
            cachedInputTokens: count(usage.cached),
            estimated: false,
          },
    costUsd: typeof answer.cost === 'number' && Number.isFinite(answer.cost) ? answer.cost : null,
    latencyMs,
  };
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

/**
 * A prompt function's answer as the prompt text: a string as is, a list of `{role, content}`
 * messages (or `{prompt: …}` holding either) as their JSON, which the runner sends as chat.
 * @throws AppError CONFIG_INVALID naming the function when the answer is neither.
 */
export function pythonPromptOutput(answer: unknown, where: string): string {
  const value = isRecord(answer) && 'prompt' in answer ? answer.prompt : answer;
  if (typeof value === 'string') return value;
  if (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((m) => isRecord(m) && ROLES.has(String(m.role)) && typeof m.content === 'string')
  ) {
    return JSON.stringify(value);
  }
  throw new AppError(
    'CONFIG_INVALID',
    `prompt function ${where} must return a string or a list of {"role", "content"} messages, it returned ${JSON.stringify(value) ?? 'None'}.`,
  );
}
