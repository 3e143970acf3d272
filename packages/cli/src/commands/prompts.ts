/** `promptline prompts list|show|create|update`: the registry entries. */
import type { CreatePromptRequest, Prompt, UpdatePromptRequest } from '@promptline/core';
import { readVersionFile } from '../args.ts';
import { UsageError } from '../errors.ts';
import { defineGroup } from '../kit.ts';
import { formatFields, formatRelease, formatTable, oneLine } from '../output.ts';

/** The `prompts` command group. */
export const promptsCommand = defineGroup({
  name: 'prompts',
  summary: 'List, show, create and update prompts',
  commands: {
    list: {
      name: 'prompts list',
      usage: '[--tag <tag>] [--search <text>] [options]',
      summary: 'List the prompts of the project',
      options: {
        tag: { type: 'string', value: '<tag>', description: 'Only prompts with this tag' },
        search: {
          type: 'string',
          value: '<text>',
          description: 'Only prompts whose name contains this text',
        },
      },
      positionals: { min: 0, max: 0 },
      examples: ['promptline prompts list', 'promptline prompts list --tag support --json'],
      async run(input, ctx) {
        const { items } = await ctx.api.listPrompts({ tag: input.string('tag'), q: input.string('search') });
        if (ctx.printJson({ items })) return;
        if (items.length === 0) {
          ctx.out('No prompts yet. Create one with `promptline prompts create <name> --file prompt.txt`.\n');
          return;
        }
        const rows = items.map((prompt) => [
          prompt.name,
          prompt.latestVersion === null ? '-' : `v${prompt.latestVersion}`,
          prompt.owner,
          prompt.tags.join(','),
          prompt.updatedAt,
          oneLine(prompt.description, 50),
        ]);
        ctx.out(formatTable(['NAME', 'LATEST', 'OWNER', 'TAGS', 'UPDATED', 'DESCRIPTION'], rows, ctx.color));
      },
    },
    show: {
      name: 'prompts show',
      usage: '<name> [options]',
      summary: 'Show a prompt and what each environment serves',
      positionals: { min: 1, max: 1 },
      examples: ['promptline prompts show support/triage'],
      async run(input, ctx) {
        const prompt = await ctx.api.getPrompt(input.positionals[0] ?? '');
        if (ctx.printJson(prompt)) return;
        const deployments = Object.entries(prompt.deployments ?? {});
        ctx.out(formatPrompt(prompt, ctx.color));
        if (deployments.length > 0) {
          ctx.out(
            `\n${formatTable(
              ['ENVIRONMENT', 'SERVES'],
              deployments.map(([env, release]) => [env, formatRelease(release)]),
              ctx.color,
            )}`,
          );
        }
      },
    },
    create: {
      name: 'prompts create',
      usage: '<name> [--description <text>] [--owner <who>] [--tag <tag>]... [--file <path>] [options]',
      summary: 'Register a prompt, optionally with its first version',
      description:
        'Registers a prompt. With --file, the file becomes version 1 in the same step: a .json file holds\n' +
        '{type, template | messages, config} or a bare array of chat messages; any other file is a text template.',
      options: {
        description: { type: 'string', value: '<text>', description: 'What the prompt is for' },
        owner: { type: 'string', value: '<who>', description: 'Team or person responsible for it' },
        tag: { type: 'string', multiple: true, value: '<tag>', description: 'A tag' },
        file: {
          type: 'string',
          value: '<path>',
          description: 'First version: .txt template or .json content',
        },
        message: { type: 'string', value: '<text>', description: 'Commit message of the first version' },
      },
      positionals: { min: 1, max: 1 },
      examples: [
        'promptline prompts create support/triage --description "Routes tickets" --tag support',
        'promptline prompts create support/triage --file triage.txt --message "first cut"',
      ],
      async run(input, ctx) {
        const request: CreatePromptRequest = { name: input.positionals[0] ?? '' };
        const description = input.string('description');
        const owner = input.string('owner');
        const tags = input.list('tag');
        const file = input.string('file');
        const message = input.string('message');
        if (description !== undefined) request.description = description;
        if (owner !== undefined) request.owner = owner;
        if (tags.length > 0) request.tags = tags;
        if (file !== undefined) {
          request.version = {
            ...(await readVersionFile(file)),
            ...(message === undefined ? {} : { message }),
          };
        }
        const prompt = await ctx.api.createPrompt(request);
        if (ctx.printJson(prompt)) return;
        const version = prompt.latestVersion === null ? '' : ` with v${prompt.latestVersion}`;
        ctx.out(`Created prompt ${prompt.name}${version}\n`);
      },
    },
    update: {
      name: 'prompts update',
      usage: '<name> [--description <text>] [--owner <who>] [--tag <tag>]... [--clear-tags] [options]',
      summary: 'Change the description, owner or tags of a prompt',
      description:
        'Changes only what is given. --tag replaces the whole tag list with the tags given (repeat it\n' +
        'for several); --clear-tags removes every tag. --description "" clears the description.',
      options: {
        description: { type: 'string', value: '<text>', description: 'What the prompt is for' },
        owner: { type: 'string', value: '<who>', description: 'Team or person responsible for it' },
        tag: { type: 'string', multiple: true, value: '<tag>', description: 'The new tag list' },
        'clear-tags': { type: 'boolean', description: 'Remove every tag' },
      },
      positionals: { min: 1, max: 1 },
      examples: [
        'promptline prompts update support/triage --owner platform-team',
        'promptline prompts update support/triage --tag support --tag routing',
        'promptline prompts update support/triage --clear-tags',
      ],
      async run(input, ctx) {
        const request: UpdatePromptRequest = {};
        const description = input.string('description');
        const owner = input.string('owner');
        const tags = input.list('tag');
        const clearTags = input.flag('clear-tags');
        if (clearTags && tags.length > 0) throw new UsageError('give either --tag or --clear-tags, not both');
        if (description !== undefined) request.description = description;
        if (owner !== undefined) request.owner = owner;
        if (tags.length > 0) request.tags = tags;
        if (clearTags) request.tags = [];
        if (Object.keys(request).length === 0) {
          throw new UsageError('nothing to update: give --description, --owner, --tag or --clear-tags');
        }
        const prompt = await ctx.api.updatePrompt(input.positionals[0] ?? '', request);
        if (ctx.printJson(prompt)) return;
        ctx.out(`Updated prompt ${prompt.name}\n${formatPrompt(prompt, ctx.color)}`);
      },
    },
  },
});

/** The fields of a prompt, as `prompts show` and `prompts update` print them. */
function formatPrompt(prompt: Prompt, color: boolean): string {
  return formatFields(
    [
      ['name', prompt.name],
      ['description', prompt.description || undefined],
      ['owner', prompt.owner || undefined],
      ['tags', prompt.tags.length > 0 ? prompt.tags.join(', ') : undefined],
      ['latest', prompt.latestVersion === null ? 'no versions yet' : `v${prompt.latestVersion}`],
      ['created', prompt.createdAt],
      ['updated', prompt.updatedAt],
    ],
    color,
  );
}
