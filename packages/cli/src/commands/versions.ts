/** `promptline versions create|list|show`: immutable versions of a prompt. */
import type { CreateVersionRequest, ModelConfig, SemverBump, Version } from '@promptline/core';
import type { ApiClient } from '../api-client.ts';
import { parsePositiveInt, readConfigOption, readVersionFile } from '../args.ts';
import { UsageError } from '../errors.ts';
import { defineGroup } from '../kit.ts';
import { formatFields, formatMessages, formatTable, oneLine } from '../output.ts';

const BUMPS: readonly SemverBump[] = ['major', 'minor', 'patch'];

/** The `versions` command group. */
export const versionsCommand = defineGroup({
  name: 'versions',
  summary: 'Create, list and show the immutable versions of a prompt',
  commands: {
    create: {
      name: 'versions create',
      usage:
        '<name> --file <path> [--branch <branch>] [--config <json|file>] [--message <text>] [--parent <n>] [--bump major|minor|patch] [options]',
      summary: 'Save a new version from a file',
      description:
        'Saves the file as a new immutable version. A .json file holds {type, template | messages, config}\n' +
        'or a bare array of chat messages; any other file (.txt, .md) is a text template.\n' +
        'A text file (or JSON without "config") changes the content only: the new version keeps the\n' +
        'config (provider, model, parameters) of the version it follows (--parent, else the head).\n' +
        'To change the config, pass --config with JSON or a .json file, or a .json version file with "config".\n' +
        'Content identical to the current head is not stored twice: the head is returned instead.\n' +
        'With --parent, the save fails with VERSION_CONFLICT if the head moved past that version.',
      options: {
        file: {
          type: 'string',
          short: 'f',
          value: '<path>',
          description: 'The content: .txt template or .json',
        },
        config: {
          type: 'string',
          value: '<json|file>',
          description: 'Model config as JSON or a .json file; replaces the kept config',
        },
        message: { type: 'string', short: 'm', value: '<text>', description: 'Commit message' },
        parent: {
          type: 'string',
          value: '<n>',
          description: 'Version you edited from (guards against lost updates)',
        },
        bump: {
          type: 'string',
          value: '<level>',
          description: 'Ask for at least a major, minor or patch bump',
        },
        branch: {
          type: 'string',
          value: '<branch>',
          description: 'Save on this branch (--parent is checked against its head)',
        },
      },
      positionals: { min: 1, max: 1 },
      examples: [
        'promptline versions create support/triage --file triage.txt --message "tighter wording"',
        'promptline versions create support/chat --file chat.json --parent 3 --bump major',
        `promptline versions create support/triage --file triage.txt --config '{"provider": "mock", "model": "mock-1"}'`,
      ],
      async run(input, ctx) {
        const name = input.positionals[0] ?? '';
        const content = await readVersionFile(input.required('file'));
        const configOption = input.string('config');
        const config = configOption === undefined ? undefined : await readConfigOption(configOption);
        const request: CreateVersionRequest = { ...content };
        const message = input.string('message');
        const parent = input.string('parent');
        const bump = input.string('bump');
        const branch = input.string('branch');
        if (branch !== undefined) request.branch = branch;
        if (message !== undefined) request.message = message;
        if (parent !== undefined) request.parent = parsePositiveInt(parent, '--parent');
        if (config !== undefined) request.config = config;
        else if (request.config === undefined) {
          const kept = await previousConfig(ctx.api, name, request.parent, branch);
          if (kept !== undefined) request.config = kept;
        }
        if (bump !== undefined) {
          if (!BUMPS.includes(bump as SemverBump))
            throw new UsageError(`--bump must be major, minor or patch, got "${bump}"`);
          request.bump = bump as SemverBump;
        }
        const { version, created } = await ctx.api.createVersion(name, request);
        if (ctx.printJson(version)) return;
        ctx.out(
          created
            ? `Created ${version.prompt} v${version.number} (${version.semver}) ${version.hash.slice(0, 12)}\n`
            : `Unchanged: content is identical to ${version.prompt} v${version.number} (${version.semver}); nothing saved\n`,
        );
      },
    },
    list: {
      name: 'versions list',
      usage: '<name> [options]',
      summary: 'List the versions of a prompt',
      positionals: { min: 1, max: 1 },
      examples: ['promptline versions list support/triage'],
      async run(input, ctx) {
        const { items } = await ctx.api.listVersions(input.positionals[0] ?? '');
        if (ctx.printJson({ items })) return;
        const rows = items.map((version) => [
          `v${version.number}`,
          version.semver,
          version.type,
          version.author,
          version.createdAt,
          version.hash.slice(0, 12),
          oneLine(version.message, 50),
        ]);
        ctx.out(
          formatTable(['VERSION', 'SEMVER', 'TYPE', 'AUTHOR', 'CREATED', 'HASH', 'MESSAGE'], rows, ctx.color),
        );
      },
    },
    show: {
      name: 'versions show',
      usage: '<name> <number> [options]',
      summary: 'Show one version with its content and config',
      positionals: { min: 2, max: 2 },
      examples: ['promptline versions show support/triage 2'],
      async run(input, ctx) {
        const [name = '', number = ''] = input.positionals;
        const version = await ctx.api.getVersion(name, parsePositiveInt(number, 'version'));
        if (ctx.printJson(version)) return;
        ctx.out(formatVersion(version, ctx.color));
      },
    },
  },
});

/**
 * The config of the version a new one follows (`parent`, else the head), which a file without a
 * config keeps; undefined when the prompt has no version yet.
 */
async function previousConfig(
  api: ApiClient,
  name: string,
  parent: number | undefined,
  branch?: string | undefined,
): Promise<ModelConfig | undefined> {
  const head =
    branch === undefined
      ? (await api.getPrompt(name)).latestVersion
      : ((await api.listBranches(name)).items.find((b) => b.name === branch)?.head ?? null);
  const number = parent ?? head;
  if (number === null) return undefined;
  return (await api.getVersion(name, number)).config;
}

/** A version as a header of fields followed by its template or messages. */
export function formatVersion(version: Version, color = false): string {
  const hasConfig = Object.keys(version.config).length > 0;
  const header = formatFields(
    [
      ['prompt', version.prompt],
      ['version', `v${version.number} (${version.semver})`],
      ['type', version.type],
      ['variables', version.variables.length > 0 ? version.variables.join(', ') : '(none)'],
      ['config', hasConfig ? JSON.stringify(version.config) : undefined],
      ['parent', version.parent === null ? undefined : `v${version.parent}`],
      ['author', version.author],
      ['created', version.createdAt],
      ['message', version.message || undefined],
      ['hash', version.hash],
    ],
    color,
  );
  const body = version.type === 'text' ? version.template : formatMessages(version.messages, color);
  return `${header}\n${body}${body.endsWith('\n') ? '' : '\n'}`;
}
