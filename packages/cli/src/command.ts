/** A CLI command: parses its own arguments and returns the process exit code. */
export interface Command {
  run(argv: string[]): Promise<number>;
}
