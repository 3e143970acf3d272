/**
 * What `push` would do: the folder compared with the registry, prompt by prompt, and the deploy
 * file compared with what each environment serves. Pure functions over data already fetched, so
 * `status`, `push --dry-run` and `push` agree by construction.
 */

import type { DesiredRelease, Prompt, Release, Version } from '@promptline/core';
import { contentHash } from '@promptline/core/canonical';
import type { ApiClient } from '../api-client.ts';
import { type LocalPrompt, underPrefix } from './folder.ts';

/** The registry as push sees it: every prompt under the prefix with its head version. */
export interface Registry {
  prompts: Map<string, { prompt: Prompt; head: Version | undefined }>;
  /** Names of the environments that exist (archived ones included: a deploy says why it fails). */
  environments: Set<string>;
  /** Archived prompts under the prefix: their files are not pushed. */
  archived: Set<string>;
}

/**
 * Reads the prompts under `prefix` (with their releases) and their head versions: the main line's,
 * or with `branch` that branch's — and then only the prompts that have it open.
 */
export async function loadRegistry(
  api: ApiClient,
  prefix: string | undefined,
  branch?: string | undefined,
): Promise<Registry> {
  const [{ items }, environments, archived] = await Promise.all([
    api.listPrompts(),
    api.listEnvironments(),
    api.listPrompts({ archived: 'only' }),
  ]);
  let chosen = items.filter((prompt) => underPrefix(prompt.name, prefix));
  let heads: Array<Version | undefined>;
  if (branch === undefined) {
    heads = await Promise.all(
      chosen.map((prompt) =>
        prompt.latestVersion === null
          ? Promise.resolve(undefined)
          : api.getVersion(prompt.name, prompt.latestVersion),
      ),
    );
  } else {
    const branchHeads = await Promise.all(
      chosen.map(
        async (prompt) => (await api.listBranches(prompt.name)).items.find((b) => b.name === branch)?.head,
      ),
    );
    chosen = chosen.filter((_, i) => branchHeads[i] !== undefined);
    const numbers = branchHeads.filter((n): n is number => n !== undefined);
    heads = await Promise.all(chosen.map((prompt, i) => api.getVersion(prompt.name, numbers[i] ?? 0)));
  }
  return {
    prompts: new Map(chosen.map((prompt, i) => [prompt.name, { prompt, head: heads[i] }])),
    environments: new Set(environments.items.map((environment) => environment.name)),
    archived: new Set(
      archived.items.map((prompt) => prompt.name).filter((name) => underPrefix(name, prefix)),
    ),
  };
}

/** A change of the registry entry (not the version): description, owner or tags. */
export interface MetadataChange {
  field: 'description' | 'owner' | 'tags';
  from: string;
  to: string;
}

/** One prompt in the plan. */
export type Entry =
  /** File and registry agree (`stale`: the file's header names an older version with the same content). */
  | { kind: 'unchanged'; name: string; local: LocalPrompt; head: Version; stale: boolean }
  /** Push creates a version (`newVersion`) and/or updates the entry (`metadata`). */
  | {
      kind: 'modified';
      name: string;
      local: LocalPrompt;
      head: Version | undefined;
      newVersion: boolean;
      metadata: MetadataChange[];
    }
  /** No such prompt: push creates it with its first version. */
  | { kind: 'new'; name: string; local: LocalPrompt }
  /** The file is unedited but the registry has moved on: pull brings it up to date. */
  | { kind: 'behind'; name: string; local: LocalPrompt; head: Version }
  /** The file was edited from a version that is no longer the head. */
  | { kind: 'conflict'; name: string; local: LocalPrompt; head: Version; reason: string }
  /** In the registry, no file: reported; archived only when push is given `--archive-missing`. */
  | { kind: 'missing'; name: string; prompt: Prompt; archive: boolean }
  /** A file for a prompt that is archived in the registry: not pushed until the prompt is restored. */
  | { kind: 'archived'; name: string; local: LocalPrompt };

/** A deploy the deploy file asks for. */
export interface DeployAction {
  environment: string;
  prompt: string;
  /** What the environment serves now, if anything. */
  current: Release | undefined;
  desired: DesiredRelease;
  /** `desired` with `latest` and numbers as they will be after the versions are pushed. */
  projected: Release;
}

export interface Plan {
  entries: Entry[];
  deploys: DeployAction[];
  /** Deploy-file entries that cannot be applied (unknown environment, prompt or version). */
  problems: string[];
}

function metadataChanges(prompt: Prompt, local: LocalPrompt): MetadataChange[] {
  const changes: MetadataChange[] = [];
  const { file } = local;
  if (prompt.description !== file.description) {
    changes.push({ field: 'description', from: prompt.description, to: file.description });
  }
  if (prompt.owner !== file.owner) changes.push({ field: 'owner', from: prompt.owner, to: file.owner });
  if (JSON.stringify(prompt.tags) !== JSON.stringify(file.tags)) {
    changes.push({ field: 'tags', from: prompt.tags.join(', '), to: file.tags.join(', ') });
  }
  return changes;
}

function entryOf(local: LocalPrompt, registry: Registry): Entry {
  const { name, file } = local;
  const known = registry.prompts.get(name);
  if (!known && registry.archived.has(name)) return { kind: 'archived', name, local };
  if (!known) return { kind: 'new', name, local };
  const { prompt, head } = known;
  const metadata = metadataChanges(prompt, local);
  if (!head) return { kind: 'modified', name, local, head, newVersion: true, metadata };
  const hash = contentHash(file.content, file.config);
  if (hash === head.hash) {
    if (metadata.length > 0) return { kind: 'modified', name, local, head, newVersion: false, metadata };
    return { kind: 'unchanged', name, local, head, stale: file.base?.version !== head.number };
  }
  if (file.base?.version === head.number)
    return { kind: 'modified', name, local, head, newVersion: true, metadata };
  const edited = file.base === null || hash !== file.base.hash;
  if (!edited) return { kind: 'behind', name, local, head };
  const reason =
    file.base === null
      ? `the file was never pulled (its front matter has no \`promptline:\` block) and the registry has v${head.number}`
      : `edited from v${file.base.version}, but the registry is at v${head.number}`;
  return { kind: 'conflict', name, local, head, reason };
}

/** The head number each prompt will have once the plan's versions are created. */
function projectedHeads(entries: Entry[], registry: Registry): Map<string, number> {
  const heads = new Map<string, number>();
  for (const [name, { head }] of registry.prompts) if (head) heads.set(name, head.number);
  for (const entry of entries) {
    if (entry.kind === 'new') heads.set(entry.name, 1);
    if (entry.kind === 'modified' && entry.newVersion) heads.set(entry.name, (entry.head?.number ?? 0) + 1);
  }
  return heads;
}

function sameRelease(a: Release | undefined, b: Release): boolean {
  if (!a || a.enabled !== b.enabled || a.variants.length !== b.variants.length) return false;
  return a.variants.every(
    (variant, i) => variant.version === b.variants[i]?.version && variant.weight === b.variants[i]?.weight,
  );
}

function planDeploys(
  desired: DesiredRelease[],
  entries: Entry[],
  registry: Registry,
  prefix: string | undefined,
): { deploys: DeployAction[]; problems: string[] } {
  const heads = projectedHeads(entries, registry);
  const known = new Set([...registry.prompts.keys(), ...entries.map((entry) => entry.name)]);
  const deploys: DeployAction[] = [];
  const problems: string[] = [];
  for (const release of desired) {
    if (!underPrefix(release.prompt, prefix)) continue;
    const where = `${release.environment} → ${release.prompt}`;
    if (!registry.environments.has(release.environment)) {
      problems.push(
        `${where}: there is no environment "${release.environment}" (create it with \`promptline envs create ${release.environment}\`)`,
      );
      continue;
    }
    if (!known.has(release.prompt)) {
      problems.push(`${where}: there is no prompt "${release.prompt}" in the registry or the folder`);
      continue;
    }
    const head = heads.get(release.prompt);
    const variants = [];
    for (const variant of release.variants) {
      const version = variant.version === 'latest' ? head : variant.version;
      if (version === undefined || head === undefined || version > head) {
        problems.push(
          `${where}: version ${variant.version} does not exist${head === undefined ? ' (the prompt has no versions)' : ` (the newest will be v${head})`}`,
        );
        break;
      }
      variants.push({ version, weight: variant.weight });
    }
    if (variants.length !== release.variants.length) continue;
    const projected: Release = { variants, enabled: release.enabled };
    const current = registry.prompts.get(release.prompt)?.prompt.deployments?.[release.environment];
    if (!sameRelease(current, projected)) {
      deploys.push({
        environment: release.environment,
        prompt: release.prompt,
        current,
        desired: release,
        projected,
      });
    }
  }
  return { deploys, problems };
}

/**
 * Compares the folder with the registry: one entry per prompt under the prefix (files first, in
 * path order, then prompts that have no file), and the deploys the deploy file asks for.
 */
export function planPush(
  locals: LocalPrompt[],
  registry: Registry,
  desired: DesiredRelease[] | undefined,
  prefix: string | undefined,
  /** `push --archive-missing`: prompts without a file are archived instead of only reported. */
  archiveMissing = false,
): Plan {
  const entries = locals.map((local) => entryOf(local, registry));
  const present = new Set(locals.map((local) => local.name));
  for (const [name, { prompt }] of registry.prompts) {
    if (!present.has(name)) entries.push({ kind: 'missing', name, prompt, archive: archiveMissing });
  }
  const { deploys, problems } = desired
    ? planDeploys(desired, entries, registry, prefix)
    : { deploys: [], problems: [] };
  return { entries, deploys, problems };
}

/** Entries that keep the folder and the registry apart after a push. */
export function unresolved(plan: Plan): Entry[] {
  return plan.entries.filter(
    (entry) =>
      entry.kind === 'behind' || entry.kind === 'archived' || (entry.kind === 'missing' && !entry.archive),
  );
}
