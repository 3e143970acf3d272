/** `promptline promote <name> --from staging --to production`: the gates first, then the change. */
import type { Promotion } from '@promptline/core';
import { EXIT, UsageError } from '../errors.ts';
import { defineCommand } from '../kit.ts';

/** `90s`, `30m`, `1h`, `2d` → seconds. */
export function parseSoak(value: string): number {
  const match = /^(\d+)\s*(s|m|h|d)?$/.exec(value.trim());
  if (!match) throw new UsageError(`--min-soak: "${value}" is not a duration such as 30m, 1h or 2d`);
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

function gatesText(p: Promotion): string {
  const lines = p.gates.map((g) => `  ${g.ok ? 'pass' : 'FAIL'}  ${g.name.padEnd(10)} ${g.detail}`);
  return `Gates for ${p.prompt}${p.version === null ? '' : ` v${p.version}`}: ${p.from} → ${p.to}\n${lines.join('\n')}\n`;
}

export const promoteCommand = defineCommand({
  name: 'promote',
  usage: '<name> --from <env> --to <env> [--min-soak <duration>] [--dry-run] [--reason <text>] [options]',
  summary: 'Promote the version one environment serves to another, showing every gate before any change',
  description:
    'Gates: source (one enabled version served), soak (served at least --min-soak), guardrails (no\n' +
    'alert firing on it in the source, no rollout moving it) and target (its policy, eval gate and\n' +
    'partials, tried without committing). Prints them, then promotes only if all pass. Exit 1 when blocked.',
  options: {
    from: { type: 'string', value: '<env>', description: 'Source environment, e.g. staging' },
    to: { type: 'string', value: '<env>', description: 'Target environment, e.g. production' },
    'min-soak': {
      type: 'string',
      value: '<duration>',
      description: 'Least time live in the source: 30m, 1h, 2d',
    },
    'dry-run': { type: 'boolean', description: 'Show the gates and change nothing' },
    request: {
      type: 'boolean',
      description: 'Where the target needs approvals: open a deployment request instead of failing',
    },
    reason: { type: 'string', value: '<text>', description: 'Why, recorded in the history' },
  },
  positionals: { min: 1, max: 1 },
  examples: [
    'promptline promote support/triage --from staging --to production --min-soak 1h',
    'promptline promote support/triage --from staging --to production --dry-run',
  ],
  async run(input, ctx) {
    const name = input.positionals[0] ?? '';
    const soak = input.string('min-soak');
    const reason = input.string('reason');
    const request = {
      from: input.required('from'),
      to: input.required('to'),
      ...(soak === undefined ? {} : { minSoakSeconds: parseSoak(soak) }),
      ...(reason === undefined ? {} : { reason }),
    };
    const trial = await ctx.api.promote(name, { ...request, dryRun: true });
    // Approvals alone are no block when a request is asked for: the promotion opens it.
    const approvalsOnly = (g: { name: string; detail: string }) =>
      input.flag('request') && g.name === 'target' && g.detail.startsWith('APPROVAL_REQUIRED');
    const blocked = trial.gates.some((g) => !g.ok && !approvalsOnly(g)) || trial.version === null;
    if (input.flag('dry-run') || blocked) {
      if (!ctx.printJson(trial)) {
        ctx.out(gatesText(trial));
        if (blocked) ctx.err(`error PROMOTION_BLOCKED: a gate failed; nothing changed\n`);
      }
      return blocked ? EXIT.failure : EXIT.ok;
    }
    if (!ctx.json) ctx.out(gatesText(trial));
    const done = await ctx.api.promote(name, {
      ...request,
      ...(input.flag('request') ? { request: true } : {}),
    });
    if (!ctx.printJson(done)) {
      ctx.out(
        done.requestId !== null
          ? `${done.to} needs approvals: deployment request ${done.requestId} opened (promptline requests show ${done.requestId}).\n`
          : done.promoted
            ? `Promoted v${done.version} to ${done.to} (history entry ${done.historyId}).\n`
            : `${done.to} already serves v${done.version}; nothing changed.\n`,
      );
    }
    return EXIT.ok;
  },
});
