/** `promptline alerts list|show|create|update|delete`: alert rules and their state transitions. */
import type { AlertCondition, AlertRule, AlertRuleDetail } from '@promptline/core';
import { checkedBody, parseInteger, parsePositiveInt } from '../args.ts';
import { UsageError } from '../errors.ts';
import { defineGroup, type Input, type OptionSpec } from '../kit.ts';
import { formatTable } from '../output.ts';

const METRICS =
  'errorRate, latencyP50, latencyP95, latencyP99, costPerCall, costPerDay, scoreMean, volume, contractViolationRate';

/** The options create and update share: what a rule measures and when it fires. */
const ruleOptions: Record<string, OptionSpec> = {
  metric: { type: 'string', value: '<metric>', description: `What is measured: ${METRICS}` },
  score: { type: 'string', value: '<name>', description: 'The score whose mean scoreMean watches' },
  above: { type: 'string', value: '<value>', description: 'Fire when the value goes above this' },
  below: { type: 'string', value: '<value>', description: 'Fire when the value goes below this' },
  increase: {
    type: 'string',
    value: '<percent>',
    description: 'Fire when the value rose by more than this % against the previous window',
  },
  decrease: {
    type: 'string',
    value: '<percent>',
    description: 'Fire when the value fell by more than this % against the previous window',
  },
  resolve: {
    type: 'string',
    value: '<level>',
    description:
      'Resolve at this value (--above/--below; default 10 % inside) or under this % (--increase/--decrease; default half)',
  },
  window: {
    type: 'string',
    value: '<minutes>',
    description: 'Window length, 1 to 10080 minutes (default 15)',
  },
  'min-samples': {
    type: 'string',
    value: '<n>',
    description: 'Fewer observations in a window decide nothing (default 20)',
  },
};

/** Which flag set each field of a rule, for the errors of the server's schema. */
const FLAG_OF: Record<string, string> = {
  name: 'the name',
  prompt: '--prompt',
  version: '--version',
  environment: '--env',
  metric: '--metric',
  score: '--score',
  windowMinutes: '--window',
  minSamples: '--min-samples',
  condition: '--above, --below, --increase or --decrease',
  'condition.value': '--above/--below',
  'condition.percent': '--increase/--decrease',
  'condition.resolveAt': '--resolve',
  'condition.resolvePercent': '--resolve',
};

function parseNumber(value: string, flag: string): number {
  const number = Number(value.replace(/%$/, ''));
  if (value.trim() === '' || !Number.isFinite(number)) {
    throw new UsageError(`${flag} takes a number, got "${value}"`);
  }
  return number;
}

/** The condition from --above/--below/--increase/--decrease (at most one) and --resolve. */
function conditionOf(input: Input): AlertCondition | undefined {
  const given = (['above', 'below', 'increase', 'decrease'] as const).filter(
    (f) => input.string(f) !== undefined,
  );
  const resolve = input.string('resolve');
  if (given.length > 1) {
    throw new UsageError(
      `give one of --above, --below, --increase, --decrease (got --${given.join(' and --')})`,
    );
  }
  const [kind] = given;
  if (kind === undefined) {
    if (resolve !== undefined)
      throw new UsageError('--resolve goes with --above, --below, --increase or --decrease');
    return undefined;
  }
  const amount = parseNumber(input.string(kind) ?? '', `--${kind}`);
  const level = resolve === undefined ? undefined : parseNumber(resolve, '--resolve');
  if (kind === 'above' || kind === 'below') {
    return {
      type: 'threshold',
      operator: kind === 'above' ? 'gt' : 'lt',
      value: amount,
      ...(level === undefined ? {} : { resolveAt: level }),
    };
  }
  return {
    type: 'change',
    direction: kind,
    percent: amount,
    ...(level === undefined ? {} : { resolvePercent: level }),
  };
}

/** The fields create and update share, from the flags given (absent flags left out). */
function fieldsOf(input: Input) {
  const window = input.string('window');
  const minSamples = input.string('min-samples');
  const condition = conditionOf(input);
  return {
    ...(input.string('metric') === undefined ? {} : { metric: input.string('metric') }),
    ...(input.string('score') === undefined ? {} : { score: input.string('score') }),
    ...(window === undefined ? {} : { windowMinutes: parseInteger(window, '--window') }),
    ...(minSamples === undefined ? {} : { minSamples: parseInteger(minSamples, '--min-samples') }),
    ...(condition === undefined ? {} : { condition }),
  };
}

/** The condition in words, as the events say it: `> 0.05`, `+50 %`. */
function describeCondition(c: AlertCondition): string {
  if (c.type === 'threshold') {
    const resolve =
      c.resolveAt === undefined ? '' : ` (resolves ${c.operator === 'gt' ? '≤' : '≥'} ${c.resolveAt})`;
    return `${c.operator === 'gt' ? '>' : '<'} ${c.value}${resolve}`;
  }
  const resolve = c.resolvePercent === undefined ? '' : ` (resolves ≤ ${c.resolvePercent} %)`;
  return `${c.direction === 'increase' ? '+' : '-'}${c.percent} %${resolve}`;
}

function scopeOf(r: AlertRule): string {
  if (r.prompt === null) return r.environment === null ? 'project' : `project in ${r.environment}`;
  const what = r.version === null ? r.prompt : `${r.prompt} v${r.version}`;
  return r.environment === null ? what : `${what} in ${r.environment}`;
}

const metricOf = (r: AlertRule) => (r.score === null ? r.metric : `${r.metric}(${r.score})`);
const value = (v: number | null) => (v === null ? '-' : String(Number(v.toPrecision(6))));

function describe(r: AlertRule | AlertRuleDetail, color: boolean): string {
  const lines = [
    `alert #${r.id} "${r.name}": ${r.state} since ${r.stateSince}${r.enabled ? '' : ' (disabled)'}`,
    `watches: ${metricOf(r)} of ${scopeOf(r)} over ${r.windowMinutes} min, fires at ${describeCondition(r.condition)}, needs ${r.minSamples} samples`,
    r.lastEvaluatedAt === null
      ? 'last value: - (never evaluated)'
      : `last value: ${r.lastValue === null ? '- (too few samples)' : value(r.lastValue)} at ${r.lastEvaluatedAt}`,
  ];
  let text = `${lines.join('\n')}\n`;
  if ('transitions' in r) {
    text +=
      r.transitions.length === 0
        ? 'No transitions yet.\n'
        : `\n${formatTable(
            ['AT', 'FROM', 'TO', 'VALUE', 'BASELINE', 'SAMPLES'],
            r.transitions.map((t) => [
              t.at,
              t.from,
              t.to,
              value(t.value),
              value(t.baseline),
              String(t.samples),
            ]),
            color,
          )}`;
  }
  return text;
}

/** The create and update schemas, loaded by them only (list and show do not need zod). */
const loadSchemas = () => import('@promptline/core');

/** The `alerts` command group. */
export const alertsCommand = defineGroup({
  name: 'alerts',
  summary: 'List, show, create, update and delete alert rules (see docs/alerts.md)',
  commands: {
    list: {
      name: 'alerts list',
      usage: '[options]',
      summary: 'The alert rules with their state and last value',
      positionals: { min: 0, max: 0 },
      examples: ['promptline alerts list', 'promptline alerts list --json'],
      async run(_input, ctx) {
        const { items } = await ctx.api.listAlerts();
        if (ctx.printJson({ items })) return;
        const rows = items.map((r) => [
          String(r.id),
          r.name,
          metricOf(r),
          scopeOf(r),
          `${describeCondition(r.condition)} over ${r.windowMinutes}m`,
          r.enabled ? r.state : `${r.state} (off)`,
          value(r.lastValue),
        ]);
        ctx.out(
          formatTable(['ID', 'NAME', 'METRIC', 'SCOPE', 'CONDITION', 'STATE', 'LAST VALUE'], rows, ctx.color),
        );
      },
    },
    show: {
      name: 'alerts show',
      usage: '<id> [options]',
      summary: 'One alert rule with its state transitions (fired, resolved), newest first',
      positionals: { min: 1, max: 1 },
      examples: ['promptline alerts show 3'],
      async run(input, ctx) {
        const rule = await ctx.api.getAlert(parsePositiveInt(input.positionals[0] ?? '', 'the id'));
        if (ctx.printJson(rule)) return;
        ctx.out(describe(rule, ctx.color));
      },
    },
    create: {
      name: 'alerts create',
      usage:
        '<name> --metric <metric> --above|--below <value> | --increase|--decrease <percent> [--prompt p [--version n]] [--env e] [--window min] [options]',
      summary: 'Watch a metric of the project, a prompt or a version over a window',
      options: {
        ...ruleOptions,
        prompt: {
          type: 'string',
          value: '<prompt>',
          description: 'Only this prompt (default: the whole project)',
        },
        version: { type: 'string', value: '<n>', description: 'Only this version of --prompt' },
        env: { type: 'string', value: '<env>', description: 'Only this environment (default: all)' },
        disabled: { type: 'boolean', description: 'Create it switched off' },
      },
      positionals: { min: 1, max: 1 },
      examples: [
        'promptline alerts create "triage errors" --prompt support/triage --env production --metric errorRate --above 0.05 --min-samples 50',
        'promptline alerts create "volume drop" --metric volume --decrease 50 --window 60',
        'promptline alerts create "helpfulness" --prompt support/triage --metric scoreMean --score helpfulness --below 0.7',
      ],
      async run(input, ctx) {
        if (input.string('metric') === undefined)
          throw new UsageError(`--metric is required: one of ${METRICS}`);
        if (conditionOf(input) === undefined) {
          throw new UsageError(
            'give when it fires: --above <value>, --below <value>, --increase <%> or --decrease <%>',
          );
        }
        const version = input.string('version');
        const { CreateAlertRuleRequest } = await loadSchemas();
        const body = checkedBody(CreateAlertRuleRequest, FLAG_OF, {
          name: input.positionals[0],
          ...(input.string('prompt') === undefined ? {} : { prompt: input.string('prompt') }),
          ...(version === undefined ? {} : { version: parsePositiveInt(version, '--version') }),
          ...(input.string('env') === undefined ? {} : { environment: input.string('env') }),
          ...fieldsOf(input),
          ...(input.flag('disabled') ? { enabled: false } : {}),
        });
        const rule = await ctx.api.createAlert(body);
        if (ctx.printJson(rule)) return;
        ctx.out(
          `Created alert #${rule.id} "${rule.name}": ${metricOf(rule)} of ${scopeOf(rule)} ${describeCondition(rule.condition)} over ${rule.windowMinutes} min\n`,
        );
      },
    },
    update: {
      name: 'alerts update',
      usage:
        '<id> [--name n] [--metric m] [--above|--below|--increase|--decrease x] [--enable | --disable] [options]',
      summary: 'Change a rule (the flags given replace those fields; the scope stays)',
      options: {
        ...ruleOptions,
        name: { type: 'string', value: '<name>', description: 'A new name' },
        enable: { type: 'boolean', description: 'Switch it on' },
        disable: { type: 'boolean', description: 'Switch it off' },
      },
      positionals: { min: 1, max: 1 },
      examples: [
        'promptline alerts update 3 --above 0.1 --window 30',
        'promptline alerts update 3 --disable',
      ],
      async run(input, ctx) {
        const id = parsePositiveInt(input.positionals[0] ?? '', 'the id');
        if (input.flag('enable') && input.flag('disable'))
          throw new UsageError('give --enable or --disable, not both');
        const { UpdateAlertRuleRequest } = await loadSchemas();
        const body = checkedBody(
          UpdateAlertRuleRequest,
          { ...FLAG_OF, name: '--name' },
          {
            ...(input.string('name') === undefined ? {} : { name: input.string('name') }),
            ...fieldsOf(input),
            ...(input.flag('enable') ? { enabled: true } : {}),
            ...(input.flag('disable') ? { enabled: false } : {}),
          },
        );
        if (Object.keys(body).length === 0) {
          throw new UsageError(
            'nothing to change: give --name, --metric, --score, --above, --below, --increase, --decrease, --window, --min-samples, --enable or --disable (see --help)',
          );
        }
        const rule = await ctx.api.updateAlert(id, body);
        if (ctx.printJson(rule)) return;
        ctx.out(describe(rule, ctx.color));
      },
    },
    delete: {
      name: 'alerts delete',
      usage: '<id> [options]',
      summary: 'Delete an alert rule and its transitions',
      positionals: { min: 1, max: 1 },
      examples: ['promptline alerts delete 3'],
      async run(input, ctx) {
        const id = parsePositiveInt(input.positionals[0] ?? '', 'the id');
        await ctx.api.deleteAlert(id);
        if (!ctx.printJson({ deleted: id })) ctx.out(`Deleted alert #${id}\n`);
      },
    },
  },
});
