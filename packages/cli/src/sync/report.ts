/**
 * How a push plan reads in a terminal (`status`, `push --dry-run`, `push`) and as JSON, and the
 * folder-wide `diff`: the registry's head against each changed file.
 */
import type { Release, Version } from '@promptline/core';
import { diffVersions, formatDiff } from '@promptline/core/diff';
import { type PromptFile, serializePromptFile } from '@promptline/core/prompt-file';
import { extractVariables } from '@promptline/core/template';
import { formatRelease, paint } from '../output.ts';
import type { DeployAction, Entry, Plan } from './plan.ts';

type Style = Parameters<typeof paint>[0];

const STYLE: Record<Entry['kind'], Style> = {
  unchanged: 'dim',
  modified: 'yellow',
  new: 'green',
  behind: 'cyan',
  conflict: 'red',
  missing: 'magenta',
  archived: 'magenta',
};

function detail(entry: Entry): string {
  switch (entry.kind) {
    case 'unchanged':
      return entry.stale
        ? `same content as v${entry.head.number}; push refreshes the file's header`
        : `v${entry.head.number}`;
    case 'modified': {
      const parts: string[] = [];
      if (entry.newVersion) parts.push(entry.head ? `new version on v${entry.head.number}` : 'first version');
      for (const change of entry.metadata) parts.push(`${change.field}: "${change.from}" → "${change.to}"`);
      return parts.join('; ');
    }
    case 'new':
      return 'creates the prompt with v1';
    case 'behind':
      return `the registry is at v${entry.head.number}, the file unedited from v${entry.local.file.base?.version}: \`promptline pull\` updates it`;
    case 'conflict':
      return entry.reason;
    case 'missing':
      return `in the registry${entry.prompt.latestVersion === null ? '' : ` (v${entry.prompt.latestVersion})`}, no file: ${entry.archive ? 'push archives it' : 'left as it is (`push --archive-missing` archives it)'}`;
    case 'archived':
      return 'the prompt is archived in the registry: the file is not pushed (restore the prompt, or delete the file)';
  }
}

function releaseText(release: Release | undefined): string {
  return release ? formatRelease(release) : 'nothing';
}

function deployLine(action: DeployAction, color: boolean): string {
  const to = formatRelease(action.projected);
  return `  ${paint('yellow', 'deploy'.padEnd(10), color)}${action.prompt} in ${action.environment}: ${releaseText(action.current)} → ${to}`;
}

/** The plan, one line per prompt that is not unchanged, then the deploys and the problems. */
export function formatPlan(plan: Plan, color: boolean): string {
  const lines: string[] = [];
  const shown = plan.entries.filter((entry) => entry.kind !== 'unchanged' || entry.stale);
  const width = Math.max(0, ...shown.map((entry) => entry.name.length)) + 2;
  for (const entry of shown) {
    lines.push(
      `  ${paint(STYLE[entry.kind], entry.kind.padEnd(10), color)}${entry.name.padEnd(width)}${detail(entry)}`,
    );
  }
  for (const action of plan.deploys) lines.push(deployLine(action, color));
  for (const problem of plan.problems) lines.push(`  ${paint('red', 'invalid'.padEnd(10), color)}${problem}`);
  const unchanged = plan.entries.length - shown.length;
  if (lines.length === 0)
    return `Up to date: ${unchanged} prompt${unchanged === 1 ? '' : 's'}, nothing to push.\n`;
  const tail = unchanged > 0 ? `  (${unchanged} unchanged)\n` : '';
  return `${lines.join('\n')}\n${tail}`;
}

/** The plan for `--json`: what a CI script needs to decide, without the files' text. */
export function planJson(plan: Plan) {
  return {
    prompts: plan.entries.map((entry) => ({
      name: entry.name,
      state: entry.kind,
      ...('local' in entry ? { path: entry.local.path, base: entry.local.file.base?.version ?? null } : {}),
      ...('head' in entry && entry.head ? { head: entry.head.number } : {}),
      ...(entry.kind === 'modified' ? { newVersion: entry.newVersion, metadata: entry.metadata } : {}),
      ...(entry.kind === 'conflict' ? { reason: entry.reason } : {}),
      ...(entry.kind === 'missing' ? { archive: entry.archive } : {}),
    })),
    deploys: plan.deploys.map((action) => ({
      prompt: action.prompt,
      environment: action.environment,
      current: action.current ?? null,
      desired: action.projected,
    })),
    problems: plan.problems,
  };
}

/** The file's content as a version, to diff against the registry's head. */
function asVersion(name: string, file: PromptFile, head: Version | undefined): Version {
  let variables = file.variables;
  try {
    variables = extractVariables(file.content);
  } catch {
    // A template that does not compile still diffs; push reports the syntax error from the server.
  }
  const base = {
    prompt: name,
    number: (head?.number ?? 0) + 1,
    semver: 'file',
    config: file.config,
    variables,
    message: '',
    author: '',
    createdAt: '',
    parent: head?.number ?? null,
    hash: '',
  };
  return file.content.type === 'text'
    ? { ...base, type: 'text', template: file.content.template }
    : { ...base, type: 'chat', messages: file.content.messages };
}

/** `diff <dir>`: for each prompt push would change, the registry's head against the file. */
export function formatFolderDiff(plan: Plan, color: boolean): string {
  const blocks: string[] = [];
  for (const entry of plan.entries) {
    if (entry.kind === 'unchanged') continue;
    const title = (text: string) => paint('bold', text, color);
    if (entry.kind === 'missing') {
      blocks.push(
        `${title(`${entry.name}: only in the registry`)} (v${entry.prompt.latestVersion ?? '-'}, no file)\n`,
      );
      continue;
    }
    if (entry.kind === 'archived') {
      blocks.push(
        `${title(`${entry.name}: archived in the registry`)} (${entry.local.path} is not pushed)\n`,
      );
      continue;
    }
    if (entry.kind === 'new') {
      blocks.push(
        `${title(`${entry.name}: new prompt (${entry.local.path})`)}\n${serializePromptFile({ ...entry.local.file, base: null })}`,
      );
      continue;
    }
    const head = entry.head;
    const lines: string[] = [];
    const label =
      entry.kind === 'behind'
        ? 'the registry is ahead; this is what pull would undo if pushed'
        : entry.kind === 'conflict'
          ? `CONFLICT: ${entry.reason}`
          : 'registry → file';
    lines.push(title(`${entry.name}: v${head?.number ?? '-'} → ${entry.local.path} (${label})`));
    if (head && (entry.kind !== 'modified' || entry.newVersion)) {
      // formatDiff's first line names two version numbers; the title above says what is compared.
      lines.push(
        formatDiff(diffVersions(head, asVersion(entry.name, entry.local.file, head)), { color })
          .split('\n')
          .slice(1)
          .join('\n')
          .trimEnd(),
      );
    }
    if (entry.kind === 'modified') {
      for (const change of entry.metadata) {
        lines.push(
          `~ ${change.field}: ${paint('red', `[-${change.from}-]`, color)} ${paint('green', `{+${change.to}+}`, color)}`,
        );
      }
    }
    blocks.push(`${lines.join('\n')}\n`);
  }
  for (const action of plan.deploys) blocks.push(`${deployLine(action, color).trimStart()}\n`);
  return blocks.length === 0 ? 'No differences.\n' : blocks.join('\n');
}
