/**
 * `promptline redteam <prompt|config>`: attacks a prompt offline with the shipped plugins and
 * strategies and fails (exit 1) on a finding at or above `--fail-on`.
 */
import { isAppError } from '@promptline/core';
import { DEFAULT_URL, defineCommand } from '../kit.ts';

export const redteamCommand = defineCommand({
  name: 'redteam',
  usage: '<prompt|config> [--provider <p>] [-o <file>] [--fail-on <severity>] [options]',
  summary:
    'Attack a prompt offline (prompt leaks, injection, jailbreaks, PII, harmful content…); exit 1 on findings',
  description:
    'Attacks a prompt with the shipped red-team plugins and strategies, grades every answer with\n' +
    'deterministic detectors (a canary planted in a copy of the prompt, codes the attacks ask for,\n' +
    'PII and secret patterns, refusal detection) and an optional LLM judge, and exits 1 when a\n' +
    'finding is at or above --fail-on. <prompt|config> is a .prompt file, an eval config\n' +
    '(promptline.eval.yaml or promptfooconfig.yaml, with an optional `redteam` block), or the name\n' +
    'of a registry prompt on $PROMPTLINE_URL. The model is --provider, else the prompt’s own.',
  positionals: { min: 0, max: 1 },
  options: {
    provider: {
      type: 'string',
      value: '<p>',
      description: 'Model to attack, e.g. openai:chat:gpt-4.1-mini or mock (default: the prompt’s config)',
    },
    output: {
      type: 'string',
      short: 'o',
      multiple: true,
      value: '<file>',
      description: 'Write the report: .json, .xml (JUnit), .md or .html',
    },
    'fail-on': {
      type: 'string',
      value: '<severity>',
      description: 'Exit 1 on a finding at or above: low, medium, high (default), critical',
    },
    plugins: {
      type: 'string',
      multiple: true,
      value: '<ids>',
      description: 'Plugins to run, comma-separated (`harmful` = all harmful:*; default: all)',
    },
    strategies: {
      type: 'string',
      multiple: true,
      value: '<ids>',
      description: 'Strategies, comma-separated, or all, or none (default: the default set)',
    },
    'inject-var': {
      type: 'string',
      value: '<name>',
      description: 'Variable the attacks go into (default: the input-like one)',
    },
    judge: {
      type: 'string',
      value: '<p>',
      description: 'LLM judge confirming heuristic findings (harmful answers)',
    },
    attacker: {
      type: 'string',
      value: '<p>',
      description: 'Attacker model writing more attacks per plugin (besides the shipped ones)',
    },
    attacks: {
      type: 'string',
      value: '<n>',
      description: 'Attacks the attacker writes per plugin (default 3)',
    },
    purpose: { type: 'string', value: '<text>', description: 'What the prompt is for, told to the attacker' },
    'max-concurrency': { type: 'string', value: '<n>', description: 'Probes in flight at once (default 4)' },
    version: {
      type: 'string',
      value: '<n>',
      description: 'Registry prompt: this version (default: the latest)',
    },
    env: {
      type: 'string',
      value: '<env>',
      description: 'Registry prompt: the version this environment serves',
    },
    list: { type: 'boolean', description: 'List the plugins and strategies and exit' },
  },
  examples: [
    'promptline redteam prompts/support/triage.prompt --provider mock -o redteam.html',
    'promptline redteam support/triage --env production --fail-on medium -o redteam.json',
    'promptline redteam promptfooconfig.yaml --strategies all -o results.xml',
  ],
  async run(input, context) {
    const { formatCatalogue, RedteamUsageError, runRedteamCli } = await import('../redteam/run.ts');
    if (input.flag('list')) {
      context.out(formatCatalogue());
      return 0;
    }
    const target = input.positionals[0];
    if (target === undefined) {
      context.err(
        'error: missing argument <prompt|config>\nUsage: promptline redteam <prompt|config> [--provider <p>] [-o <file>] [--fail-on <severity>]\n',
      );
      return 2;
    }
    const controller = new AbortController();
    const abort = () => controller.abort();
    process.once('SIGINT', abort);
    try {
      return await runRedteamCli(
        {
          target,
          provider: input.string('provider'),
          outputs: input.list('output'),
          failOn: input.string('fail-on') ?? 'high',
          plugins: input.list('plugins'),
          strategies: input.list('strategies'),
          injectVar: input.string('inject-var'),
          judge: input.string('judge'),
          attacker: input.string('attacker'),
          attacks: input.string('attacks'),
          purpose: input.string('purpose'),
          concurrency: input.string('max-concurrency'),
          version: input.string('version'),
          environment: input.string('env'),
          json: context.json,
        },
        {
          cwd: process.cwd(),
          env: context.env,
          server: {
            url: input.string('url') ?? (context.env.PROMPTLINE_URL || DEFAULT_URL),
            apiKey: input.string('api-key') ?? (context.env.PROMPTLINE_API_KEY || undefined),
          },
          out: context.out,
          err: context.err,
          signal: controller.signal,
        },
      );
    } catch (error) {
      if (error instanceof RedteamUsageError) {
        context.err(`error: ${error.message}\n`);
        return 2;
      }
      if (isAppError(error) && error.status < 500) {
        context.err(`Configuration error (${error.code}): ${error.message}\n`);
        return 2;
      }
      throw error;
    } finally {
      process.off('SIGINT', abort);
    }
  },
});
