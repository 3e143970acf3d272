/**
 * Carrying out a push plan: new prompts (each created with its first version in one transaction),
 * new versions (one transaction each, with `parent` so a head that moved since the plan is still a
 * 409 VERSION_CONFLICT), entry updates, the deploy file's deploys (through the deploy API, so
 * environment policies apply), and the files' `promptline:` headers brought up to the new heads.
 * The caller has refused the plan already when it holds a conflict: nothing here runs then.
 */
import type { CreateVersionRequest, DeployRequest, Version } from '@promptline/core';
import { type PromptFile, promptFileOf, serializePromptFile } from '@promptline/core/prompt-file';
import type { ApiClient } from '../api-client.ts';
import { ApiError } from '../errors.ts';
import { pathOf, writeAtomically } from './folder.ts';
import type { DeployAction, Entry, Plan } from './plan.ts';

export interface ApplyOptions {
  dir: string;
  /** Commit message of every version created (and reason of every deploy). */
  message: string;
  /** One line per change made, as it is made. */
  progress(line: string): void;
  /** Save versions on this branch (`push --branch`). */
  branch?: string | undefined;
}

/**
 * What a push did; `deployFailures` lists deploys the server refused (policies, partial checks),
 * `archiveFailures` prompts it would not archive (still served somewhere).
 */
export interface ApplyResult {
  changed: number;
  deployFailures: Array<{ action: DeployAction; error: ApiError }>;
  archiveFailures: Array<{ name: string; error: ApiError }>;
}

function versionRequest(
  file: PromptFile,
  message: string,
  parent: number | undefined,
  branch?: string | undefined,
): CreateVersionRequest {
  const base = {
    config: file.config,
    message,
    ...(parent === undefined ? {} : { parent }),
    ...(branch === undefined ? {} : { branch }),
  };
  return file.content.type === 'text'
    ? { type: 'text', template: file.content.template, ...base }
    : { type: 'chat', messages: file.content.messages, ...base };
}

/** Rewrites a file as pull would write it at `version`, when that changes its text. */
async function writeHeader(
  dir: string,
  entry: { name: string; local: { file: PromptFile; text: string } },
  version: Version,
) {
  const text = serializePromptFile(promptFileOf(entry.local.file, version));
  if (text !== entry.local.text) await writeAtomically(pathOf(dir, entry.name), text);
}

async function applyEntry(api: ApiClient, entry: Entry, options: ApplyOptions): Promise<Version | undefined> {
  if (entry.kind === 'new') {
    const { file } = entry.local;
    await api.createPrompt({
      name: entry.name,
      ...(file.description === '' ? {} : { description: file.description }),
      ...(file.owner === '' ? {} : { owner: file.owner }),
      ...(file.tags.length === 0 ? {} : { tags: file.tags }),
      version: versionRequest(file, options.message, undefined),
    });
    const version = await api.getVersion(entry.name, 1);
    options.progress(`created ${entry.name} v1 (${version.semver})`);
    return version;
  }
  if (entry.kind === 'modified') {
    let version = entry.head;
    if (entry.newVersion) {
      const saved = await api.createVersion(
        entry.name,
        versionRequest(entry.local.file, options.message, entry.head?.number, options.branch),
      );
      version = saved.version;
      options.progress(`created ${entry.name} v${version.number} (${version.semver})`);
    }
    if (entry.metadata.length > 0) {
      const { file } = entry.local;
      await api.updatePrompt(entry.name, {
        description: file.description,
        owner: file.owner,
        tags: file.tags,
      });
      options.progress(`updated ${entry.name}: ${entry.metadata.map((change) => change.field).join(', ')}`);
    }
    return version;
  }
  if (entry.kind === 'unchanged') return entry.head;
  return undefined;
}

function deployRequest(action: DeployAction, heads: Map<string, number>, reason: string): DeployRequest {
  // `latest` is read again from what was actually created, not from the projection.
  const variants = action.desired.variants.map((variant, i) => ({
    version: variant.version === 'latest' ? (heads.get(action.prompt) ?? 0) : variant.version,
    weight: action.projected.variants[i]?.weight ?? variant.weight,
  }));
  const [only] = variants;
  return variants.length === 1 && only
    ? { version: only.version, enabled: action.desired.enabled, reason }
    : { variants, enabled: action.desired.enabled, reason };
}

/** Applies `plan`: versions and entries first, then deploys, then the files' headers. */
export async function applyPlan(api: ApiClient, plan: Plan, options: ApplyOptions): Promise<ApplyResult> {
  let changed = 0;
  const heads = new Map<string, number>();
  const written: Array<{ entry: Entry & { kind: 'new' | 'modified' | 'unchanged' }; version: Version }> = [];
  for (const entry of plan.entries) {
    if (entry.kind !== 'new' && entry.kind !== 'modified' && entry.kind !== 'unchanged') continue;
    const version = await applyEntry(api, entry, options);
    if (entry.kind !== 'unchanged') changed += 1;
    if (version) {
      heads.set(entry.name, version.number);
      written.push({ entry, version });
    }
  }
  const deployFailures: ApplyResult['deployFailures'] = [];
  for (const action of plan.deploys) {
    const request = deployRequest(action, heads, options.message);
    try {
      await api.deploy(action.prompt, action.environment, request);
      changed += 1;
      const release =
        'version' in request
          ? `v${request.version}`
          : request.variants.map((v) => `v${v.version}:${v.weight}`).join(',');
      options.progress(
        `deployed ${action.prompt} to ${action.environment}: ${release}${request.enabled === false ? ' (disabled)' : ''}`,
      );
    } catch (error) {
      // A policy refusal of one environment does not undo the others: each deploy stands alone.
      if (!(error instanceof ApiError) || error.status >= 500) throw error;
      deployFailures.push({ action, error });
    }
  }

  // Archived last: a deploy file that turns a prompt's releases off makes it archivable in the same push.
  const archiveFailures: ApplyResult['archiveFailures'] = [];
  for (const entry of plan.entries) {
    if (entry.kind !== 'missing' || !entry.archive) continue;
    try {
      await api.updatePrompt(entry.name, { archived: true });
      changed += 1;
      options.progress(`archived ${entry.name}`);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status >= 500) throw error;
      archiveFailures.push({ name: entry.name, error });
    }
  }

  for (const { entry, version } of written) await writeHeader(options.dir, entry, version);
  return { changed, deployFailures, archiveFailures };
}
