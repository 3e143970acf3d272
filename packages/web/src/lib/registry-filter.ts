import type { Prompt } from '@promptline/core';

/** The registry's filters, as kept in the URL's query string. */
export interface RegistryFilter {
  /** Free text: every word must appear in the name, description, owner or a tag. */
  q: string;
  tag: string;
  /** Only prompts with exactly this owner. */
  owner: string;
  /** Only prompts deployed (and enabled) in this environment. */
  env: string;
  /** Folder path with trailing slash (`support/`), or empty for all. */
  folder: string;
}

/** A prompt with its searchable text precomputed once, so a keystroke costs one pass of `includes`. */
export interface IndexedPrompt {
  prompt: Prompt;
  haystack: string;
}

/** Precomputes the lowercase search text of each prompt. */
export function indexPrompts(prompts: readonly Prompt[]): IndexedPrompt[] {
  return prompts.map((prompt) => ({
    prompt,
    haystack: [prompt.name, prompt.description, prompt.owner, ...prompt.tags].join('\n').toLowerCase(),
  }));
}

/** Reads the filter from a query string (`?q=&tag=&owner=&env=&folder=`). */
export function parseFilter(search: string): RegistryFilter {
  const p = new URLSearchParams(search);
  return {
    q: p.get('q') ?? '',
    tag: p.get('tag') ?? '',
    owner: p.get('owner') ?? '',
    env: p.get('env') ?? '',
    folder: p.get('folder') ?? '',
  };
}

/** Writes the filter back as a query string, leaving out empty fields (`''` when all are empty). */
export function formatFilter(filter: RegistryFilter): string {
  const p = new URLSearchParams();
  for (const key of ['q', 'tag', 'owner', 'env', 'folder'] as const) if (filter[key]) p.set(key, filter[key]);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The prompts matching the filter, in their original order. */
export function filterPrompts(items: readonly IndexedPrompt[], filter: RegistryFilter): Prompt[] {
  const words = filter.q.toLowerCase().split(/\s+/).filter(Boolean);
  const out: Prompt[] = [];
  for (const { prompt, haystack } of items) {
    if (filter.folder && !prompt.name.startsWith(filter.folder)) continue;
    if (filter.tag && !prompt.tags.includes(filter.tag)) continue;
    if (filter.owner && prompt.owner !== filter.owner) continue;
    if (filter.env) {
      const release = prompt.deployments?.[filter.env];
      if (!release?.enabled) continue;
    }
    if (words.length > 0 && !words.every((w) => haystack.includes(w))) continue;
    out.push(prompt);
  }
  return out;
}

/** Every owner named, sorted, for the owner filter. */
export function collectOwners(prompts: readonly Prompt[]): string[] {
  return [...new Set(prompts.map((p) => p.owner).filter((o) => o !== ''))].sort();
}

/** Every tag in use, sorted, for the tag filter. */
export function collectTags(prompts: readonly Prompt[]): string[] {
  const tags = new Set<string>();
  for (const p of prompts) for (const t of p.tags) tags.add(t);
  return [...tags].sort();
}

/** A release in a few characters: `v3`, `v3 90% · v4 10%`, `off`. */
export function describeRelease(release: {
  variants: { version: number; weight: number }[];
  enabled: boolean;
}): string {
  if (!release.enabled) return 'off';
  if (release.variants.length === 1) return `v${release.variants[0]?.version ?? '?'}`;
  return release.variants.map((v) => `v${v.version} ${formatWeight(v.weight)}`).join(' · ');
}

/** Basis points as a percentage: 2500 → `25%`, 3333 → `33.33%`. */
export function formatWeight(bp: number): string {
  return `${Number((bp / 100).toFixed(2))}%`;
}
