/**
 * The content being edited and what saving it would do, by core's own rules
 * (`@promptline/core/browser`: no zod in the bundle, no copy of the rules here).
 */
import type { ChatMessage, ModelConfig, SemverBump } from '@promptline/core';
import { AppError, extractVariables, nextSemver, requiredBump } from '@promptline/core/browser';

/** The content being edited: what a save would send. */
export type DraftContent =
  | { type: 'text'; template: string; config: ModelConfig }
  | { type: 'chat'; messages: ChatMessage[]; config: ModelConfig };

export type Bump = SemverBump;

function contentOf(draft: DraftContent) {
  return draft.type === 'text'
    ? { type: 'text' as const, template: draft.template }
    : { type: 'chat' as const, messages: draft.messages };
}

/**
 * Variables a draft uses (template variables and chat placeholders), as the server will record
 * them; null while a template does not parse (an unclosed `{{` as it is typed).
 */
export function draftVariables(draft: DraftContent): string[] | null {
  try {
    return extractVariables(contentOf(draft));
  } catch (error) {
    if (error instanceof AppError) return null;
    throw error;
  }
}

export interface SemverPreview {
  /** The bump the change needs (core's `requiredBump`); null when nothing changed, or unknown. */
  required: Bump | null;
  /** The semver the save will get; null when the server will refuse it (see `problem`). */
  semver: string | null;
  /** Why the server will refuse the save (a requested bump too low, a template that does not parse). */
  problem: string | null;
}

/**
 * What saving `next` over `head` will be numbered: `requested` when given (it may not be lower
 * than what the change needs), else the inferred bump. The first version is 1.0.0.
 */
export function previewSemver(
  head: { semver: string; draft: DraftContent } | null,
  next: DraftContent,
  requested?: Bump,
): SemverPreview {
  if (!head) return { required: null, semver: '1.0.0', problem: null };
  try {
    const required = requiredBump(
      { content: contentOf(head.draft), config: head.draft.config },
      { content: contentOf(next), config: next.config },
    );
    if (required === null && requested === undefined) return { required, semver: head.semver, problem: null };
    return { required, semver: nextSemver(head.semver, required ?? 'patch', requested), problem: null };
  } catch (error) {
    if (error instanceof AppError) return { required: null, semver: null, problem: error.message };
    throw error;
  }
}
