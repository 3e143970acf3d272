/**
 * `promptline redteam <prompt|config>`: attacks a prompt offline with the shipped plugins and
 * strategies and fails (exit 1) on a finding at or above `--fail-on`.
 */
import { isAppError } from '@promptline/core/errors';
import { UsageError } from '../errors.ts';
import { type Context, DEFAULT_URL, defineCommand, type Input } from '../kit.ts';
import { formatTable } from '../output.ts';

/** `promptline redteam runs list <prompt>` and `runs show <id>`: runs stored on the server. */
async function runsCommand(input: Input, ctx: Context): Promise<number> {
  const [, sub, arg] = input.positionals;
  if (sub === 'list') {
    if (arg === undefined)
      throw new UsageError('usage: promptline redteam runs list <prompt> [--version <n>]');
    const version = input.string('version');
    const page = await ctx.api.listRedteamRuns(arg, {
      version: version === undefined ? undefined : Number(version),
    });
    if (ctx.printJson(page)) return 0;
    const rows = page.items.map((r) => [
      String(r.id),
      `v${r.version}`,
      r.source,
      r.status,
      r.passed === null ? '-' : r.passed ? 'passed' : 'failed',
      `${r.bySeverity.critical}/${r.bySeverity.high}/${r.bySeverity.medium}/${r.bySeverity.low}`,
      r.provider,
      r.createdAt,
    ]);
    ctx.out(
      formatTable(
        ['ID', 'VERSION', 'SOURCE', 'STATUS', 'VERDICT', 'C/H/M/L', 'MODEL', 'CREATED'],
        rows,
        ctx.color,
      ),
    );
    return 0;
  }
  if (sub === 'show') {
    const id = Number(arg);
    if (!Number.isInteger(id) || id < 1)
      throw new UsageError(
        'usage: promptline redteam runs show <id> (a run id from promptline redteam runs list <prompt>)',
      );
    const run = await ctx.api.getRedteamRun(id);
    if (ctx.printJson(run)) return 0;
    const lines = [
      `Red-team run ${run.id} of ${run.prompt} v${run.version} (${run.source}) against ${run.provider}: ${run.status}`,
      `  progress: ${run.progress.done}/${run.progress.total} probes, ${run.progress.errors} errors`,
      `  findings: critical ${run.bySeverity.critical}, high ${run.bySeverity.high}, medium ${run.bySeverity.medium}, low ${run.bySeverity.low}`,
      ...Object.entries(run.byOwasp).map(([owasp, e]) => `  ${owasp} ${e.title}: ${e.findings}`),
      ...(run.worst
        ? [`  worst: ${run.worst.severity} ${run.worst.plugin} (${run.worst.owasp}): ${run.worst.evidence}`]
        : []),
      run.passed === null
        ? `  verdict: none yet${run.error ? ` (${run.error})` : ''}`
        : `  verdict: ${run.passed ? 'PASSED' : 'FAILED'} at ${run.failOn} and above`,
    ];
    ctx.out(`${lines.join('\n')}\n`);
    return 0;
  }
  throw new UsageError('usage: promptline redteam runs list <prompt> | promptline redteam runs show <id>');
}

export const redteamCommand = defineCommand({
  name: 'redteam',
  usage:
    '<prompt|config> [--provider <p>] [-o <file>] [--fail-on <severity>] [--upload] [options] | runs list <prompt> | runs show <id>',
  summary:
    'Attack a prompt offline (prompt leaks, injection, jailbreaks, PII, harmful content…); exit 1 on findings',
  description:
    'Attacks a prompt with the shipped red-team plugins and strategies, grades every answer with\n' +
    'deterministic detectors (a canary planted in a copy of the prompt, codes the attacks ask for,\n' +
    'PII and secret patterns, refusal detection) and an optional LLM judge, and exits 1 when a\n' +
    'finding is at or above --fail-on. <prompt|config> is a .prompt file, an eval config\n' +
    '(promptline.eval.yaml or promptfooconfig.yaml, with an optional `redteam` block), or the name\n' +
    'of a registry prompt on $PROMPTLINE_URL. The model is --provider, else the prompt’s own.\n' +
    '--upload stores the report on the server as a run of that registry version, so it counts for\n' +
    'environments whose policy requires a red-team pass. `runs list <prompt>` and `runs show <id>`\n' +
    'read the runs stored there.',
  positionals: { min: 0, max: 3 },
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
    upload: {
      type: 'boolean',
      description:
        'Registry prompt: store the report on the server as a red-team run of the version attacked',
    },
  },
  examples: [
    'promptline redteam prompts/support/triage.prompt --provider mock -o redteam.html',
    'promptline redteam support/triage --env production --fail-on medium -o redteam.json',
    'promptline redteam promptfooconfig.yaml --strategies all -o results.xml',
    'promptline redteam support/triage --version 4 --upload',
    'promptline redteam runs list support/triage',
    'promptline redteam runs show 12',
  ],
  async run(input, context) {
    const { formatCatalogue, RedteamUsageError, runRedteamCli } = await import('../redteam/run.ts');
    if (input.flag('list')) {
      context.out(formatCatalogue());
      return 0;
    }
    if (input.positionals[0] === 'runs' && input.positionals.length > 1) return runsCommand(input, context);
    const target = input.positionals[0];
    if (input.positionals.length > 1) {
      context.err(
        `error: unexpected argument "${input.positionals[1]}"\nUsage: promptline redteam <prompt|config> [options] | runs list <prompt> | runs show <id>\n`,
      );
      return 2;
    }
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
          upload: input.flag('upload'),
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
          upload: (name, version, report) => context.api.uploadRedteamReport(name, version, report),
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
