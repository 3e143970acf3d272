/**
 * Client of the playground stream, `POST /api/v1/playground/runs` (contract in docs/web.md):
 * runs a prompt on up to four models over one or more variable sets and streams the outputs.
 */
import type { ChatMessage, ModelConfig } from '@promptline/core';
import { parseSse } from '@promptline/core/browser';
import { rawRequest } from './client.ts';

export interface PlaygroundModel {
  provider: string;
  model: string;
  parameters?: Record<string, unknown>;
}

export type PlaygroundDraft =
  | { type: 'text'; template: string; config?: ModelConfig }
  | { type: 'chat'; messages: ChatMessage[]; config?: ModelConfig };

/** Exactly one of `draft` or `prompt` (with `version` or `env`, default its newest version). */
export interface PlaygroundRunRequest {
  draft?: PlaygroundDraft;
  prompt?: string;
  version?: number;
  env?: string;
  variables: Record<string, unknown> | Record<string, unknown>[];
  models: PlaygroundModel[];
}

export interface PlaygroundDone {
  model: number;
  row: number;
  text: string;
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number; estimated: boolean };
  cost: { totalUsd: number } | null;
  latencyMs: number;
  timeToFirstTokenMs: number | null;
  /** The output contract verdict; absent when the prompt declares no contract. */
  contract?: { pass: boolean; reason: string };
}

export type PlaygroundEvent =
  | { type: 'delta'; model: number; row: number; text: string }
  | ({ type: 'done' } & PlaygroundDone)
  | { type: 'error'; model: number; row: number; code: string; detail: string }
  | { type: 'end' };

/** Turns one SSE event of the playground stream into a typed event; unknown events give null. */
export function toPlaygroundEvent(event: string, data: string): PlaygroundEvent | null {
  if (event === 'end') return { type: 'end' };
  let body: unknown;
  try {
    body = JSON.parse(data);
  } catch {
    // Not JSON: treated like an unknown event.
    return null;
  }
  if (!body || typeof body !== 'object') return null;
  const b = body as Record<string, unknown>;
  const model = typeof b.model === 'number' ? b.model : 0;
  const row = typeof b.row === 'number' ? b.row : 0;
  if (event === 'delta') return { type: 'delta', model, row, text: String(b.text ?? '') };
  if (event === 'done') return { ...(b as unknown as PlaygroundDone), model, row, type: 'done' };
  if (event === 'error')
    return { type: 'error', model, row, code: String(b.code ?? 'ERROR'), detail: String(b.detail ?? '') };
  return null;
}

/**
 * Starts a run and calls `onEvent` for each event as it arrives.
 * @throws ApiProblem when the server refuses the run (validation, unknown provider…).
 */
export async function streamPlaygroundRun(
  body: PlaygroundRunRequest,
  onEvent: (e: PlaygroundEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const res = await rawRequest('/playground/runs', {
    method: 'POST',
    body,
    accept: 'text/event-stream',
    ...(signal ? { signal } : {}),
  });
  if (!res.body) return;
  // `signal` already aborts the fetch, whose body then fails the read: the caller sees the abort.
  for await (const e of parseSse(res.body)) {
    const typed = toPlaygroundEvent(e.event, e.data);
    if (typed) onEvent(typed);
  }
}
