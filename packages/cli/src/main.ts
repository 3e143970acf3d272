/**
 * The `promptline` command: dispatches to one module per command under `commands/`.
 */
import type { Command } from './command.ts';

/** Lazily loaded so `promptline --help` and small commands start fast. */
const COMMANDS: Record<string, () => Promise<Command>> = {};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`Usage: promptline <command> [options]\n\nCommands: ${Object.keys(COMMANDS).join(', ')}\n`);
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
