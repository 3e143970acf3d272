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
    reason: reasonOption,
    force: forceOption,
  },
  positionals: { min: 1, max: 2 },
  examples: [
    'promptline deploy support/triage 2 --env production --reason "better routing"',
    'promptline deploy support/triage --variants 3:500,2:9500 --env production',
    'promptline deploy support/triage --env production --disable --reason "leaks PII"',
    'promptline deploy support/triage --env production --enable',
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
  return `${deployment.prompt} to ${deployment.environment}: now serving ${formatRelease(deployment)} (history #${deployment.historyId})`;
}
