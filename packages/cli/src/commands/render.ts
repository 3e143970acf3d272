/** `promptline render`: what a prompt says with these variables, as an environment serves it. */
import type { RenderRequest } from '@promptline/core';
import { parsePositiveInt, parseVariables, readVariablesFile } from '../args.ts';
import { UsageError } from '../errors.ts';
import { defineCommand } from '../kit.ts';
import { formatMessages } from '../output.ts';

/** `promptline render <name> (--env <env> | --version <n>) --var k=v ...`. */
export const renderCommand = defineCommand({
  name: 'render',
  usage:
    '<name> (--env <env> | --version <n>) [--var k=v]... [--vars-file f.json] [--unit <id>] [--no-strict]',
  summary: 'Render a prompt with variables, as an environment serves it or at a version',
  description:
    'Renders the version the environment serves (for --unit, the variant that unit is bucketed into)\n' +
    'or a given version. Prints the text, or a chat prompt as `role: content` blocks.\n' +
    '--var key=value sets a string, --var key:=<json> any JSON value (lists for sections, booleans),\n' +
    'and dotted keys build objects (--var user.name=Ann). --var values override --vars-file.\n' +
    'A missing variable is an error (TEMPLATE_VARIABLE_MISSING) unless --no-strict renders it empty.',
  options: {
    env: { type: 'string', value: '<env>', description: 'Environment whose release to render' },
    version: { type: 'string', value: '<n>', description: 'Version number to render instead' },
    var: {
      type: 'string',
      multiple: true,
      value: '<k=v>',
      description: 'A variable: key=value or key:=<json>',
    },
    'vars-file': { type: 'string', value: '<path>', description: 'JSON object of variables' },
    unit: { type: 'string', value: '<id>', description: 'Bucketing unit (user id) for weighted releases' },
    strict: {
      type: 'boolean',
      description: 'Fail on missing variables (default); --no-strict renders them empty',
    },
  },
  positionals: { min: 1, max: 1 },
  examples: [
    'promptline render support/triage --env production --var customer=Ann --var "ticket=Refund please"',
    'promptline render support/triage --version 2 --vars-file vars.json --var \'items:=["a","b"]\'',
  ],
  async run(input, ctx) {
    const name = input.positionals[0] ?? '';
    const env = input.string('env');
    const version = input.string('version');
    if ((env === undefined) === (version === undefined)) {
      throw new UsageError('give exactly one of --env <env> or --version <n>');
    }
    const varsFile = input.string('vars-file');
    const variables = parseVariables(input.list('var'), varsFile ? await readVariablesFile(varsFile) : {});
    const request: Partial<RenderRequest> = { variables, strict: input.flag('strict', true) };
    if (env !== undefined) request.env = env;
    if (version !== undefined) request.version = parsePositiveInt(version, '--version');
    const unit = input.string('unit');
    if (unit !== undefined) request.unit = unit;
    const result = await ctx.api.render(name, request);
    if (ctx.printJson(result)) return;
    const body = result.messages ? formatMessages(result.messages, ctx.color) : (result.text ?? '');
    ctx.out(body.endsWith('\n') ? body : `${body}\n`);
  },
});
