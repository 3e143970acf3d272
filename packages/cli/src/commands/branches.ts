/** `promptline branches list|create|delete <prompt>` (`promptline merge` is in merge.ts). */
import { parsePositiveInt } from '../args.ts';
import { defineGroup } from '../kit.ts';
import { formatTable } from '../output.ts';

export const branchesCommand = defineGroup({
  name: 'branches',
  summary: 'List, create and delete the branches of a prompt',
  commands: {
    list: {
      name: 'branches list',
      usage: '<prompt> [--all] [options]',
      summary: 'List the open branches of a prompt (--all: deleted ones too)',
      options: { all: { type: 'boolean', description: 'Include deleted branches' } },
      positionals: { min: 1, max: 1 },
      examples: ['promptline branches list support/triage'],
      async run(input, ctx) {
        const { items } = await ctx.api.listBranches(input.positionals[0] ?? '', input.flag('all'));
        if (ctx.printJson({ items })) return;
        const rows = items.map((b) => [
          b.name,
          `v${b.base}`,
          `v${b.head}`,
          b.createdBy,
          b.deletedAt === null ? 'open' : `deleted ${b.deletedAt}`,
        ]);
        ctx.out(formatTable(['BRANCH', 'BASE', 'HEAD', 'CREATED BY', 'STATE'], rows, ctx.color));
      },
    },
    create: {
      name: 'branches create',
      usage: '<prompt> <branch> [--from <version>] [options]',
      summary: 'Create a branch from a version (default: the main line’s head)',
      options: { from: { type: 'string', value: '<n>', description: 'The version to branch from' } },
      positionals: { min: 2, max: 2 },
      examples: ['promptline branches create support/triage experiment/shorter --from 3'],
      async run(input, ctx) {
        const [name = '', branch = ''] = input.positionals;
        const from = input.string('from');
        const created = await ctx.api.createBranch(name, {
          name: branch,
          ...(from === undefined ? {} : { from: parsePositiveInt(from, '--from') }),
        });
        if (ctx.printJson(created)) return;
        ctx.out(`Created branch ${created.name} of ${name} at v${created.base}\n`);
      },
    },
    delete: {
      name: 'branches delete',
      usage: '<prompt> <branch> [options]',
      summary: 'Delete (close) a branch; its versions stay',
      positionals: { min: 2, max: 2 },
      examples: ['promptline branches delete support/triage experiment/shorter'],
      async run(input, ctx) {
        const [name = '', branch = ''] = input.positionals;
        const deleted = await ctx.api.deleteBranch(name, branch);
        if (ctx.printJson(deleted)) return;
        ctx.out(`Deleted branch ${deleted.name} of ${name} (head v${deleted.head}; its versions stay)\n`);
      },
    },
  },
});
