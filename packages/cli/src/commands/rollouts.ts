/** `promptline rollouts start|list|show|pause|resume|advance|abort`: guarded rollouts. */
import type { Rollout, RolloutGuardrail, RolloutStep } from '@promptline/core';
import { parseInteger, parsePositiveInt } from '../args.ts';
import { EXIT, UsageError } from '../errors.ts';
import { type CommandSpec, defineGroup } from '../kit.ts';
import { formatTable } from '../output.ts';

/** `500:600,2500:600,10000:0` → steps (weight in basis points : seconds). */
export function parseSteps(value: string): RolloutStep[] {
  return value.split(',').map((part) => {
    const match = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(part);
    if (!match) {
      throw new UsageError(
        `--steps: "${part}" is not <weight>:<seconds> (weight in basis points, e.g. --steps 500:600,2500:600,10000:0)`,
      );
    }
    return { weight: Number(match[1]), durationSeconds: Number(match[2]) };
  });
}

/** `errorRate:0.05` → a guardrail. */
export function parseGuardrail(value: string): RolloutGuardrail {
  const at = value.lastIndexOf(':');
  const metric = value.slice(0, at);
  const max = Number(value.slice(at + 1));
  if (at <= 0 || !Number.isFinite(max) || max < 0) {
    throw new UsageError(
      `--guardrail: "${value}" is not <metric>:<maxRegression> (e.g. --guardrail errorRate:0.05 --guardrail score:helpful:0.1)`,
    );
  }
  return { metric, maxRegression: max };
}

function pct(weight: number): string {
  return `${weight / 100}%`;
}

function describe(r: Rollout): string {
  const lines = [
    `rollout #${r.id}: ${r.prompt} in ${r.environment}, v${r.candidate} against v${r.control}`,
    `status:  ${r.status}${r.reason ? ` (${r.reason})` : ''}`,
    `step:    ${r.step + 1} of ${r.steps.length} (${pct(r.currentStep.weight)} since ${r.currentStep.startedAt})`,
    `steps:   ${r.steps.map((s) => `${pct(s.weight)}/${s.durationSeconds}s`).join(' → ')}, min ${r.minSamples} samples per arm, on regression: ${r.onRegression}`,
    ...(r.guardrails.length === 0 ? ['guardrails: none'] : ['guardrails:']),
    ...r.guardrails.map((g) => `  ${g.metric} (max ${g.maxRegression}): ${g.verdict}: ${g.evidence}`),
    `last check: ${r.lastCheckAt ?? 'not yet'}`,
    'events:',
    ...r.events.map(
      (e) =>
        `  ${e.at} ${e.kind} (step ${e.step + 1}) by ${e.actor}: ${e.message}${e.historyId === null ? '' : ` [history ${e.historyId}]`}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

function action(name: 'pause' | 'resume' | 'advance' | 'abort', summary: string): CommandSpec {
  return {
    name: `rollouts ${name}`,
    usage: '<id> [--reason <text>] [options]',
    summary,
    options: { reason: { type: 'string', value: '<text>', description: 'Why (kept in the rollout events)' } },
    positionals: { min: 1, max: 1 },
    examples: [`promptline rollouts ${name} 3${name === 'advance' ? '' : ' --reason "watching p95"'}`],
    async run(input, ctx) {
      const id = parsePositiveInt(input.positionals[0] ?? '', 'rollout id');
      const rollout = await ctx.api.rolloutAction(id, name, input.string('reason'));
      if (!ctx.printJson(rollout)) ctx.out(describe(rollout));
      return EXIT.ok;
    },
  };
}

/** The `rollouts` command group. */
export const rolloutsCommand = defineGroup({
  name: 'rollouts',
  summary: 'Start, follow, pause, resume, advance and abort guarded rollouts',
  commands: {
    start: {
      name: 'rollouts start',
      usage: '<name> --env <env> --version <n> [--steps w:s,…] [--guardrail metric:max]… [options]',
      summary: 'Roll a version out in steps; it rolls back (or pauses) itself on a proven regression',
      options: {
        env: {
          type: 'string',
          value: '<env>',
          description: 'Environment; control is the version it serves now',
        },
        version: { type: 'string', value: '<n>', description: 'The candidate version' },
        steps: {
          type: 'string',
          value: '<w:s,…>',
          description: 'Steps as weight (basis points):seconds, default 500:600,2500:600,5000:600,10000:0',
        },
        guardrail: {
          type: 'string',
          value: '<metric:max>',
          multiple: true,
          description:
            'errorRate, contractViolationRate, latencyP95, costPerCall or score:<name>, with the tolerated regression (0.05 = 5%)',
        },
        'min-samples': {
          type: 'string',
          value: '<n>',
          description: 'Calls per arm before a step advances (default 100)',
        },
        'on-regression': {
          type: 'string',
          value: '<rollback|pause>',
          description: 'What a regression does (default rollback)',
        },
        reason: { type: 'string', value: '<text>', description: 'Why (kept in the history entry)' },
      },
      positionals: { min: 1, max: 1 },
      examples: [
        'promptline rollouts start support/triage --env production --version 4 --guardrail errorRate:0.05 --guardrail latencyP95:0.2',
        'promptline rollouts start support/triage --env production --version 4 --steps 1000:300,10000:0 --on-regression pause',
      ],
      async run(input, ctx) {
        const name = input.positionals[0] ?? '';
        const onRegression = input.string('on-regression') ?? 'rollback';
        if (onRegression !== 'rollback' && onRegression !== 'pause') {
          throw new UsageError(`--on-regression: "${onRegression}" is neither rollback nor pause`);
        }
        const steps = input.string('steps');
        const minSamples = input.string('min-samples');
        const reason = input.string('reason');
        const rollout = await ctx.api.startRollout(name, {
          env: input.required('env'),
          version: parsePositiveInt(input.required('version'), '--version'),
          guardrails: input.list('guardrail').map(parseGuardrail),
          onRegression,
          ...(steps === undefined ? {} : { steps: parseSteps(steps) }),
          ...(minSamples === undefined ? {} : { minSamples: parseInteger(minSamples, '--min-samples') }),
          ...(reason === undefined ? {} : { reason }),
        });
        if (!ctx.printJson(rollout)) ctx.out(describe(rollout));
        return EXIT.ok;
      },
    },
    list: {
      name: 'rollouts list',
      usage: '[--status <status>] [--prompt <name>] [options]',
      summary: 'Rollouts, newest first',
      options: {
        status: {
          type: 'string',
          value: '<status>',
          description: 'running, paused, completed, rolled_back or aborted',
        },
        prompt: { type: 'string', value: '<name>', description: 'Only rollouts of this prompt' },
      },
      positionals: { min: 0, max: 0 },
      examples: ['promptline rollouts list --status running'],
      async run(input, ctx) {
        const { items } = await ctx.api.listRollouts({
          status: input.string('status'),
          prompt: input.string('prompt'),
        });
        if (ctx.printJson({ items })) return EXIT.ok;
        const rows = items.map((r) => [
          String(r.id),
          r.prompt,
          r.environment,
          `v${r.candidate} vs v${r.control}`,
          r.status,
          `${r.step + 1}/${r.steps.length} (${pct(r.currentStep.weight)})`,
        ]);
        ctx.out(formatTable(['ID', 'PROMPT', 'ENV', 'VERSIONS', 'STATUS', 'STEP'], rows, ctx.color));
        return EXIT.ok;
      },
    },
    show: {
      name: 'rollouts show',
      usage: '<id> [options]',
      summary: 'One rollout: step, each guardrail with its evidence, events',
      positionals: { min: 1, max: 1 },
      examples: ['promptline rollouts show 3'],
      async run(input, ctx) {
        const rollout = await ctx.api.getRollout(parsePositiveInt(input.positionals[0] ?? '', 'rollout id'));
        if (!ctx.printJson(rollout)) ctx.out(describe(rollout));
        return EXIT.ok;
      },
    },
    pause: action('pause', 'Stop advancing; the current split stays live'),
    resume: action('resume', 'Go on from the current step'),
    advance: action('advance', 'Move to the next step now'),
    abort: action('abort', 'End the rollout and put control back live'),
  },
});
