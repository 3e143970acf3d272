/**
 * The `promptline` command: dispatches to one module per command under `commands/`.
 */
import { readFileSync } from 'node:fs';
import type { Command } from './command.ts';

/** Lazily loaded so `promptline --help` and small commands start fast. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  up: () => import('./commands/up.ts').then((m) => m.upCommand),
  prompts: () => import('./commands/prompts.ts').then((m) => m.promptsCommand),
  versions: () => import('./commands/versions.ts').then((m) => m.versionsCommand),
  deploy: () => import('./commands/deployments.ts').then((m) => m.deployCommand),
  rollback: () => import('./commands/deployments.ts').then((m) => m.rollbackCommand),
  history: () => import('./commands/deployments.ts').then((m) => m.historyCommand),
  diff: () => import('./commands/diff.ts').then((m) => m.diffCommand),
  branches: () => import('./commands/branches.ts').then((m) => m.branchesCommand),
  merge: () => import('./commands/merge.ts').then((m) => m.mergeCommand),
  pull: () => import('./commands/sync.ts').then((m) => m.pullCommand),
  push: () => import('./commands/sync.ts').then((m) => m.pushCommand),
  status: () => import('./commands/sync.ts').then((m) => m.statusCommand),
  render: () => import('./commands/render.ts').then((m) => m.renderCommand),
  envs: () => import('./commands/envs.ts').then((m) => m.envsCommand),
  segments: () => import('./commands/segments.ts').then((m) => m.segmentsCommand),
  keys: () => import('./commands/keys.ts').then((m) => m.keysCommand),
  projects: () => import('./commands/projects.ts').then((m) => m.projectsCommand),
  invitations: () => import('./commands/invitations.ts').then((m) => m.invitationsCommand),
  members: () => import('./commands/members.ts').then((m) => m.membersCommand),
  'security-events': () => import('./commands/security-events.ts').then((m) => m.securityEventsCommand),
  audit: () => import('./commands/audit.ts').then((m) => m.auditCommand),
  requests: () => import('./commands/requests.ts').then((m) => m.requestsCommand),
  rollouts: () => import('./commands/rollouts.ts').then((m) => m.rolloutsCommand),
  promote: () => import('./commands/promote.ts').then((m) => m.promoteCommand),
  replay: () => import('./commands/replay.ts').then((m) => m.replayCommand),
  experiments: () => import('./commands/experiments.ts').then((m) => m.experimentsCommand),
  metrics: () => import('./commands/metrics.ts').then((m) => m.metricsCommand),
  alerts: () => import('./commands/alerts.ts').then((m) => m.alertsCommand),
  'online-evals': () => import('./commands/online-evals.ts').then((m) => m.onlineEvalsCommand),
  traces: () => import('./commands/traces.ts').then((m) => m.tracesCommand),
  queues: () => import('./commands/queues.ts').then((m) => m.queuesCommand),
  eval: async () => (await import('./commands/eval.ts')).evalCommand,
  redteam: () => import('./commands/redteam.ts').then((m) => m.redteamCommand),
  types: () => import('./commands/types.ts').then((m) => m.typesCommand),
  'import-langfuse': () => import('./commands/import-langfuse.ts').then((m) => m.importLangfuseCommand),
  backup: () => import('./commands/portability.ts').then((m) => m.backupCommand),
  export: () => import('./commands/portability.ts').then((m) => m.exportCommand),
  import: () => import('./commands/portability.ts').then((m) => m.importCommand),
};

/** One line per command for `promptline --help`; kept here so help does not load every command. */
const SUMMARIES: Partial<Record<string, string>> = {
  up: 'Start the server in the foreground',
  prompts: 'list | show <name> | create <name>: the registry entries',
  versions: 'create <name> --file f | list <name> | show <name> <n>: immutable versions',
  deploy: '<name> <version> --env <env>: make an environment serve a version (or --variants)',
  rollback: '<name> --env <env>: restore the release live before the current one',
  history: '<name> --env <env> [--at <time>]: every deploy and rollback, or what was live then',
  diff: '<name> <from> <to>: what changed between two versions; <dir>: the registry against a folder',
  branches: 'list | create <prompt> <branch> [--from n] | delete <prompt> <branch>: branches of a prompt',
  merge: '<prompt> <branch> [--into main]: three-way merge; conflicts to a file with markers (exit 1)',
  pull: "<dir>: write each prompt's newest version to <dir>/<name>.prompt",
  push: '<dir> [--dry-run]: a version for each changed .prompt file, and promptline.deploy.yaml',
  status: '<dir>: what push would do',
  render: '<name> --env <env> --var k=v: the prompt as an environment serves it',
  envs: 'list | create <name>: environments',
  segments: 'list | show <name> | set <name> [--when json] [--units a,b] | delete <name>: targeting segments',
  keys: 'create <name> [--env --prefix --read-only --expires] | list | rotate <id> | revoke <id>: API keys',
  projects: 'list | create <name> | enter <name>: projects (creating and entering take an instance admin)',
  members: 'list | set <email> --role r | remove <email|id>: people of the project and their roles',
  invitations: 'create <email> [--role r] | list | revoke <id>: one-time links that bring people in',
  'security-events':
    'list [--type --email --since --until] | verify: sign-ins, refusals, lockouts of every project (instance admins)',
  audit:
    'list | verify [--head h] | head | checkpoint | lineage <prompt> | served <env> --at t: the audit log and its proofs',
  requests: 'list | show <id> | approve <id> | reject <id> | cancel <id>: deployment requests',
  rollouts:
    'start <name> --env <env> --version <n> | list | show <id> | pause | resume | advance | abort <id>: guarded rollouts',
  promote: '<name> --from <env> --to <env> [--min-soak 1h] [--dry-run]: the gates, then the promotion',
  replay:
    '<name> --env <env> --version <n> [--last 100] [--model p/m] [--wait]: a candidate on the last production calls, next to the live version',
  experiments:
    'start <name> --env <env> --variants v:w,… --metric m | list | results <id> | stop <id> [--ship v|winner]: A/B tests',
  metrics:
    '<name> | --summary [--env <env>] [--since 24h]: calls, errors, latency, tokens, cost and scores per version, or per prompt',
  alerts:
    'list | show <id> | create <name> --metric m --above v | update <id> | delete <id>: alert rules and their transitions',
  'online-evals':
    'list <prompt> | create <prompt> --name --env --rate --assert json [--judge p/m] [--budget usd] | show | update | delete <id>: online evaluations',
  traces:
    'list [--prompt --env --status --since 24h] | show <traceId> | to-dataset <dataset> --filter status=error: recorded traces, their span trees, traces → dataset items',
  queues:
    'list | show <queue> | create <name> --scores a,b | add <queue> [traceId…] [--filter k=v,… --since 24h]: annotation queues for human review',
  'import-langfuse': '<export.json> | --from <url>: copy prompts, versions and labels out of Langfuse',
  eval: '[-c config]: run a test suite (promptline.eval.yaml or promptfooconfig.yaml); exit 1 below thresholds',
  redteam:
    '<prompt|config> [--provider <p>] [-o <file>] [--fail-on high]: attack a prompt offline; exit 1 on findings',
  types: 'generate [-o file] [--env <env>]: TypeScript types of prompt variables from their input schemas',
  backup: '<file>: a consistent copy of the SQLite database, taken while the server runs',
  export: '<file>: the whole project as one streamed file (.gz to compress)',
  import: '<file>: load an export into this server’s empty project, all or nothing',
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length)) + 2;
  const lines = Object.keys(COMMANDS).map((name) =>
    `  ${name.padEnd(width)}${SUMMARIES[name] ?? ''}`.trimEnd(),
  );
  return (
    'Usage: promptline <command> [options]\n\n' +
    `Commands:\n${lines.join('\n')}\n\n` +
    'Every command takes --url (default $PROMPTLINE_URL or http://127.0.0.1:4100), --api-key\n' +
    '(default $PROMPTLINE_API_KEY), --json and --help.\n' +
    'Exit codes: 0 ok, 1 the server refused (the error code is printed) or a push conflict, 2 bad usage,\n' +
    '3 server unreachable, 4 push: the folder and the registry still differ.\n'
  );
}

function version(): string {
  // Read at run time so both src/ and dist/ find the package.json one level up.
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? 'unknown';
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`Unknown command "${name}". Run \`promptline --help\` for the list of commands.\n`);
    return 2;
  }
  const command = await load();
  return command.run(rest);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
