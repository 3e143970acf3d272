/** `promptline projects list|create`: the projects of the instance. */
import { defineGroup } from '../kit.ts';
import { formatTable } from '../output.ts';

/** The `projects` command group. */
export const projectsCommand = defineGroup({
  name: 'projects',
  summary: 'List projects and create them (instance admins)',
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
        const rows = items.map((p) => [String(p.id), p.current ? `${p.name} *` : p.name, p.role ?? '-']);
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
  },
});
