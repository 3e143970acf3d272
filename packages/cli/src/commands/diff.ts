/** `promptline diff <name> <from> <to>`: what changed between two versions. */
import { formatDiff } from '@promptline/core';
import { parsePositiveInt } from '../args.ts';
import { defineCommand } from '../kit.ts';

/** `promptline diff`. */
export const diffCommand = defineCommand({
  name: 'diff',
  usage: '<name> <from> <to> [--no-color] [options]',
  summary: 'Show what changed between two versions',
  description:
    'Shows a word-level diff of the template (per message for chat prompts), the config key by key and\n' +
    'the variables added or removed. Coloured when stdout is a terminal; --no-color turns it off.',
  positionals: { min: 3, max: 3 },
  examples: ['promptline diff support/triage 1 2', 'promptline diff support/triage 1 2 --json'],
  async run(input, ctx) {
    const [name = '', from = '', to = ''] = input.positionals;
    const diff = await ctx.api.diff(name, parsePositiveInt(from, 'from'), parsePositiveInt(to, 'to'));
    if (ctx.printJson(diff)) return;
    const text = formatDiff(diff, { color: ctx.color });
    ctx.out(text.endsWith('\n') ? text : `${text}\n`);
  },
});
