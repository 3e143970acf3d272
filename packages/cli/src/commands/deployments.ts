/** `promptline deploy`, `rollback` and `history`: what an environment serves, and when it changed. */
import type { Deployment, DeployRequest, HistoryEntry, RollbackRequest } from '@promptline/core';
import { parsePositiveInt, parseVariants } from '../args.ts';
import { ApiError, UsageError } from '../errors.ts';
import { defineCommand } from '../kit.ts';
import { formatRelease, formatTable, oneLine } from '../output.ts';

const envOption = { type: 'string', value: '<env>', description: 'Environment, e.g. production' } as const;
const reasonOption = {
  type: 'string',
  value: '<text>',
  description: 'Why, recorded in the history',
} as const;
const forceOption = {
  type: 'boolean',
  description: 'Change it even if it breaks the partials other served prompts include (recorded)',
} as const;
const partialCheckHelp =
  "The server refuses a change that would break the environment's partials (a served prompt\n" +
  'including {{> name}} that the environment would not serve, or a cycle): DEPLOY_PARTIAL_MISSING,\n' +
  'DEPLOY_PARTIAL_CYCLE, naming what breaks. --force makes the change anyway; the history marks it.';

/** `promptline deploy <name> <version> --env <env>`, and the kill switch `--disable` / `--enable`. */
export const deployCommand = defineCommand({
  name: 'deploy',
  usage:
    '<name> (<version> | --variants <v:w,...> | --disable | --enable) --env <env> [--reason <text>] [options]',
  summary: 'Make an environment serve a version, or weighted variants; or switch its release off and on',
  description:
    'Makes the environment serve one version, or several with weights in basis points summing to\n' +
    '10000 (--variants 3:500,2:9500 sends 5% of units to v3 and 95% to v2; 3:5%,2:95% works too).\n' +
    '--disable is the kill switch: the environment keeps its release but resolves nothing for this\n' +
    'prompt (SDKs serve their fallback) until --enable. Alone they act on the current release; with a\n' +
    'version or --variants they deploy that release disabled or enabled.\n' +
    'Every change is appended to the environment history.\n' +
    partialCheckHelp,
  options: {
    env: envOption,
    variants: {
      type: 'string',
      value: '<v:w,...>',
      description: 'Weighted variants: version:weight pairs',
    },
    disable: { type: 'boolean', description: 'Kill switch: stop serving the release' },
    enable: { type: 'boolean', description: 'Serve the release again after --disable' },
    rule: {
      type: 'string',
      value: '<json>',
      description:
        'Targeting rule(s) tried before the split: a JSON rule or array of rules (docs/targeting.md)',
    },
    pin: { type: 'string', value: '<unit=v,...>', description: 'Pin units to versions: unit=version pairs' },
    'clear-targeting': { type: 'boolean', description: 'Remove the live rules and pins' },
    at: {
      type: 'string',
      value: '<time>',
      description: 'Schedule the release to go live at this ISO-8601 time instead of now',
    },
    reason: reasonOption,
    force: forceOption,
  },
  positionals: { min: 1, max: 2 },
  examples: [
    'promptline deploy support/triage 2 --env production --reason "better routing"',
    'promptline deploy support/triage --variants 3:500,2:9500 --env production',
    'promptline deploy support/triage --env production --disable --reason "leaks PII"',
    'promptline deploy support/triage --env production --enable',
    `promptline deploy support/triage 3 --env production --rule '{"when":{"attribute":"plan","op":"eq","value":"enterprise"},"version":4}' --pin user-42=2`,
  ],
  async run(input, ctx) {
    const [name = '', version] = input.positionals;
    const env = input.required('env');
    const variants = input.string('variants');
    const reason = input.string('reason');
    const disable = input.flag('disable');
    const enable = input.flag('enable');
    if (disable && enable) throw new UsageError('give either --disable or --enable, not both');
    const enabled = disable ? false : enable ? true : undefined;
    let request: DeployRequest;
    if (variants !== undefined) {
      if (version !== undefined) throw new UsageError('give either a version or --variants, not both');
      request = { variants: parseVariants(variants) };
    } else if (version !== undefined) {
      request = { version: parsePositiveInt(version, 'version') };
    } else if (enabled !== undefined) {
      // The API switches a release by deploying it again with `enabled`, so send what is live now.
      // A deploy landing between this read and the PUT would be replaced; the history shows both.
      const current = await ctx.api.getDeployment(name, env);
      request = { variants: current.variants };
    } else {
      throw new UsageError('missing the version to deploy (or --variants, --disable, --enable)');
    }
    if (enabled !== undefined) request.enabled = enabled;
    if (reason !== undefined) request.reason = reason;
    if (input.flag('force')) request.force = true;
    const targeting = await targetingOf(
      input.string('rule'),
      input.string('pin'),
      input.flag('clear-targeting'),
    );
    if (targeting !== undefined) request.targeting = targeting;
    const at = input.string('at');
    if (at !== undefined) {
      if (Number.isNaN(Date.parse(at)) || !/^\d{4}-\d{2}-\d{2}T/.test(at))
        throw new UsageError(`--at takes an ISO-8601 time, e.g. --at 2026-12-01T09:00:00Z (got "${at}")`);
      const scheduled = await ctx.api.scheduleDeploy(name, env, { ...request, at });
      if (!ctx.printJson(scheduled)) {
        ctx.out(
          `Scheduled release #${scheduled.id} of ${name} to ${env} at ${scheduled.at} (GET /api/v1/scheduled-releases to follow it)\n`,
        );
      }
      return;
    }
    let deployment: Deployment;
    try {
      deployment = await ctx.api.deploy(name, env, request);
    } catch (error) {
      // The environment's policy wants approvals: ask for the deploy instead of failing.
      if (!(error instanceof ApiError) || error.code !== 'APPROVAL_REQUIRED') throw error;
      if (reason === undefined) {
        throw new UsageError(
          `${env} needs approvals before a deploy; add --reason <text> and this command opens a deployment request`,
        );
      }
      const opened = await ctx.api.requestDeploy(name, env, { ...request, reason });
      if (!ctx.printJson(opened)) {
        ctx.out(
          `Opened deployment request #${opened.id} (${opened.requiredApprovals} approval(s) needed): promptline requests show ${opened.id}\n`,
        );
      }
      return;
    }
    if (ctx.printJson(deployment)) return;
    if (variants !== undefined || version !== undefined) {
      ctx.out(`Deployed ${describe(deployment)}\n`);
    } else if (deployment.enabled) {
      ctx.out(
        `Enabled ${deployment.prompt} in ${deployment.environment}: serving ${formatRelease(deployment)} again (history #${deployment.historyId})\n`,
      );
    } else {
      ctx.out(
        `Disabled ${deployment.prompt} in ${deployment.environment}: ${formatRelease(deployment)} resolves nothing until \`--enable\` (history #${deployment.historyId})\n`,
      );
    }
  },
});

/**
 * The `targeting` of a deploy from `--rule` (JSON), `--pin unit=v,…` and `--clear-targeting`;
 * undefined when none is given (the server keeps the live targeting). Given, they replace it.
 */
async function targetingOf(
  rule: string | undefined,
  pin: string | undefined,
  clear: boolean,
): Promise<DeployRequest['targeting'] | undefined> {
  if (clear) {
    if (rule !== undefined || pin !== undefined)
      throw new UsageError('give --clear-targeting alone, or --rule/--pin to replace the targeting');
    return {};
  }
  if (rule === undefined && pin === undefined) return undefined;
  const targeting: NonNullable<DeployRequest['targeting']> = {};
  if (rule !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rule);
    } catch {
      throw new UsageError(
        `--rule is not JSON: give e.g. --rule '{"when":{"attribute":"plan","op":"eq","value":"pro"},"version":3}'`,
      );
    }
    const list = Array.isArray(parsed) ? parsed : [parsed];
    // Loaded only for --rule: a plain deploy does not load zod and the schemas.
    const { TargetingRule } = await import('@promptline/core/targeting-schema');
    targeting.rules = list.map((r, i) => {
      const checked = TargetingRule.safeParse(r);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        throw new UsageError(
          `--rule ${i}: ${issue?.path.join('.') || 'rule'}: ${issue?.message ?? 'invalid'} (a rule is {"when": <condition>, "version": <n>}; see docs/targeting.md)`,
        );
      }
      return checked.data;
    });
  }
  if (pin !== undefined) {
    targeting.pins = pin.split(',').map((pair) => {
      const at = pair.lastIndexOf('=');
      if (at <= 0)
        throw new UsageError(`--pin takes unit=version pairs, e.g. --pin user-42=2 (got "${pair}")`);
      return { unit: pair.slice(0, at), version: parsePositiveInt(pair.slice(at + 1), '--pin version') };
    });
  }
  return targeting;
}

/** `promptline rollback <name> --env <env>`. */
export const rollbackCommand = defineCommand({
  name: 'rollback',
  usage: '<name> --env <env> [--to <history id>] [--reason <text>] [options]',
  summary: 'Restore the release that was live before the current one',
  description:
    'Restores the release that was live before the current one; a second rollback goes one step\n' +
    'further back. --to restores the release of a chosen history entry (ids from `promptline history`).\n' +
    'A rollback is refused only when it would break another served prompt that includes this one;\n' +
    '--force rolls back anyway (the history marks it).',
  options: {
    env: envOption,
    to: { type: 'string', value: '<id>', description: 'History entry whose release to restore' },
    reason: reasonOption,
    force: forceOption,
  },
  positionals: { min: 1, max: 1 },
  examples: [
    'promptline rollback support/triage --env production --reason "v3 misroutes refunds"',
    'promptline rollback support/triage --env production --to 4',
  ],
  async run(input, ctx) {
    const name = input.positionals[0] ?? '';
    const env = input.required('env');
    const request: RollbackRequest = {};
    const to = input.string('to');
    const reason = input.string('reason');
    if (to !== undefined) request.to = parsePositiveInt(to, '--to');
    if (reason !== undefined) request.reason = reason;
    if (input.flag('force')) request.force = true;
    const deployment = await ctx.api.rollback(name, env, request);
    if (ctx.printJson(deployment)) return;
    ctx.out(
      `Rolled back ${deployment.prompt} in ${deployment.environment}: now serving ${formatRelease(deployment)} (history #${deployment.historyId})\n`,
    );
  },
});

/** `promptline history <name> --env <env> [--at <time>]`. */
export const historyCommand = defineCommand({
  name: 'history',
  usage: '<name> --env <env> [--at <ISO time>] [options]',
  summary: 'Show every deploy and rollback of a prompt in an environment',
  description:
    'Lists the append-only deployment history. With --at, shows only the entry that was live at that\n' +
    'instant: what the environment served for this prompt then.',
  options: {
    env: envOption,
    at: { type: 'string', value: '<time>', description: 'ISO time, e.g. 2026-03-01T10:00:00Z' },
  },
  positionals: { min: 1, max: 1 },
  examples: [
    'promptline history support/triage --env production',
    'promptline history support/triage --env production --at 2026-03-01T10:00:00Z',
  ],
  async run(input, ctx) {
    const name = input.positionals[0] ?? '';
    const env = input.required('env');
    const at = input.string('at');
    if (at !== undefined && Number.isNaN(Date.parse(at))) {
      throw new UsageError(`--at must be an ISO time such as 2026-03-01T10:00:00Z, got "${at}"`);
    }
    const items = await ctx.api.history(name, env, at === undefined ? undefined : new Date(at).toISOString());
    if (ctx.printJson(at === undefined ? { items } : (items[0] ?? null))) return;
    if (items.length === 0) {
      ctx.out(
        at === undefined
          ? `${name} has never been deployed to ${env}.\n`
          : `Nothing of ${name} was live in ${env} at ${at}.\n`,
      );
      return;
    }
    ctx.out(formatHistory(items, ctx.color));
  },
});

/**
 * History entries as a table: id, time, action, release, previous release, actor, reason. A deploy
 * that only flipped the kill switch of the same release reads `disable` or `enable`; a disabled
 * release is marked `(disabled)`.
 */
export function formatHistory(items: HistoryEntry[], color = false): string {
  const rows = items.map((entry) => [
    String(entry.id),
    entry.at,
    actionLabel(entry),
    formatRelease(entry),
    entry.previous ? formatRelease(entry.previous) : '-',
    entry.actor,
    oneLine(entry.reason, 50),
  ]);
  return formatTable(['ID', 'AT', 'ACTION', 'SERVES', 'BEFORE', 'ACTOR', 'REASON'], rows, color);
}

function actionLabel(entry: HistoryEntry): string {
  const label = plainLabel(entry);
  return entry.forced ? `${label} (forced)` : label;
}

function plainLabel(entry: HistoryEntry): string {
  if (entry.action === 'rollback') {
    return entry.restoredFrom === null ? 'rollback' : `rollback→#${entry.restoredFrom}`;
  }
  const previous = entry.previous;
  const sameRelease =
    previous !== null && JSON.stringify(previous.variants) === JSON.stringify(entry.variants);
  if (sameRelease && previous.enabled !== entry.enabled) return entry.enabled ? 'enable' : 'disable';
  return 'deploy';
}

function describe(deployment: Deployment): string {
  const rules = deployment.targeting?.rules?.length ?? 0;
  const pins = deployment.targeting?.pins?.length ?? 0;
  const targeting = rules + pins === 0 ? '' : ` after ${rules} rule(s) and ${pins} pin(s)`;
  return `${deployment.prompt} to ${deployment.environment}: now serving ${formatRelease(deployment)}${targeting} (history #${deployment.historyId})`;
}
