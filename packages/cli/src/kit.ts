/**
 * The little framework every command is written in: declare options and positionals once, get
 * `--help`, argument checking (exit 2), the API client from `--url`/`PROMPTLINE_URL` and
 * `--api-key`/`PROMPTLINE_API_KEY`, `--json`, and one-line error reporting with the right exit code.
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { cliMessage } from './advice.ts';
import { type ApiClient, createApiClient, problemDocument } from './api-client.ts';
import type { Command } from './command.ts';
import { ApiError, EXIT, UnreachableError, UsageError } from './errors.ts';
import { formatJson, type OutputStream, paint, shouldColor } from './output.ts';

/** Where the CLI connects when neither `--url` nor `PROMPTLINE_URL` is set. */
export const DEFAULT_URL = 'http://127.0.0.1:4100';

/** An option of a command, as shown in its help. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  /** Placeholder shown in help, e.g. `<env>`. */
  value?: string;
  description: string;
}

/** What a command's `run` receives besides its parsed input. */
export interface Context {
  /** The API client; connecting happens on the first request. */
  api: ApiClient;
  /** `--json` was given: print the API response as JSON instead of tables. */
  json: boolean;
  /** Colour standard output (a terminal, no NO_COLOR, no `--no-color`). */
  color: boolean;
  /** The environment variables the CLI was started with. */
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
  /** Prints `value` as JSON when `--json` was given and returns true; false otherwise. */
  printJson(value: unknown): boolean;
}

/** Parsed arguments of one command run. */
export interface Input {
  positionals: string[];
  /** The value of a string option, or undefined when absent. */
  string(name: string): string | undefined;
  /** The value of a string option, or a usage error naming it when absent. */
  required(name: string): string;
  /** A boolean option; `defaultValue` when absent (e.g. `--no-strict` turns `strict` off). */
  flag(name: string, defaultValue?: boolean): boolean;
  /** Every value of a repeatable option, in order. */
  list(name: string): string[];
}

/** A command (or a subcommand of a group) declared with its help. */
export interface CommandSpec {
  /** Full name as typed, e.g. `versions create`. */
  name: string;
  /** Arguments part of the usage line, e.g. `<name> --file <path> [options]`. */
  usage: string;
  summary: string;
  /** Longer explanation shown in `--help`. */
  description?: string;
  options?: Record<string, OptionSpec>;
  /** How many positionals the command takes. */
  positionals: { min: number; max: number };
  examples?: string[];
  run(input: Input, context: Context): Promise<number> | Promise<void>;
}

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  url: {
    type: 'string',
    value: '<url>',
    description: `Server URL (default: $PROMPTLINE_URL or ${DEFAULT_URL})`,
  },
  'api-key': { type: 'string', value: '<key>', description: 'API key (default: $PROMPTLINE_API_KEY)' },
  json: { type: 'boolean', description: 'Print the API response as JSON, for scripts' },
  color: {
    type: 'boolean',
    description: 'Colour output (default: when stdout is a terminal); --no-color turns it off',
  },
  help: { type: 'boolean', short: 'h', description: 'Show this help' },
};

/** Streams and environment a run uses; tests of the kit pass their own. */
export interface Io {
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
}

const processIo = (): Io => ({ stdout: process.stdout, stderr: process.stderr, env: process.env });

/** Wraps one command spec as a {@link Command}. */
export function defineCommand(spec: CommandSpec): Command & { spec: CommandSpec } {
  return { spec, run: (argv) => runSpec(spec, argv, processIo()) };
}

/**
 * Groups subcommands under one name (`prompts list|show|create`). `promptline prompts` alone or
 * `--help` lists them.
 */
export function defineGroup(group: {
  name: string;
  summary: string;
  commands: Record<string, CommandSpec>;
}): Command & { summary: string } {
  return {
    summary: group.summary,
    async run(argv) {
      const io = processIo();
      const [sub, ...rest] = argv;
      if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
        const lines = Object.entries(group.commands).map(
          ([name, spec]) => `  ${`${group.name} ${name}`.padEnd(24)} ${spec.summary}`,
        );
        // Bare `promptline prompts` is a usage mistake: the list goes to stderr with exit 2.
        const stream = sub === undefined ? io.stderr : io.stdout;
        stream.write(
          `Usage: promptline ${group.name} <${Object.keys(group.commands).join('|')}> [options]\n\n${group.summary}\n\nCommands:\n${lines.join('\n')}\n\nRun \`promptline ${group.name} <command> --help\` for the options of one.\n`,
        );
        return sub === undefined ? EXIT.usage : EXIT.ok;
      }
      const spec = group.commands[sub];
      if (!spec) {
        io.stderr.write(
          `error: unknown command "${group.name} ${sub}"; use one of: ${Object.keys(group.commands).join(', ')}\n`,
        );
        return EXIT.usage;
      }
      return runSpec(spec, rest, io);
    },
  };
}

/** Parses `argv` against `spec`, runs it and maps every failure to a message and an exit code. */
export async function runSpec(spec: CommandSpec, argv: string[], io: Io): Promise<number> {
  const options = { ...GLOBAL_OPTIONS, ...spec.options };
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(options, argv);
  } catch (error) {
    return reportUsage(spec, io, (error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.stdout.write(formatHelp(spec));
    return EXIT.ok;
  }
  if (positionals.length < spec.positionals.min || positionals.length > spec.positionals.max) {
    const what =
      positionals.length < spec.positionals.min
        ? 'missing argument'
        : `unexpected argument "${positionals.slice(spec.positionals.max).join(' ')}"`;
    return reportUsage(spec, io, what);
  }

  const input: Input = {
    positionals,
    string: (name) => {
      const value = values[name];
      return typeof value === 'string' ? value : undefined;
    },
    required: (name) => {
      const value = values[name];
      if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
      return value;
    },
    flag: (name, defaultValue = false) => {
      const value = values[name];
      return typeof value === 'boolean' ? value : defaultValue;
    },
    list: (name) => {
      const value = values[name];
      return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
    },
  };

  const json = input.flag('json');
  const color = input.flag('color', shouldColor(io.stdout, io.env));
  const context: Context = {
    api: createApiClient({
      url: input.string('url') ?? nonEmpty(io.env.PROMPTLINE_URL) ?? DEFAULT_URL,
      apiKey: input.string('api-key') ?? nonEmpty(io.env.PROMPTLINE_API_KEY),
    }),
    json,
    color,
    env: io.env,
    out: (text) => io.stdout.write(text),
    err: (text) => io.stderr.write(text),
    printJson: (value) => {
      if (!json) return false;
      io.stdout.write(formatJson(value));
      return true;
    },
  };

  try {
    return (await spec.run(input, context)) ?? EXIT.ok;
  } catch (error) {
    // With --json a script reads the problem document (its `code`) on stdout; the one-line
    // message still goes to stderr and the exit code is the same.
    if (json && error instanceof ApiError) io.stdout.write(formatJson(problemDocument(error)));
    return reportError(spec, io, error);
  }
}

function parse(options: Record<string, OptionSpec>, argv: string[]) {
  const config: ParseArgsOptionsConfig = {};
  for (const [name, option] of Object.entries(options)) {
    config[name] = {
      type: option.type,
      ...(option.multiple ? { multiple: true } : {}),
      ...(option.short ? { short: option.short } : {}),
    };
  }
  return parseArgs({
    args: argv,
    options: config,
    allowPositionals: true,
    allowNegative: true,
    strict: true,
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function reportUsage(spec: CommandSpec, io: Io, message: string): number {
  io.stderr.write(
    `error: ${message}\nUsage: promptline ${spec.name} ${spec.usage}\nRun \`promptline ${spec.name} --help\` for details.\n`,
  );
  return EXIT.usage;
}

/** Prints an error as one line (plus offending fields) and returns its exit code. */
export function reportError(spec: CommandSpec, io: Io, error: unknown): number {
  const color = shouldColor(io.stderr, io.env);
  if (error instanceof UsageError) return reportUsage(spec, io, error.message);
  if (error instanceof UnreachableError) {
    io.stderr.write(`${paint('red', 'error', color)}: ${error.message}\n`);
    return EXIT.unreachable;
  }
  if (error instanceof ApiError) {
    // Request ids only matter for server faults, where an operator greps the log for them.
    const request = error.status >= 500 && error.requestId ? ` (request ${error.requestId})` : '';
    const fields = error.errors.map(
      (issue) => `  - ${issue.path === '' ? '(body)' : issue.path}: ${issue.message}\n`,
    );
    io.stderr.write(
      `${paint('red', `error ${error.code}`, color)}: ${cliMessage(error)}${request}\n${fields.join('')}`,
    );
    return EXIT.failure;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`${paint('red', 'error', color)}: ${message}\n`);
  return EXIT.failure;
}

/** The `--help` text of a command. */
export function formatHelp(spec: CommandSpec): string {
  const optionLines = (options: Record<string, OptionSpec>) =>
    Object.entries(options).map(([name, option]) => {
      const flag = `${option.short ? `-${option.short}, ` : ''}--${name}${option.value ? ` ${option.value}` : ''}`;
      const repeat = option.multiple ? ' (repeatable)' : '';
      return `  ${flag.padEnd(26)} ${option.description}${repeat}`;
    });
  const sections = [`Usage: promptline ${spec.name} ${spec.usage}`, spec.description ?? spec.summary];
  if (spec.options && Object.keys(spec.options).length > 0) {
    sections.push(`Options:\n${optionLines(spec.options).join('\n')}`);
  }
  sections.push(`Global options:\n${optionLines(GLOBAL_OPTIONS).join('\n')}`);
  if (spec.examples?.length) sections.push(`Examples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}`);
  return `${sections.join('\n\n')}\n`;
}
