/** `promptline experiments start|list|results|stop`: A/B(/n) experiments over versions. */
import type { ExperimentResultsResponse } from '@promptline/core';
import { parseInteger, parsePositiveInt, parseVariants } from '../args.ts';
import { EXIT, UsageError } from '../errors.ts';
import { defineGroup } from '../kit.ts';
import { formatTable } from '../output.ts';

const num = (x: number | null | undefined, digits = 4) =>
  x === null || x === undefined ? '—' : x.toPrecision(digits);
const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);

function resultsText(r: ExperimentResultsResponse, color: boolean): string {
  const rows = r.variants.map((v) => [
    `v${v.version}${v.version === r.control ? ' (control)' : ''}`,
    `${v.weight / 100}%`,
    String(v.units),
    num(v.mean),
    v.ci ? `[${num(v.ci[0], 3)}, ${num(v.ci[1], 3)}]` : '—',
    v.lift ? `${num(v.lift.absolute, 3)} [${num(v.lift.ci[0], 3)}, ${num(v.lift.ci[1], 3)}]` : '—',
    pct(v.chanceToBeatControl),
  ]);
  return (
    `experiment #${r.id} (${r.status}) on ${r.metric}, ${r.from} → ${r.to}\n` +
    formatTable(['VARIANT', 'WEIGHT', 'UNITS', 'MEAN', 'CI', 'LIFT [CI]', 'P(BEATS CONTROL)'], rows, color) +
    `sample ratio: ${r.srm.ok ? 'ok' : 'MISMATCH'} (χ² ${num(r.srm.chiSquare)}, p = ${num(r.srm.pValue, 3)})\n` +
    `winner now: v${r.winner}\n`
  );
}

/** The `experiments` command group. */
export const experimentsCommand = defineGroup({
  name: 'experiments',
  summary: 'Start, list, read and stop A/B experiments',
  commands: {
    start: {
      name: 'experiments start',
      usage: '<name> --env <env> --variants <v:w,…> --metric <metric> [options]',
      summary: 'Deploy a split of versions and measure it per unit',
      options: {
        env: { type: 'string', value: '<env>', description: 'Environment, e.g. production' },
        variants: {
          type: 'string',
          value: '<v:w,…>',
          description: 'Versions and weights (basis points), e.g. 1:5000,2:5000',
        },
        metric: {
          type: 'string',
          value: '<metric>',
          description: 'errorRate, latency, costPerCall or score:<name>',
        },
        secondary: {
          type: 'string',
          value: '<metric>',
          multiple: true,
          description: 'Another metric to report',
        },
        control: {
          type: 'string',
          value: '<v>',
          description: 'Version compared with (default the one live before)',
        },
        'expected-units': {
          type: 'string',
          value: '<n>',
          description: 'Units per arm you expect (default 1000)',
        },
        reason: { type: 'string', value: '<text>', description: 'Why (kept in the history entry)' },
      },
      positionals: { min: 1, max: 1 },
      examples: [
        'promptline experiments start support/triage --env production --variants 1:5000,2:5000 --metric score:converted',
      ],
      async run(input, ctx) {
        const control = input.string('control');
        const expected = input.string('expected-units');
        const reason = input.string('reason');
        const experiment = await ctx.api.startExperiment(input.positionals[0] ?? '', {
          env: input.required('env'),
          variants: parseVariants(input.required('variants')),
          metric: input.required('metric'),
          secondary: input.list('secondary'),
          ...(control === undefined ? {} : { control: parsePositiveInt(control, '--control') }),
          ...(expected === undefined
            ? {}
            : { expectedUnitsPerArm: parseInteger(expected, '--expected-units') }),
          ...(reason === undefined ? {} : { reason }),
        });
        if (!ctx.printJson(experiment)) {
          ctx.out(
            `Started experiment #${experiment.id} on ${experiment.metric}: promptline experiments results ${experiment.id}\n`,
          );
        }
        return EXIT.ok;
      },
    },
    list: {
      name: 'experiments list',
      usage: '[--status running|stopped] [--prompt <name>] [options]',
      summary: 'Experiments, newest first',
      options: {
        status: { type: 'string', value: '<status>', description: 'running or stopped' },
        prompt: { type: 'string', value: '<name>', description: 'Only experiments of this prompt' },
      },
      positionals: { min: 0, max: 0 },
      examples: ['promptline experiments list --status running'],
      async run(input, ctx) {
        const { items } = await ctx.api.listExperiments({
          status: input.string('status'),
          prompt: input.string('prompt'),
        });
        if (ctx.printJson({ items })) return EXIT.ok;
        const rows = items.map((e) => [
          String(e.id),
          e.prompt,
          e.environment,
          e.variants.map((v) => `v${v.version}:${v.weight}`).join(','),
          e.metric,
          e.status,
          e.shipped === null ? '' : `v${e.shipped}`,
        ]);
        ctx.out(
          formatTable(['ID', 'PROMPT', 'ENV', 'SPLIT', 'METRIC', 'STATUS', 'SHIPPED'], rows, ctx.color),
        );
        return EXIT.ok;
      },
    },
    results: {
      name: 'experiments results',
      usage: '<id> [options]',
      summary: 'Per variant: units, mean, interval, lift, chance to beat control; the sample-ratio check',
      positionals: { min: 1, max: 1 },
      examples: ['promptline experiments results 4'],
      async run(input, ctx) {
        const r = await ctx.api.experimentResults(
          parsePositiveInt(input.positionals[0] ?? '', 'experiment id'),
        );
        if (!ctx.printJson(r)) ctx.out(resultsText(r, ctx.color));
        return EXIT.ok;
      },
    },
    stop: {
      name: 'experiments stop',
      usage: '<id> [--ship <version>|winner] [--reason <text>] [options]',
      summary: 'Stop measuring; --ship deploys that version (or the winner) through the environment gates',
      options: {
        ship: { type: 'string', value: '<v|winner>', description: 'Version to deploy alone, or winner' },
        reason: { type: 'string', value: '<text>', description: 'Why (kept in the history entry)' },
      },
      positionals: { min: 1, max: 1 },
      examples: ['promptline experiments stop 4 --ship winner'],
      async run(input, ctx) {
        const ship = input.string('ship');
        if (ship !== undefined && ship !== 'winner' && !/^\d+$/.test(ship)) {
          throw new UsageError(`--ship: "${ship}" is neither a version number nor winner`);
        }
        const reason = input.string('reason');
        const e = await ctx.api.stopExperiment(
          parsePositiveInt(input.positionals[0] ?? '', 'experiment id'),
          {
            ...(ship === undefined ? {} : { ship: ship === 'winner' ? 'winner' : Number(ship) }),
            ...(reason === undefined ? {} : { reason }),
          },
        );
        if (!ctx.printJson(e)) {
          ctx.out(
            `Experiment #${e.id} stopped${e.shipped === null ? '; the split stays live' : `; v${e.shipped} is live alone`}\n`,
          );
        }
        return EXIT.ok;
      },
    },
  },
});
