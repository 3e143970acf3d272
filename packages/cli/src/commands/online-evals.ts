/** `promptline online-evals list|create|show|update|delete`: online evaluations (docs/online-evals.md). */
import type { AssertionSpec, OnlineEvalJudge, OnlineEvalRule, OnlineEvalRuleDetail } from '@promptline/core';
import { checkedBody, parsePositiveInt } from '../args.ts';
import { UsageError } from '../errors.ts';
import type { OptionSpec } from '../kit.ts';
import { defineGroup, type Input } from '../kit.ts';
import { formatTable } from '../output.ts';

const ruleOptions: Record<string, OptionSpec> = {
  name: { type: 'string', value: '<name>', description: 'Rule name, the prefix of its score names' },
  env: { type: 'string', value: '<env>', description: 'Environment whose spans are sampled' },
  version: {
    type: 'string',
    value: '<n>',
    description: 'Only spans of this version (default: every version)',
  },
  rate: { type: 'string', value: '<0…1>', description: 'Share of the spans graded, e.g. 0.1' },
  assert: {
    type: 'string',
    multiple: true,
    value: '<json>',
    description: 'An assertion, repeatable: \'{"type":"contains","value":"Paris"}\'',
  },
  judge: {
    type: 'string',
    value: '<provider/model>',
    description: 'Judge of model-graded assertions, e.g. mock/judge',
  },
  budget: { type: 'string', value: '<usd>', description: 'Judge spend per UTC day (default 1)' },
};

function parseRate(value: string): number {
  const rate = Number(value);
  if (value.trim() === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new UsageError(`--rate takes a share from 0 to 1 (e.g. --rate 0.1), got "${value}"`);
  }
  return rate;
}

function parseBudget(value: string): number {
  const usd = Number(value);
  if (value.trim() === '' || !Number.isFinite(usd) || usd < 0) {
    throw new UsageError(`--budget takes US dollars per day (e.g. --budget 2.5), got "${value}"`);
  }
  return usd;
}

function parseJudge(value: string): OnlineEvalJudge {
  const at = value.indexOf('/');
  if (at <= 0 || at === value.length - 1) {
    throw new UsageError(
      `--judge takes <provider>/<model> (e.g. --judge mock/judge or --judge openai/gpt-4.1-mini), got "${value}"`,
    );
  }
  return { provider: value.slice(0, at), model: value.slice(at + 1) };
}

/** The schemas create and update check with, loaded by them only (the list does not need zod). */
type Schemas = typeof import('@promptline/core');
const loadSchemas = (): Promise<Schemas> => import('@promptline/core');

function parseAssertions(values: string[], { AssertionSpec }: Schemas): AssertionSpec[] {
  return values.map((text, i) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new UsageError(
        `--assert ${i + 1} is not JSON: give e.g. --assert '{"type":"contains","value":"Paris"}'`,
      );
    }
    const checked = AssertionSpec.safeParse(parsed);
    if (!checked.success) {
      throw new UsageError(
        `--assert ${i + 1} is not an assertion: it needs a "type" (e.g. {"type":"is-json"})`,
      );
    }
    return checked.data;
  });
}

/** The flags given, as rule fields (absent flags left out). */
function fieldsOf(input: Input, schemas: Schemas) {
  const version = input.string('version');
  const rate = input.string('rate');
  const budget = input.string('budget');
  const judge = input.string('judge');
  const asserts = input.list('assert');
  return {
    ...(input.string('name') === undefined ? {} : { name: input.string('name') }),
    ...(input.string('env') === undefined ? {} : { environment: input.string('env') }),
    ...(version === undefined ? {} : { version: parsePositiveInt(version, '--version') }),
    ...(rate === undefined ? {} : { samplingRate: parseRate(rate) }),
    ...(asserts.length === 0 ? {} : { assertions: parseAssertions(asserts, schemas) }),
    ...(judge === undefined ? {} : { judge: parseJudge(judge) }),
    ...(budget === undefined ? {} : { dailyBudgetUsd: parseBudget(budget) }),
  };
}

const FLAG_OF: Record<string, string> = {
  name: '--name',
  environment: '--env',
  version: '--version',
  samplingRate: '--rate',
  assertions: '--assert',
  judge: '--judge',
  dailyBudgetUsd: '--budget',
};

const money = (usd: number) => `$${usd.toFixed(usd < 1 ? 4 : 2)}`;

function rows(items: OnlineEvalRule[]): string[][] {
  return items.map((r) => [
    String(r.id),
    r.name,
    r.environment,
    r.version === null ? 'all' : `v${r.version}`,
    String(r.samplingRate),
    r.enabled ? 'on' : 'off',
    String(r.today.sampled),
    String(r.today.evaluated),
    String(r.today.failed),
    String(r.today.skippedBudget),
    `${money(r.today.costUsd)}/${money(r.dailyBudgetUsd)}`,
  ]);
}

const HEADERS = [
  'ID',
  'NAME',
  'ENV',
  'VERSION',
  'RATE',
  'ENABLED',
  'SAMPLED',
  'EVALUATED',
  'FAILED',
  'SKIPPED',
  'COST TODAY',
];

function describe(r: OnlineEvalRuleDetail | OnlineEvalRule): string {
  const lines = [
    `online eval #${r.id} "${r.name}" on ${r.prompt} in ${r.environment}${r.version === null ? '' : ` (v${r.version})`}: ${r.enabled ? 'enabled' : 'disabled'}`,
    `sampling: ${r.samplingRate}   judge: ${r.judge ? `${r.judge.provider}/${r.judge.model}` : 'none'}   budget: ${money(r.dailyBudgetUsd)} a day`,
    'assertions:',
    ...r.assertions.map((a) => `  ${JSON.stringify(a)}`),
    `today (${r.today.day}): sampled ${r.today.sampled}, evaluated ${r.today.evaluated}, errors ${r.today.errors}, failed ${r.today.failed}, skipped (budget) ${r.today.skippedBudget}, cost ${money(r.today.costUsd)}; waiting ${r.pending}`,
    `last error: ${r.lastError ? `${r.lastError.at} ${r.lastError.message}` : 'none'}`,
  ];
  if ('days' in r && r.days.length > 1) {
    lines.push('days:');
    for (const d of r.days) {
      lines.push(
        `  ${d.day}: sampled ${d.sampled}, evaluated ${d.evaluated}, failed ${d.failed}, skipped ${d.skippedBudget}, cost ${money(d.costUsd)}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The `online-evals` command group. */
export const onlineEvalsCommand = defineGroup({
  name: 'online-evals',
  summary: 'List, create, show, update and delete online evaluations of production spans',
  commands: {
    list: {
      name: 'online-evals list',
      usage: '<prompt> [options]',
      summary: "A prompt's online evaluations with today's counters",
      positionals: { min: 1, max: 1 },
      examples: ['promptline online-evals list support/triage'],
      async run(input, ctx) {
        const { items } = await ctx.api.listOnlineEvals(input.positionals[0] ?? '');
        if (ctx.printJson({ items })) return;
        ctx.out(formatTable(HEADERS, rows(items), ctx.color));
      },
    },
    create: {
      name: 'online-evals create',
      usage:
        '<prompt> --name <name> --env <env> --rate <0…1> --assert <json>… [--judge p/m] [--budget usd] [options]',
      summary: 'Sample a share of the prompt’s spans in an environment and grade them',
      options: { ...ruleOptions, disabled: { type: 'boolean', description: 'Create it switched off' } },
      positionals: { min: 1, max: 1 },
      examples: [
        `promptline online-evals create support/triage --name quality --env production --rate 0.1 --assert '{"type":"llm-rubric","value":"Routes the ticket to one team"}' --judge mock/judge --budget 2`,
        `promptline online-evals create support/triage --name json --env production --rate 1 --assert '{"type":"is-json"}'`,
      ],
      async run(input, ctx) {
        for (const [flag, key] of [
          ['--name', 'name'],
          ['--env', 'env'],
          ['--rate', 'rate'],
        ] as const) {
          if (input.string(key) === undefined) throw new UsageError(`${flag} is required`);
        }
        if (input.list('assert').length === 0) {
          throw new UsageError(
            `give at least one --assert, e.g. --assert '{"type":"contains","value":"Paris"}'`,
          );
        }
        const schemas = await loadSchemas();
        const body = checkedBody(schemas.CreateOnlineEvalRequest, FLAG_OF, {
          ...fieldsOf(input, schemas),
          ...(input.flag('disabled') ? { enabled: false } : {}),
        });
        const rule = await ctx.api.createOnlineEval(input.positionals[0] ?? '', body);
        if (ctx.printJson(rule)) return;
        ctx.out(
          `Created online eval #${rule.id} "${rule.name}": ${rule.samplingRate * 100}% of ${rule.prompt} in ${rule.environment}\n`,
        );
      },
    },
    show: {
      name: 'online-evals show',
      usage: '<id> [options]',
      summary: 'One online evaluation with its counters of the last 30 days',
      positionals: { min: 1, max: 1 },
      examples: ['promptline online-evals show 3'],
      async run(input, ctx) {
        const rule = await ctx.api.getOnlineEval(parsePositiveInt(input.positionals[0] ?? '', 'the id'));
        if (ctx.printJson(rule)) return;
        ctx.out(describe(rule));
      },
    },
    update: {
      name: 'online-evals update',
      usage:
        '<id> [--rate <0…1>] [--assert <json>…] [--judge p/m | --no-judge] [--budget usd] [--enable | --disable] [options]',
      summary: 'Change an online evaluation (the flags given replace those fields)',
      options: {
        ...ruleOptions,
        'all-versions': { type: 'boolean', description: 'Sample every version again (drops --version)' },
        'no-judge': { type: 'boolean', description: 'Remove the judge (only deterministic assertions left)' },
        enable: { type: 'boolean', description: 'Switch it on' },
        disable: { type: 'boolean', description: 'Switch it off' },
      },
      positionals: { min: 1, max: 1 },
      examples: [
        'promptline online-evals update 3 --rate 0.05 --budget 5',
        'promptline online-evals update 3 --disable',
      ],
      async run(input, ctx) {
        const id = parsePositiveInt(input.positionals[0] ?? '', 'the id');
        if (input.flag('enable') && input.flag('disable'))
          throw new UsageError('give --enable or --disable, not both');
        if (input.flag('no-judge') && input.string('judge') !== undefined) {
          throw new UsageError('give --judge <provider/model> or --no-judge, not both');
        }
        const schemas = await loadSchemas();
        const body = checkedBody(schemas.UpdateOnlineEvalRequest, FLAG_OF, {
          ...fieldsOf(input, schemas),
          ...(input.flag('all-versions') ? { version: null } : {}),
          ...(input.flag('no-judge') ? { judge: null } : {}),
          ...(input.flag('enable') ? { enabled: true } : {}),
          ...(input.flag('disable') ? { enabled: false } : {}),
        });
        if (Object.keys(body).length === 0) {
          throw new UsageError(
            'nothing to change: give --rate, --assert, --judge, --budget, --enable or --disable (see --help)',
          );
        }
        const rule = await ctx.api.updateOnlineEval(id, body);
        if (ctx.printJson(rule)) return;
        ctx.out(describe(rule));
      },
    },
    delete: {
      name: 'online-evals delete',
      usage: '<id> [options]',
      summary: 'Delete an online evaluation (its scores stay)',
      positionals: { min: 1, max: 1 },
      examples: ['promptline online-evals delete 3'],
      async run(input, ctx) {
        const id = parsePositiveInt(input.positionals[0] ?? '', 'the id');
        await ctx.api.deleteOnlineEval(id);
        if (!ctx.printJson({ deleted: id })) ctx.out(`Deleted online eval #${id}\n`);
      },
    },
  },
});
