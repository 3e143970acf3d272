import type { ChatMessage, ModelConfig } from '@promptline/core';
import { extractVariables } from './mustache.ts';

/** The content being edited: what a save would send. */
export type DraftContent =
  | { type: 'text'; template: string; config: ModelConfig }
  | { type: 'chat'; messages: ChatMessage[]; config: ModelConfig };

export type Bump = 'major' | 'minor' | 'patch';

/** Variables a draft uses: template variables plus chat placeholders. */
export function draftVariables(draft: DraftContent): string[] {
  if (draft.type === 'text') return extractVariables(draft.template);
  const names = new Set<string>();
  for (const m of draft.messages) {
    if ('type' in m) names.add(m.name);
    else for (const v of extractVariables(m.content)) names.add(v);
  }
  return [...names];
}

function bodyText(draft: DraftContent): string {
  return draft.type === 'text'
    ? draft.template
    : draft.messages.map((m) => ('type' in m ? `{{>${m.name}}}` : `${m.role}:${m.content}`)).join('\n');
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The bump the server will infer for saving `next` over `head` (the registry's rule: major when
 * the variable contract or the type changes, minor for text or config changes, patch for
 * whitespace only); null when nothing changed. Shown before saving; the server decides.
 */
export function predictBump(head: DraftContent | null, next: DraftContent): Bump | null {
  if (!head) return null;
  if (head.type !== next.type) return 'major';
  const a = new Set(draftVariables(head));
  const b = new Set(draftVariables(next));
  if (a.size !== b.size || [...a].some((v) => !b.has(v))) return 'major';
  const textA = bodyText(head);
  const textB = bodyText(next);
  const configSame = stableJson(head.config) === stableJson(next.config);
  if (textA === textB && configSame) return null;
  if (!configSame) return 'minor';
  return textA.replace(/\s+/g, ' ').trim() === textB.replace(/\s+/g, ' ').trim() ? 'patch' : 'minor';
}

const ORDER: Bump[] = ['patch', 'minor', 'major'];

/** The larger of two bumps. */
export function maxBump(a: Bump, b: Bump): Bump {
  return ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b;
}

/** `1.4.2` bumped: major → `2.0.0`, minor → `1.5.0`, patch → `1.4.3`. */
export function applyBump(semver: string, bump: Bump): string {
  const [major = 0, minor = 0, patch = 0] = semver.split('.').map((n) => Number.parseInt(n, 10) || 0);
  if (bump === 'major') return `${major + 1}.0.0`;
  if (bump === 'minor') return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}
