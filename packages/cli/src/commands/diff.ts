/**
 * `promptline diff <name> <from> <to>`: what changed between two versions.
 * `promptline diff <dir>`: the registry's heads against a folder of .prompt files (what push would change).
 */
import { formatDiff } from '@promptline/core/diff';
import { parsePositiveInt } from '../args.ts';
import { UsageError } from '../errors.ts';
import { defineCommand } from '../kit.ts';

/** `promptline diff`. */
export const diffCommand = defineCommand({
  name: 'diff',
  usage: '<name> <from> <to> | <dir> [--prefix <prefix>] [--no-color] [options]',
  summary: 'Show what changed between two versions, or between the registry and a folder',
  description:
    'With a prompt and two version numbers: a word-level diff of the template (per message for chat\n' +
    'prompts), the config key by key and the variables added or removed.\n' +
    'With a folder of .prompt files: the same diff of each changed file against the registry head it\n' +
    'would be pushed on, new and missing prompts, changed description/owner/tags and the deploys of\n' +
    'promptline.deploy.yaml. Coloured when stdout is a terminal (never under NO_COLOR); --no-color turns it off.',
  options: {
    prefix: {
      type: 'string',
      value: '<prefix>',
      description: 'With <dir>: only prompts whose name starts with this',
    },
  },
  positionals: { min: 1, max: 3 },
  examples: [
    'promptline diff support/triage 1 2',
    'promptline diff support/triage 1 2 --json',
    'promptline diff prompts/',
  ],
  async run(input, ctx) {
    if (input.positionals.length === 1) {
      // The folder form reads .prompt files (yaml, zod): loaded only for it.
      const [{ planFolder }, { formatFolderDiff, planJson }] = await Promise.all([
        import('./sync.ts'),
        import('../sync/report.ts'),
      ]);
      const { plan } = await planFolder(input, ctx);
      if (ctx.printJson(planJson(plan))) return;
      ctx.out(formatFolderDiff(plan, ctx.color));
      return;
    }
    if (input.positionals.length !== 3) {
      throw new UsageError(
        'give a prompt and two version numbers (diff <name> <from> <to>), or a folder (diff <dir>)',
      );
    }
    const [name = '', from = '', to = ''] = input.positionals;
    const diff = await ctx.api.diff(name, parsePositiveInt(from, 'from'), parsePositiveInt(to, 'to'));
    if (ctx.printJson(diff)) return;
    const text = formatDiff(diff, { color: ctx.color });
    ctx.out(text.endsWith('\n') ? text : `${text}\n`);
  },
});
