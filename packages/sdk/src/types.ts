import type { ChatMessage, ModelConfig, RenderedMessage } from '@promptline/core';

/** Where a resolved prompt came from: this process's last server snapshot, the disk copy, or a fallback. */
export type PromptSource = 'server' | 'cache' | 'fallback';

/** Variables of a render: names to values (sections take arrays/objects, placeholders take message lists). */
export type Variables = Record<string, unknown>;

export interface RenderOptions {
  /** A missing variable is an error naming it (default true, as on the server). */
  strict?: boolean;
}

interface ResolvedPromptBase {
  readonly name: string;
  /** Version number served; 0 for a fallback. */
  readonly version: number;
  /** `0.0.0` for a fallback. */
  readonly semver: string;
  /** Index of the chosen variant in the release (0 for a fallback). */
  readonly variant: number;
  /** The environment that served it (the client's environment for a fallback). */
  readonly environment: string;
  readonly config: ModelConfig;
  /** Variable names the content uses. */
  readonly variables: readonly string[];
  /** Content hash of the version; empty for a fallback. */
  readonly hash: string;
  readonly source: PromptSource;
}

/** A resolved text prompt: `render` answers a string. */
export interface ResolvedTextPrompt extends ResolvedPromptBase {
  readonly type: 'text';
  readonly template: string;
  /**
   * Renders the template with `variables`.
   * @throws AppError `TEMPLATE_VARIABLE_MISSING` (strict mode) or another `TEMPLATE_*` code.
   */
  render(variables?: Variables, options?: RenderOptions): string;
}

/** A resolved chat prompt: `render` answers the message list (placeholders filled from variables). */
export interface ResolvedChatPrompt extends ResolvedPromptBase {
  readonly type: 'chat';
  readonly messages: readonly ChatMessage[];
  /**
   * Renders every message; a placeholder is replaced by the message list passed under its name.
   * @throws AppError `TEMPLATE_VARIABLE_MISSING` (strict mode) or another `TEMPLATE_*` code.
   */
  render(variables?: Variables, options?: RenderOptions): RenderedMessage[];
}

/** What `client.prompt()` answers; narrow on `type` to get the `render` result type. */
export type ResolvedPrompt = ResolvedTextPrompt | ResolvedChatPrompt;

/** A prompt the application ships with, served when nothing was ever loaded for that name. */
export type FallbackPrompt =
  | { type: 'text'; template: string; config?: ModelConfig }
  | { type: 'chat'; messages: ChatMessage[]; config?: ModelConfig };

/** Payload of the `update` event: a new snapshot is in memory. */
export interface UpdateEvent {
  environment: string;
  etag: string;
  /** `server` for a fetched snapshot, `cache` for the disk copy read at start. */
  source: 'server' | 'cache';
  /** Prompts whose release or content changed (added and removed ones included). */
  changed: string[];
}
