/** `promptline up`: run the Promptline server in the foreground. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseInteger } from '../args.ts';
import { EXIT } from '../errors.ts';
import { defineCommand } from '../kit.ts';

/** The server entry when the CLI runs from the repository (sources beside each other). */
const REPO_SERVER_MAIN = fileURLToPath(new URL('../../../server/src/main.ts', import.meta.url));

/** `promptline up`. */
export const upCommand = defineCommand({
  name: 'up',
  usage: '[--port <n>] [--data-dir <path>] [--database-url <postgres://…>] [--api-key <key>]',
  summary: 'Start the Promptline server in the foreground (Ctrl-C stops it)',
  description:
    'Starts the server, the same as `npm start` from the repository. Options override the\n' +
    'PROMPTLINE_PORT, PROMPTLINE_DATA_DIR, PROMPTLINE_DATABASE_URL and PROMPTLINE_API_KEY variables;\n' +
    '--api-key registers that key as an admin key so the CLI can be used right away.',
  options: {
    port: { type: 'string', value: '<n>', description: 'Port to listen on (default 4100)' },
    'data-dir': {
      type: 'string',
      value: '<path>',
      description: 'Where the SQLite file lives (default ./.promptline)',
    },
    'database-url': { type: 'string', value: '<url>', description: 'Use PostgreSQL instead of SQLite' },
  },
  positionals: { min: 0, max: 0 },
  examples: ['promptline up', 'PROMPTLINE_API_KEY=dev promptline up --port 4200 --data-dir /tmp/promptline'],
  async run(input, ctx) {
    const env: NodeJS.ProcessEnv = { ...ctx.env };
    const port = input.string('port');
    if (port !== undefined) env.PROMPTLINE_PORT = String(parseInteger(port, '--port'));
    const dataDir = input.string('data-dir');
    if (dataDir !== undefined) env.PROMPTLINE_DATA_DIR = dataDir;
    const databaseUrl = input.string('database-url');
    if (databaseUrl !== undefined) env.PROMPTLINE_DATABASE_URL = databaseUrl;
    const apiKey = input.string('api-key');
    if (apiKey !== undefined) env.PROMPTLINE_API_KEY = apiKey;

    const entry = serverEntry();
    if (entry === undefined) {
      ctx.err(
        'error: cannot find the Promptline server. Run `promptline up` from a clone of the repository ' +
          '(or `npm start` there), or install @promptline/server beside the CLI.\n',
      );
      return EXIT.failure;
    }
    // A child process rather than an import: the server owns its process (signals, exit on fatal
    // errors) and the CLI only relays Ctrl-C and the exit code.
    const child = spawn(process.execPath, [...entry.flags, entry.path], { stdio: 'inherit', env });
    const relay = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', relay);
    process.on('SIGTERM', relay);
    return new Promise<number>((resolve) => {
      child.on('error', (error) => {
        ctx.err(`error: cannot start the server: ${error.message}\n`);
        resolve(EXIT.failure);
      });
      child.on('exit', (code, signal) => {
        process.off('SIGINT', relay);
        process.off('SIGTERM', relay);
        resolve(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? EXIT.ok : EXIT.failure));
      });
    });
  },
});

function serverEntry(): { path: string; flags: string[] } | undefined {
  if (existsSync(REPO_SERVER_MAIN))
    return { path: REPO_SERVER_MAIN, flags: ['--conditions=source', '--no-warnings'] };
  try {
    // An installed server package: its built entry sits beside its index.
    const index = fileURLToPath(import.meta.resolve('@promptline/server'));
    const main = index.replace(/index\.js$/, 'main.js');
    return existsSync(main) ? { path: main, flags: [] } : undefined;
  } catch {
    return undefined;
  }
}
