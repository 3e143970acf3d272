/** `promptline up`: run the Promptline server in the foreground. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseInteger } from '../args.ts';
import { EXIT } from '../errors.ts';
import { defineCommand } from '../kit.ts';

/** The server's engines.node: it needs the built-in `node:sqlite`, which the CLI itself does not. */
const SERVER_NODE = { major: 22, minor: 12 };

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

    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    if (major < SERVER_NODE.major || (major === SERVER_NODE.major && minor < SERVER_NODE.minor)) {
      ctx.err(
        `error: the server needs Node.js ${SERVER_NODE.major}.${SERVER_NODE.minor} or newer (this is v${process.versions.node}); ` +
          'install the current LTS (`nvm install --lts`), or in a clone of the repository run `npm start`, which uses the Node it pins.\n',
      );
      return EXIT.failure;
    }
    const entry = serverEntry();
    if ('problem' in entry) {
      ctx.err(`error: ${entry.problem}\n`);
      return EXIT.failure;
    }
    // A child process rather than an import: the server owns its process (signals, exit on fatal
    // errors) and the CLI only relays Ctrl-C and the exit code.
    const child = spawn(process.execPath, [entry.path], { stdio: 'inherit', env });
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

/**
 * The server's compiled entry (`dist/main.js`) from the declared dependency: what `npm start`
 * runs, also when this CLI itself runs from the repository's sources (the export has no `source`
 * condition), so `up` starts as fast as `npm start` and never needs type stripping.
 */
function serverEntry(): { path: string } | { problem: string } {
  let path: string;
  try {
    path = fileURLToPath(import.meta.resolve('@promptline/server/main'));
  } catch (error) {
    return {
      problem:
        `cannot find the Promptline server (@promptline/server: ${(error as Error).message}). ` +
        'Reinstall the CLI with its dependencies (`npm install @promptline/cli`), or run `npm start` in a clone of the repository.',
    };
  }
  if (!existsSync(path)) {
    return {
      problem: `the Promptline server is not built (${path} is missing). In a clone of the repository run \`npm run build\` (or \`npm start\`, which builds first).`,
    };
  }
  return { path };
}
