/**
 * @promptline/sdk — resolve and render Promptline prompts locally, in microseconds, from an
 * in-memory snapshot of one environment that follows every deployment change live. Needs only
 * `fetch` and web streams: runs on Node, Bun, Deno and edge runtimes.
 */

export { AppError, type ContextAttributes, isAppError } from '@promptline/core';
export {
  type ClientOptions,
  type ConnectionState,
  createClient,
  type PromptlineClient,
  type PromptOptions,
} from './client.ts';
export {
  type AnthropicMessage,
  type AnthropicMessagesParams,
  type AnthropicTool,
  DEFAULT_ANTHROPIC_MAX_TOKENS,
  type OpenAIChatMessage,
  type OpenAIChatParams,
  type OpenAIResponseFormat,
  type OpenAITool,
  toAnthropicMessages,
  toOpenAIChat,
} from './integrations.ts';
export type { ExportStats } from './tracing/exporter.ts';
export { createTracer, type Tracer, type TracerOptions, type TracingMethods } from './tracing/tracer.ts';
export type {
  ActiveSpan,
  GenerationOptions,
  PromptRef,
  RecordInput,
  ScoreInput,
  SpanFields,
  SpanRef,
  TimeInput,
  TraceOptions,
  TracingOptions,
} from './tracing/types.ts';
export type {
  FallbackPrompt,
  PromptSource,
  RenderOptions,
  ResolvedChatPrompt,
  ResolvedPrompt,
  ResolvedTextPrompt,
  UpdateEvent,
  Variables,
} from './types.ts';
