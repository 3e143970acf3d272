/**
 * Runs the real `promptline` bin as a user would, for the CLI's black-box tests: a child process
 * with a clean environment that points at a test server, its output collected.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../bin/promptline.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The server the command talks to (`PROMPTLINE_URL`, `PROMPTLINE_API_KEY`). */
  server: { url: string; apiKey: string };
  /** The Node to run the bin with (default: the one running the tests). */
  node?: string;
  /** Flags for that Node, before the bin. */
  nodeFlags?: string[];
  cwd?: string;
  /** More environment variables (undefined removes one). */
  env?: Record<string, string | undefined>;
}

/** Spawns `promptline <args>` asynchronously (the test server answers from the test's process). */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.node ?? process.execPath, [...(options.nodeFlags ?? []), BIN, ...args], {
      ...(options.cwd ? { cwd: options.cwd } : {}),
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PROMPTLINE_URL: options.server.url,
        PROMPTLINE_API_KEY: options.server.apiKey,
        ...options.env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
