/**
 * Prompts as code: `promptline pull|push|status <dir>` keep a folder of `.prompt` files (and an
 * optional `promptline.deploy.yaml`) and the registry in step. `diff <dir>` is in diff.ts.
 */
import { mkdir } from 'node:fs/promises';
import { contentHash } from '@promptline/core/canonical';
import { promptFileOf, serializePromptFile } from '@promptline/core/prompt-file';
import { cliMessage } from '../advice.ts';
import { EXIT } from '../errors.ts';
import { type Context, defineCommand, type Input } from '../kit.ts';
import { paint } from '../output.ts';
import { applyPlan } from '../sync/apply.ts';
import {
  DEPLOY_FILE,
  type LocalPrompt,
  pathOf,
  readDeployFile,
  readFolder,
  writeAtomically,
} from '../sync/folder.ts';
import { loadRegistry, type Plan, planPush, unresolved } from '../sync/plan.ts';
import { formatPlan, planJson } from '../sync/report.ts';

const branchOption = {
  branch: {
    type: 'string',
    value: '<branch>',
    description: 'Work on this branch: its heads, for the prompts that have it (promptline branches create)',
  },
} as const;

const prefixOption = {
  prefix: {
    type: 'string' as const,
    value: '<prefix>',
    description: 'Only prompts whose name starts with this (e.g. support/); the rest are left alone',
  },
};

/** How to get out of a conflict, worded with the CLI's commands. */
export function conflictAdvice(dir: string): string {
  return (
    `To resolve: keep your edit (commit it, or copy the file), run \`promptline pull ${dir} --force\` to take the registry's head, ` +
    `merge your edit back in (\`git diff\` shows it), then \`promptline push ${dir}\`. Nothing was pushed.`
  );
}

/** Reads the folder and the registry and plans a push: shared by status, push and diff. */
export async function planFolder(
  input: Input,
  ctx: Context,
  archiveMissing = false,
): Promise<{ dir: string; plan: Plan }> {
  const [dir = ''] = input.positionals;
  const prefix = input.string('prefix');
  const branch = input.string('branch');
  const [locals, desired] = await Promise.all([readFolder(dir, prefix), readDeployFile(dir)]);
  const registry = await loadRegistry(ctx.api, prefix, branch);
  if (branch === undefined) return { dir, plan: planPush(locals, registry, desired, prefix, archiveMissing) };
  // On a branch: only the files of prompts that have it, no new prompts, no deploys, no archiving.
  const onBranch = locals.filter((local) => registry.prompts.has(local.name));
  return { dir, plan: planPush(onBranch, registry, [], prefix, false) };
}

function refusal(plan: Plan, dir: string, ctx: Context): number | undefined {
  const conflicts = plan.entries.filter((entry) => entry.kind === 'conflict');
  const red = (text: string) => paint('red', text, ctx.color);
  if (conflicts.length > 0) {
    ctx.err(
      `${red('error CONFLICT')}: ${conflicts.length} file${conflicts.length === 1 ? ' was' : 's were'} edited from a version that is no longer the head (${conflicts.map((entry) => entry.name).join(', ')}). ${conflictAdvice(dir)}\n`,
    );
    return EXIT.failure;
  }
  if (plan.problems.length > 0) {
    ctx.err(
      `${red('error DEPLOY_FILE_INVALID')}: ${DEPLOY_FILE} asks for what cannot be deployed; fix it and run again. Nothing was pushed.\n`,
    );
    return EXIT.failure;
  }
  return undefined;
}

function driftNote(plan: Plan, ctx: Context): number {
  const left = unresolved(plan);
  if (left.length === 0) return EXIT.ok;
  const behind = left.filter((entry) => entry.kind === 'behind').length;
  const archived = left.filter((entry) => entry.kind === 'archived').length;
  const missing = left.length - behind - archived;
  const parts = [
    behind > 0
      ? `${behind} file${behind === 1 ? ' is' : 's are'} behind the registry (run \`promptline pull\`)`
      : '',
    missing > 0
      ? `${missing} prompt${missing === 1 ? ' has' : 's have'} no file (restore the file, \`promptline pull\` to bring it back, or \`promptline push --archive-missing\` to archive)`
      : '',
    archived > 0
      ? `${archived} file${archived === 1 ? ' belongs' : 's belong'} to archived prompts (restore the prompt with PATCH /api/v1/prompts/{name} {"archived": false}, or delete the file)`
      : '',
  ].filter(Boolean);
  ctx.err(`The folder and the registry still differ: ${parts.join('; ')}.\n`);
  return EXIT.drift;
}

/** `promptline status <dir>`. */
export const statusCommand = defineCommand({
  name: 'status',
  usage: '<dir> [--prefix <prefix>] [--branch <branch>] [options]',
  summary: 'List what `promptline push` would do',
  description:
    'Compares the .prompt files under <dir> (and promptline.deploy.yaml) with the registry: new,\n' +
    'modified, conflict (edited from a version that is no longer the head), behind (the registry moved\n' +
    'on, the file is unedited), missing (no file) and the deploys. Exits 0; `push --dry-run` is the CI gate.',
  options: { ...prefixOption, ...branchOption },
  positionals: { min: 1, max: 1 },
  examples: ['promptline status prompts/', 'promptline status prompts/ --prefix support/ --json'],
  async run(input, ctx) {
    const { plan } = await planFolder(input, ctx);
    if (ctx.printJson(planJson(plan))) return;
    ctx.out(formatPlan(plan, ctx.color));
  },
});

/** `promptline push <dir>`. */
export const pushCommand = defineCommand({
  name: 'push',
  usage:
    '<dir> [--message <text>] [--prefix <prefix>] [--branch <branch>] [--dry-run] [--archive-missing] [options]',
  summary: 'Create a version for each changed .prompt file and apply promptline.deploy.yaml',
  description:
    'Creates prompts for new files, a version for each changed file (one transaction per prompt, with\n' +
    'the version it was pulled from as parent), updates description/owner/tags, deploys what\n' +
    'promptline.deploy.yaml asks for (environment policies apply), and writes the new versions into the\n' +
    "files' `promptline:` headers. A file edited from a version that is no longer the head is a conflict:\n" +
    'nothing is pushed. Prompts without a file are reported, never removed; --archive-missing archives\n' +
    'them (refused for a prompt an environment still serves). Files of archived prompts are not pushed.\n\n' +
    'Exit codes: 0 done, folder and registry agree; 1 conflict, invalid deploy file or a refusal by the\n' +
    'server (nothing pushed on a conflict); 2 bad usage or an unreadable file; 3 server unreachable;\n' +
    '4 pushed, but files are behind the registry or prompts have no file. --dry-run exits the same way\n' +
    'without writing anything.',
  options: {
    message: {
      type: 'string',
      short: 'm',
      value: '<text>',
      description: 'Commit message of the new versions and reason of the deploys',
    },
    'dry-run': {
      type: 'boolean',
      description: 'Print the plan and exit with the code push would have; write nothing',
    },
    'archive-missing': {
      type: 'boolean',
      description: 'Archive prompts under the prefix that have no file (kept with their history; restorable)',
    },
    ...prefixOption,
    ...branchOption,
  },
  positionals: { min: 1, max: 1 },
  examples: [
    'promptline push prompts/ --message "tighter triage rules"',
    'promptline push prompts/ --dry-run      # in CI: non-zero when the folder cannot be pushed cleanly',
  ],
  async run(input, ctx) {
    const { dir, plan } = await planFolder(input, ctx, input.flag('archive-missing'));
    const dryRun = input.flag('dry-run');
    if (!ctx.json) ctx.out(formatPlan(plan, ctx.color));
    const refused = refusal(plan, dir, ctx);
    if (refused !== undefined) {
      ctx.printJson({ applied: false, ...planJson(plan) });
      return refused;
    }
    if (dryRun) {
      ctx.printJson({ applied: false, ...planJson(plan) });
      return driftNote(plan, ctx);
    }
    const result = await applyPlan(ctx.api, plan, {
      dir,
      message: input.string('message') ?? 'promptline push',
      branch: input.string('branch'),
      progress: (line) => {
        if (!ctx.json) ctx.out(`${line}\n`);
      },
    });
    ctx.printJson({ applied: true, changed: result.changed, ...planJson(plan) });
    if (!ctx.json && result.changed > 0)
      ctx.out(`Pushed ${result.changed} change${result.changed === 1 ? '' : 's'}.\n`);
    for (const { action, error } of result.deployFailures) {
      ctx.err(
        `${paint('red', `error ${error.code}`, ctx.color)}: deploying ${action.prompt} to ${action.environment}: ${cliMessage(error)}\n`,
      );
    }
    for (const { name, error } of result.archiveFailures) {
      ctx.err(`${paint('red', `error ${error.code}`, ctx.color)}: archiving ${name}: ${cliMessage(error)}\n`);
    }
    if (result.deployFailures.length > 0 || result.archiveFailures.length > 0) return EXIT.failure;
    return driftNote(plan, ctx);
  },
});

type PullOutcome = 'added' | 'updated' | 'kept' | 'conflict' | 'overwritten';

function pullOutcome(
  local: LocalPrompt | undefined,
  head: { number: number; hash: string },
  force: boolean,
): PullOutcome {
  if (!local) return 'added';
  const hash = contentHash(local.file.content, local.file.config);
  const edited = local.file.base === null || hash !== local.file.base.hash;
  if (hash === head.hash || !edited) return 'updated';
  if (local.file.base?.version === head.number) return 'kept';
  return force ? 'overwritten' : 'conflict';
}

/** `promptline pull <dir>`. */
export const pullCommand = defineCommand({
  name: 'pull',
  usage: '<dir> [--prefix <prefix>] [--branch <branch>] [--force] [options]',
  summary: "Write each prompt's newest version to <dir>/<name>.prompt",
  description:
    'Writes one file per prompt (a name\'s "/" become folders) with its description, owner, tags, model\n' +
    'config and the version it came from. A file you edited is never overwritten: edited on top of the\n' +
    'head it is kept (push it); edited from an older version it is a conflict (exit 1) unless --force.\n' +
    'Files of prompts not in the registry are left alone.',
  options: {
    force: { type: 'boolean', description: 'Overwrite files edited from an older version (conflicts)' },
    ...prefixOption,
    ...branchOption,
  },
  positionals: { min: 1, max: 1 },
  examples: ['promptline pull prompts/', 'promptline pull prompts/ --prefix support/'],
  async run(input, ctx) {
    const [dir = ''] = input.positionals;
    const prefix = input.string('prefix');
    const force = input.flag('force');
    const registry = await loadRegistry(ctx.api, prefix, input.string('branch'));
    await mkdir(dir, { recursive: true });
    const locals = new Map((await readFolder(dir, prefix)).map((local) => [local.name, local]));
    const report: Array<{ name: string; path: string; outcome: PullOutcome; version: number }> = [];
    for (const [name, { prompt, head }] of registry.prompts) {
      if (!head) continue;
      const text = serializePromptFile(promptFileOf(prompt, head));
      const local = locals.get(name);
      if (local?.text === text) continue;
      const outcome = pullOutcome(local, head, force);
      if (outcome !== 'kept' && outcome !== 'conflict') await writeAtomically(pathOf(dir, name), text);
      report.push({ name, path: local?.path ?? `${name}.prompt`, outcome, version: head.number });
    }
    if (ctx.printJson({ files: report }))
      return report.some((r) => r.outcome === 'conflict') ? EXIT.failure : EXIT.ok;
    for (const { path, outcome, version } of report) {
      const note =
        outcome === 'kept'
          ? 'edited on top of the head: kept (push it)'
          : outcome === 'conflict'
            ? `edited from an older version: kept, the registry is at v${version}`
            : `v${version}`;
      const style = outcome === 'conflict' ? 'red' : outcome === 'kept' ? 'yellow' : 'green';
      ctx.out(`  ${paint(style, outcome.padEnd(12), ctx.color)}${path}  ${note}\n`);
    }
    const written = report.filter((r) => r.outcome !== 'kept' && r.outcome !== 'conflict').length;
    ctx.out(written === 0 ? 'Already up to date.\n' : `Wrote ${written} file${written === 1 ? '' : 's'}.\n`);
    const conflicts = report.filter((r) => r.outcome === 'conflict');
    if (conflicts.length === 0) return EXIT.ok;
    ctx.err(
      `${paint('red', 'error CONFLICT', ctx.color)}: ${conflicts.map((r) => r.path).join(', ')} ${conflicts.length === 1 ? 'was' : 'were'} edited from an older version and kept. Commit or copy your edit, run \`promptline pull ${dir} --force\`, merge your edit back in, then \`promptline push ${dir}\`.\n`,
    );
    return EXIT.failure;
  },
});
