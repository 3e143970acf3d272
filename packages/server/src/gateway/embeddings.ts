import { AppError, createProvider, type EmbeddingsRequest, estimateTokens } from '@promptline/core';
import { openAiError } from './errors.ts';
import {
  type CallResult,
  forwardedHeaders,
  passthroughFor,
  refusalOf,
  type Target,
  type UpstreamAnswer,
} from './upstream.ts';

function resultOf(target: Target, model: string, inputTokens: number, estimated: boolean): CallResult {
  const usage = { inputTokens, outputTokens: 0, cachedInputTokens: 0, estimated };
  const cost =
    target.prices.cost(target.settings.kind, model, usage) ??
    target.prices.cost(target.settings.kind, target.model, usage);
  return {
    model,
    text: '',
    toolCalls: [],
    finishReason: null,
    usage,
    costUsd: cost?.totalUsd ?? null,
    timeToFirstTokenMs: null,
  };
}

/** Embeddings at one upstream: passed through to OpenAI-kind providers, else through core's client. */
export async function callEmbeddings(
  target: Target,
  body: EmbeddingsRequest,
  signal: AbortSignal,
): Promise<UpstreamAnswer> {
  const kind = target.settings.kind;
  if (kind === 'openai' || kind === 'openai-compatible') {
    const client = passthroughFor(target.settings);
    let answer: Awaited<ReturnType<typeof client.post>>;
    try {
      answer = await client.post('embeddings', { ...body, model: target.model }, { signal });
    } catch (error) {
      return refusalOf(error);
    }
    let text: string;
    try {
      text = await answer.response.text();
    } catch (error) {
      return refusalOf(error);
    } finally {
      answer.dispose();
    }
    if (!answer.response.ok) {
      // Already free of the project's secrets: core redacts every refusal it answers (providers/http.ts).
      let parsed: { error?: { message?: unknown } } | undefined;
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        // Not JSON: the raw text becomes the message below.
        parsed = undefined;
      }
      const message =
        client.errorMessage(parsed) ?? (text.slice(0, 500) || `status ${answer.response.status}`);
      const body =
        typeof parsed?.error?.message === 'string'
          ? (parsed as ReturnType<typeof openAiError>)
          : openAiError(answer.response.status, message);
      return {
        kind: 'refused',
        headers: forwardedHeaders(answer.response.headers),
        status: answer.response.status,
        body,
        message,
        fallback: ![400, 413, 422].includes(answer.response.status),
      };
    }
    let usageTokens: number | undefined;
    let model = target.model;
    try {
      const parsed = JSON.parse(text) as { usage?: { prompt_tokens?: unknown }; model?: unknown };
      if (typeof parsed.usage?.prompt_tokens === 'number') usageTokens = parsed.usage.prompt_tokens;
      if (typeof parsed.model === 'string') model = parsed.model;
    } catch {
      // The provider's body is not JSON: a refusal the client can read (and a fallback may follow).
      return {
        kind: 'refused',
        status: 502,
        body: openAiError(502, `${client.id} answered with a body that is not JSON.`),
        message: 'not JSON',
        fallback: true,
      };
    }
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    const tokens =
      usageTokens ?? (await estimateTokens(inputs.filter((i) => typeof i === 'string').join('\n')));
    const result = resultOf(target, model, tokens, usageTokens === undefined);
    return {
      kind: 'json',
      body: text,
      headers: usageTokens === undefined ? { 'x-promptline-usage': 'estimated' } : {},
      result,
    };
  }

  const provider = createProvider(target.settings);
  const inputs = typeof body.input === 'string' ? [body.input] : body.input;
  if (provider.embed === undefined || !inputs.every((i): i is string => typeof i === 'string')) {
    return refusalOf(
      new AppError(
        'GATEWAY_UNSUPPORTED',
        provider.embed === undefined
          ? `${kind} has no embeddings API. Use an OpenAI-kind or Gemini model for embeddings.`
          : `Token-array input is passed only to OpenAI-kind providers; send ${kind} text.`,
        {
          errors: [
            {
              path: provider.embed === undefined ? 'model' : 'input',
              message: 'not supported by this provider',
            },
          ],
        },
      ),
    );
  }
  let vectors: number[][];
  try {
    vectors = await provider.embed(inputs, { model: target.model, signal });
  } catch (error) {
    return refusalOf(error);
  }
  const tokens = await estimateTokens(inputs.join('\n'));
  const result = resultOf(target, target.model, tokens, true);
  const response = {
    object: 'list',
    data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
    model: target.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens, estimated: true },
  };
  return {
    kind: 'json',
    body: JSON.stringify(response),
    headers: { 'x-promptline-usage': 'estimated' },
    result,
  };
}
