/**
 * What went into a GenAI call and what came out, from wherever an instrumentation put it: the
 * current semantic conventions (`gen_ai.input.messages` / `gen_ai.output.messages` JSON), the older
 * indexed attributes (`gen_ai.prompt.0.role`…, OpenLLMetry's `llm.prompts.0.content`…), the older
 * per-message span events (`gen_ai.user.message`, `gen_ai.choice`…), the Vercel AI SDK (`ai.prompt`,
 * `ai.response.text`…), Langfuse (`langfuse.observation.input|output`) and OpenLLMetry entities
 * (`traceloop.entity.input|output`).
 */
import { parseMaybeJson } from './attributes.ts';
import type { OtlpAttributes, OtlpEvent, OtlpValue } from './model.ts';

/** Attributes that hold content: taken into `input`/`output`, never also kept as attributes. */
const CONTENT_KEYS = new Set([
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'gen_ai.prompt',
  'gen_ai.completion',
  'ai.prompt',
  'ai.prompt.messages',
  'ai.response.text',
  'ai.response.object',
  'ai.response.toolCalls',
  'traceloop.entity.input',
  'traceloop.entity.output',
  'langfuse.observation.input',
  'langfuse.observation.output',
]);
const INDEXED = /^(gen_ai\.prompt|gen_ai\.completion|llm\.prompts|llm\.completions)\.(\d+)\.(.+)$/;

/** True for an attribute whose content goes to `input` or `output`. */
export function isContentKey(key: string): boolean {
  return (
    CONTENT_KEYS.has(key) || ((key.startsWith('gen_ai.') || key.startsWith('llm.')) && INDEXED.test(key))
  );
}

/** Most messages read from indexed attributes: an index beyond it is ignored, not allocated. */
const MAX_INDEXED_MESSAGES = 1_000;

type Json = unknown;

function setPath(target: Record<string, Json>, path: string[], value: Json): void {
  let node: Record<string, Json> = target;
  for (let i = 0; i < path.length - 1; i++) {
    const segment = path[i] as string;
    const next = node[segment];
    if (next === null || typeof next !== 'object') node[segment] = Object.create(null);
    node = node[segment] as Record<string, Json>;
  }
  node[path[path.length - 1] as string] = value;
}

type Indexed = Map<string, Map<number, Record<string, Json>>>;

/** Every `<prefix>.<i>.<field>` attribute, grouped by prefix and index, in one pass over the keys. */
function collectIndexed(attributes: OtlpAttributes): Indexed {
  const groups: Indexed = new Map();
  for (const key in attributes) {
    // Most keys are not indexed: a prefix test is much cheaper than the pattern.
    if (!(key.startsWith('gen_ai.') || key.startsWith('llm.'))) continue;
    const match = INDEXED.exec(key);
    if (!match) continue;
    const index = Number(match[2]);
    if (index >= MAX_INDEXED_MESSAGES) continue;
    const prefix = match[1] as string;
    const messages = groups.get(prefix) ?? new Map<number, Record<string, Json>>();
    groups.set(prefix, messages);
    const message = messages.get(index) ?? Object.create(null);
    messages.set(index, message);
    setPath(message, (match[3] as string).split('.'), attributes[key]);
  }
  return groups;
}

/** The messages of one prefix in index order; undefined when there are none. */
function indexedMessages(groups: Indexed, prefix: string): Json[] | undefined {
  const messages = groups.get(prefix);
  if (!messages) return undefined;
  return [...messages.entries()].sort(([a], [b]) => a - b).map(([, message]) => ({ ...message }));
}

const MESSAGE_EVENTS: Record<string, string> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
};

/** The message an older per-message event carries (`role`, `content`, `tool_calls`, `id`). */
function eventMessage(event: OtlpEvent, role: string): Json {
  const a = event.attributes;
  const message: Record<string, Json> = { role: typeof a.role === 'string' ? a.role : role };
  if (a.content !== undefined) message.content = parseMaybeJson(a.content);
  if (a.tool_calls !== undefined) message.tool_calls = parseMaybeJson(a.tool_calls);
  if (a.id !== undefined) message.id = a.id;
  return message;
}

/** The choice a `gen_ai.choice` event carries. */
function eventChoice(event: OtlpEvent): Json {
  const a = event.attributes;
  const choice: Record<string, Json> = {};
  if (a.index !== undefined) choice.index = a.index;
  if (a.finish_reason !== undefined) choice.finish_reason = a.finish_reason;
  if (a.message !== undefined) choice.message = parseMaybeJson(a.message);
  return choice;
}

export interface Conversation {
  input?: unknown;
  output?: unknown;
  /** Finish reasons found outside `gen_ai.response.finish_reasons` (choices, Vercel, completions). */
  finishReasons?: string[];
}

function withSystem(system: OtlpValue | undefined, messages: unknown): unknown {
  if (system === undefined || !Array.isArray(messages)) return messages;
  return [{ role: 'system', parts: parseMaybeJson(system) }, ...messages];
}

function has(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function firstPresent(...candidates: Array<() => unknown>): unknown {
  for (const candidate of candidates) {
    const value = candidate();
    if (has(value)) return value;
  }
  return undefined;
}

/** The Vercel AI SDK's `ai.prompt` (`{ system?, prompt?, messages? }` as JSON) or its messages. */
function vercelPrompt(attributes: OtlpAttributes): unknown {
  const messages = parseMaybeJson(attributes['ai.prompt.messages']);
  if (has(messages)) return messages;
  return parseMaybeJson(attributes['ai.prompt']);
}

function vercelResponse(attributes: OtlpAttributes): unknown {
  const text = attributes['ai.response.text'];
  const toolCalls = parseMaybeJson(attributes['ai.response.toolCalls']);
  if (has(text) && has(toolCalls)) return { text, toolCalls };
  return firstPresent(
    () => text,
    () => parseMaybeJson(attributes['ai.response.object']),
    () => toolCalls,
  );
}

/**
 * The input and output of a span, from the first source that has them, in this order: the current
 * conventions (span attributes, then a `gen_ai.client.inference.operation.details` event), the
 * older per-message events, indexed attributes, `gen_ai.prompt`/`gen_ai.completion` text, the Vercel
 * AI SDK, Langfuse, OpenLLMetry entities.
 */
export function readConversation(attributes: OtlpAttributes, events: readonly OtlpEvent[]): Conversation {
  const details = events.find((e) => e.name === 'gen_ai.client.inference.operation.details')?.attributes;
  const eventInput: Json[] = [];
  const eventOutput: Json[] = [];
  const finishReasons: string[] = [];
  for (const event of events) {
    const role = MESSAGE_EVENTS[event.name];
    if (role) eventInput.push(eventMessage(event, role));
    else if (event.name === 'gen_ai.choice') {
      eventOutput.push(eventChoice(event));
      if (typeof event.attributes.finish_reason === 'string')
        finishReasons.push(event.attributes.finish_reason);
    }
  }
  const indexed = collectIndexed(attributes);
  const completions =
    indexedMessages(indexed, 'gen_ai.completion') ?? indexedMessages(indexed, 'llm.completions');
  for (const completion of completions ?? []) {
    const reason = (completion as Record<string, Json>).finish_reason;
    if (typeof reason === 'string') finishReasons.push(reason);
  }
  const vercelReason = attributes['ai.response.finishReason'];
  if (typeof vercelReason === 'string') finishReasons.push(vercelReason);

  const input = firstPresent(
    () =>
      withSystem(
        attributes['gen_ai.system_instructions'],
        parseMaybeJson(attributes['gen_ai.input.messages']),
      ),
    () =>
      details
        ? withSystem(details['gen_ai.system_instructions'], parseMaybeJson(details['gen_ai.input.messages']))
        : undefined,
    () => (eventInput.length > 0 ? eventInput : undefined),
    () => indexedMessages(indexed, 'gen_ai.prompt') ?? indexedMessages(indexed, 'llm.prompts'),
    () => parseMaybeJson(attributes['gen_ai.prompt']),
    () => parseMaybeJson(events.find((e) => e.name === 'gen_ai.content.prompt')?.attributes['gen_ai.prompt']),
    () => vercelPrompt(attributes),
    () => parseMaybeJson(attributes['langfuse.observation.input']),
    () => parseMaybeJson(attributes['traceloop.entity.input']),
  );
  const output = firstPresent(
    () => parseMaybeJson(attributes['gen_ai.output.messages']),
    () => (details ? parseMaybeJson(details['gen_ai.output.messages']) : undefined),
    () => (eventOutput.length > 0 ? eventOutput : undefined),
    () => completions,
    () => parseMaybeJson(attributes['gen_ai.completion']),
    () =>
      parseMaybeJson(
        events.find((e) => e.name === 'gen_ai.content.completion')?.attributes['gen_ai.completion'],
      ),
    () => vercelResponse(attributes),
    () => parseMaybeJson(attributes['langfuse.observation.output']),
    () => parseMaybeJson(attributes['traceloop.entity.output']),
  );
  const conversation: Conversation = {};
  if (input !== undefined) conversation.input = input;
  if (output !== undefined) conversation.output = output;
  if (finishReasons.length > 0) conversation.finishReasons = finishReasons;
  return conversation;
}
