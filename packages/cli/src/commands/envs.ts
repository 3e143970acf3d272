/** `promptline envs list|show|create|update|archive|unarchive`: the environments a prompt is promoted through. */
import type { CreateEnvironmentRequest, Environment, UpdateEnvironmentRequest } from '@promptline/core';
import { parseInteger } from '../args.ts';
import { UsageError } from '../errors.ts';
import { type CommandSpec, type Context, defineGroup, type Input } from '../kit.ts';
import { formatFields, formatTable, oneLine } from '../output.ts';

/** The `envs` command group. */
export const envsCommand = defineGroup({
  name: 'envs',
  summary: 'List, show, create, update and archive environments',
  commands: {
    list: {
      name: 'envs list',
      usage: '[options]',
      summary: 'List environments in promotion order',
      positionals: { min: 0, max: 0 },
      examples: ['promptline envs list'],
      async run(_input, ctx) {
        const { items } = await ctx.api.listEnvironments();
        if (ctx.printJson({ items })) return;
        const rows = [...items]
          .sort((a, b) => a.rank - b.rank)
          .map((env) => [
            env.name,
            String(env.rank),
            env.protected ? 'yes' : 'no',
            env.archived ? 'archived' : 'active',
            oneLine(env.description, 50),
          ]);
        ctx.out(formatTable(['NAME', 'RANK', 'PROTECTED', 'STATE', 'DESCRIPTION'], rows, ctx.color));
      },
    },
    show: {
      name: 'envs show',
      usage: '<name> [options]',
      summary: 'Show one environment',
      positionals: { min: 1, max: 1 },
      examples: ['promptline envs show production'],
      async run(input, ctx) {
        const env = await ctx.api.getEnvironment(input.positionals[0] ?? '');
        if (ctx.printJson(env)) return;
        ctx.out(formatEnvironment(env, ctx.color));
      },
    },
    create: {
      name: 'envs create',
      usage: '<name> [--rank <n>] [--description <text>] [--protected] [options]',
      summary: 'Create an environment',
      options: {
        rank: {
          type: 'string',
          value: '<n>',
          description: 'Order of promotion (development 10, staging 20, production 30)',
        },
        description: { type: 'string', value: '<text>', description: 'What it is for' },
        protected: { type: 'boolean', description: 'Mark it protected' },
      },
      positionals: { min: 1, max: 1 },
      examples: ['promptline envs create canary --rank 25 --description "1% of traffic"'],
      async run(input, ctx) {
        const request: CreateEnvironmentRequest = { name: input.positionals[0] ?? '' };
        const rank = input.string('rank');
        const description = input.string('description');
        if (rank !== undefined) request.rank = parseInteger(rank, '--rank');
        if (description !== undefined) request.description = description;
        if (input.flag('protected')) request.protected = true;
        const env = await ctx.api.createEnvironment(request);
        if (ctx.printJson(env)) return;
        ctx.out(`Created environment ${env.name} (rank ${env.rank})\n`);
      },
    },
    update: {
      name: 'envs update',
      usage:
        '<name> [--rename <new>] [--rank <n>] [--description <text>] [--protected | --no-protected] [options]',
      summary: 'Rename, re-rank, describe or (un)protect an environment (admin)',
      description:
        'Changes only what is given. A renamed environment keeps its deployments and history; SDKs and\n' +
        'scripts that name the old environment must be pointed at the new name.',
      options: {
        rename: { type: 'string', value: '<new>', description: 'New name' },
        rank: { type: 'string', value: '<n>', description: 'Order of promotion' },
        description: { type: 'string', value: '<text>', description: 'What it is for' },
        protected: { type: 'boolean', description: 'Mark it protected; --no-protected removes the mark' },
      },
      positionals: { min: 1, max: 1 },
      examples: [
        'promptline envs update canary --rank 15 --description "internal dogfood"',
        'promptline envs update canary --rename dogfood --no-protected',
      ],
      async run(input, ctx) {
        const request: UpdateEnvironmentRequest = {};
        const rename = input.string('rename');
        const rank = input.string('rank');
        const description = input.string('description');
        const protect = optionalFlag(input, 'protected');
        if (rename !== undefined) request.name = rename;
        if (rank !== undefined) request.rank = parseInteger(rank, '--rank');
        if (description !== undefined) request.description = description;
        if (protect !== undefined) request.protected = protect;
        if (Object.keys(request).length === 0) {
          throw new UsageError(
            'nothing to update: give --rename, --rank, --description, --protected or --no-protected',
          );
        }
        const name = input.positionals[0] ?? '';
        const env = await ctx.api.updateEnvironment(name, request);
        if (ctx.printJson(env)) return;
        const renamed = env.name === name ? '' : ` (renamed from ${name})`;
        ctx.out(`Updated environment ${env.name}${renamed}\n${formatEnvironment(env, ctx.color)}`);
      },
    },
    archive: archiveSpec(true),
    unarchive: archiveSpec(false),
  },
});

/** `envs archive` and `envs unarchive`: the same PATCH with `archived` true or false. */
function archiveSpec(archived: boolean): CommandSpec {
  const verb = archived ? 'archive' : 'unarchive';
  return {
    name: `envs ${verb}`,
    usage: '<name> [options]',
    summary: archived
      ? 'Archive an environment: no more deploys or rollbacks to it (admin)'
      : 'Make an archived environment accept deploys again (admin)',
    description: archived
      ? 'Archives an environment. What it serves stays resolvable, but nothing can be deployed to it\n' +
        'or rolled back in it until `promptline envs unarchive <name>`.'
      : undefined,
    positionals: { min: 1, max: 1 },
    examples: [`promptline envs ${verb} canary`],
    async run(input: Input, ctx: Context) {
      const env = await ctx.api.updateEnvironment(input.positionals[0] ?? '', { archived });
      if (ctx.printJson(env)) return;
      ctx.out(
        archived
          ? `Archived environment ${env.name}; deploys to it now fail. Undo with \`promptline envs unarchive ${env.name}\`.\n`
          : `Unarchived environment ${env.name}; it accepts deploys again.\n`,
      );
    },
  };
}

/** `--flag` is true, `--no-flag` false, neither undefined (leave the value as it is). */
function optionalFlag(input: Input, name: string): boolean | undefined {
  const whenAbsentTrue = input.flag(name, true);
  return whenAbsentTrue === input.flag(name, false) ? whenAbsentTrue : undefined;
}

function formatEnvironment(env: Environment, color: boolean): string {
  return formatFields(
    [
      ['name', env.name],
      ['description', env.description || undefined],
      ['rank', String(env.rank)],
      ['protected', env.protected ? 'yes' : 'no'],
      ['state', env.archived ? 'archived' : 'active'],
      ['created', env.createdAt],
    ],
    color,
  );
}
