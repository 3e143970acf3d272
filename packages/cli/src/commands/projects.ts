/** `promptline projects list|create|enter`: the projects of the instance. */
import { parsePositiveInt } from '../args.ts';
import { UsageError } from '../errors.ts';
import { defineGroup } from '../kit.ts';
import { formatTable } from '../output.ts';

/** The `projects` command group. */
export const projectsCommand = defineGroup({
  name: 'projects',
  summary: 'List projects, create them and enter any of them (instance admins)',
  commands: {
    list: {
      name: 'projects list',
      usage: '[options]',
      summary: "Your key's user's projects with its role (an instance admin: every project)",
      positionals: { min: 0, max: 0 },
      examples: ['promptline projects list'],
      async run(_input, ctx) {
        const { items } = await ctx.api.listProjects();
        if (ctx.printJson({ items })) return;
        const rows = items.map((p) => [
          String(p.id),
          p.current ? `${p.name} *` : p.name,
          p.role ?? '- (not a member)',
        ]);
        ctx.out(formatTable(['ID', 'NAME', 'ROLE'], rows, ctx.color));
      },
    },
    create: {
      name: 'projects create',
      usage: '<name> [options]',
      summary: 'Create a project (instance admins); prints an admin key of it once',
      positionals: { min: 1, max: 1 },
      examples: ['promptline projects create support-bot'],
      async run(input, ctx) {
        const created = await ctx.api.createProject(input.positionals[0] ?? '');
        if (ctx.printJson(created)) return;
        ctx.out(
          `Created project #${created.project.id} "${created.project.name}" with development, staging and production.\n` +
            `Its admin key (acting as you) is shown only now; use it as PROMPTLINE_API_KEY for that project:\n${created.apiKey.key}\n`,
        );
      },
    },
    enter: {
      name: 'projects enter',
      usage: '<name|id> [--expires-in <hours>] [options]',
      summary:
        'Enter any project (instance admins): become its admin; prints an expiring admin key of it once',
      description:
        'Makes you admin of the project (audited there as project.instance_admin_access, and in the\n' +
        'instance security log) and prints an admin key of it acting as you, which stops working after\n' +
        '--expires-in hours (default 24, at most 720). Keys stay in their project: use the printed key\n' +
        'as PROMPTLINE_API_KEY to work in the one you entered.',
      options: {
        'expires-in': {
          type: 'string',
          value: '<hours>',
          description: 'How long the printed key works, in hours (default 24, at most 720)',
        },
      },
      positionals: { min: 1, max: 1 },
      examples: ['promptline projects enter support-bot', 'promptline projects enter 4 --expires-in 2'],
      async run(input, ctx) {
        const wanted = input.positionals[0] ?? '';
        const hours = input.string('expires-in');
        const expiresInHours = hours === undefined ? undefined : parsePositiveInt(hours, '--expires-in');
        const { items } = await ctx.api.listProjects();
        const project = /^\d+$/.test(wanted)
          ? items.find((p) => p.id === Number(wanted))
          : items.find((p) => p.name === wanted);
        if (!project) {
          throw new UsageError(
            `No project "${wanted}" among the ones you can see. List them with \`promptline projects list\` (an instance admin sees every project).`,
          );
        }
        const entered = await ctx.api.enterProject(project.id, expiresInHours);
        if (ctx.printJson(entered)) return;
        ctx.out(
          `Entered project #${entered.project.id} "${entered.project.name}" as admin (audited there).\n` +
            `Its admin key (acting as you, until ${entered.apiKey.expiresAt}) is shown only now; use it as PROMPTLINE_API_KEY for that project:\n${entered.apiKey.key}\n`,
        );
      },
    },
  },
});
