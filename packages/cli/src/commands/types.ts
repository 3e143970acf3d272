/**
 * `promptline types generate`: TypeScript types of every prompt's variables, from the input
 * schemas its versions declare, so application code that renders them is checked at compile time.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { generateTypes, type TypedPrompt } from '@promptline/core';
import { defineGroup } from '../kit.ts';

export const typesCommand = defineGroup({
  name: 'types',
  summary: 'Generate TypeScript types of prompt variables from their input schemas',
  commands: {
    generate: {
      name: 'types generate',
      usage: '[-o <file>] [--env <env>] [--tag <tag>]',
      summary: 'Write PromptInputs (prompt name → variables type) for the SDK',
      description:
        'Writes a TypeScript file with `PromptInputs`, the variables of every prompt by name, from\n' +
        'the input schema (Picoschema or JSON Schema) of its latest version (or of the version --env\n' +
        'serves); a prompt without a schema gets its variable names typed `unknown`. Use it as\n' +
        "`const vars: InputsOf<'support/triage'> = { … }; prompt.render(vars)`.",
      positionals: { min: 0, max: 0 },
      options: {
        output: {
          type: 'string',
          short: 'o',
          value: '<file>',
          description: 'Write here instead of standard output',
        },
        env: {
          type: 'string',
          value: '<env>',
          description: 'Type the versions this environment serves (the heaviest variant)',
        },
        tag: { type: 'string', value: '<tag>', description: 'Only prompts with this tag' },
      },
      examples: [
        'promptline types generate -o src/prompts.generated.ts',
        'promptline types generate --env production -o src/prompts.generated.ts',
      ],
      async run(input, ctx) {
        const env = input.string('env');
        const { items } = await ctx.api.listPrompts({ tag: input.string('tag') });
        const typed: TypedPrompt[] = [];
        for (const prompt of items) {
          let number = prompt.latestVersion;
          if (env !== undefined) {
            const release = prompt.deployments?.[env];
            if (!release?.enabled) continue;
            number = [...release.variants].sort((a, b) => b.weight - a.weight)[0]?.version ?? null;
          }
          if (number === null) continue;
          const version = await ctx.api.getVersion(prompt.name, number);
          typed.push({
            name: prompt.name,
            version: version.number,
            schema: version.config.input?.schema,
            variables: version.variables,
          });
        }
        const text = generateTypes(typed);
        const output = input.string('output');
        if (output === undefined) {
          ctx.out(text);
          return;
        }
        await writeFile(resolve(output), text);
        const withSchema = typed.filter((t) => t.schema).length;
        ctx.err(`Wrote ${output}: ${typed.length} prompts (${withSchema} with an input schema)\n`);
      },
    },
  },
});
