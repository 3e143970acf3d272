/** `promptline envs list|create`: the environments a prompt is promoted through. */
import type { CreateEnvironmentRequest } from '@promptline/core';
import { parseInteger } from '../args.ts';
import { defineGroup } from '../kit.ts';
import { formatTable, oneLine } from '../output.ts';

/** The `envs` command group. */
export const envsCommand = defineGroup({
  name: 'envs',
  summary: 'List and create environments',
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
  },
});
