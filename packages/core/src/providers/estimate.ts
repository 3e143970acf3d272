import type { ProviderMessage, ToolCall } from './types.ts';

type CountTokens = (text: string) => number;

let tokenizer: Promise<CountTokens> | undefined;

// The o200k_base ranks are 2.4 MB of JavaScript and take ~150 ms to load: loaded on the first
// estimate only, so importing core (and every call whose provider reports usage) stays light.
function loadTokenizer(): Promise<CountTokens> {
  tokenizer ??= import('gpt-tokenizer/encoding/o200k_base').then(
    (module) => (text: string) => module.countTokens(text),
  );
  return tokenizer;
}

// OpenAI's chat format adds a few tokens per message (role and separators) and primes the reply.
const TOKENS_PER_MESSAGE = 4;
const TOKENS_PER_REPLY = 3;

/**
 * Counts the tokens of `text` with OpenAI's o200k_base encoding (gpt-4o and later). For other
 * vendors' models it is an approximation, which is why results built from it say `estimated`.
 */
export async function estimateTokens(text: string): Promise<number> {
  if (text === '') return 0;
  const count = await loadTokenizer();
  return count(text);
}

/** Estimated input tokens of a chat request: message contents, tool calls and tool definitions. */
export async function estimateInputTokens(messages: ProviderMessage[], tools?: unknown[]): Promise<number> {
  let total = TOKENS_PER_REPLY;
  for (const message of messages) {
    total += TOKENS_PER_MESSAGE + (await estimateTokens(message.content));
    for (const call of message.toolCalls ?? []) total += await estimateTokens(call.name + call.arguments);
  }
  if (tools !== undefined && tools.length > 0) total += await estimateTokens(JSON.stringify(tools));
  return total;
}

/** Estimated output tokens of an answer: its text and its tool calls. */
export async function estimateOutputTokens(text: string, toolCalls: ToolCall[]): Promise<number> {
  let total = await estimateTokens(text);
  for (const call of toolCalls) total += await estimateTokens(call.name + call.arguments);
  return total;
}
