/**
 * V8 settings the server process gives itself at start (main.ts only: tests and programs that
 * embed the app keep Node's defaults).
 *
 * Young-generation collections (scavenges) run on the main thread alone. By default V8 splits a
 * scavenge among helper threads and the main thread waits for every helper that took a share. On
 * a machine whose cores are busy (two cores serving requests and their clients, a container with
 * a CPU quota) a helper waits for a core, and so does every request: the server's scavenges find
 * only 7–20 KB alive (the requests in flight) and take 0.5–1 ms alone, yet paused the process
 * 11–19 ms (median) with helpers in the resolve bench at load ~25 (0.7–1.1 ms without). An
 * operator who sets the flag either way on the node command line (`node --parallel-scavenge …`;
 * Node refuses V8 flags in NODE_OPTIONS) keeps that choice. docs/reliability.md has the measurements.
 */
import { setFlagsFromString } from 'node:v8';

/** The V8 flags to set: none when the node command line already chose about parallel scavenging. */
export function serverV8Flags(execArgv: readonly string[]): string[] {
  const chosen = execArgv.some((arg) => /parallel[-_]scavenge|single[-_]threaded[-_]gc/.test(arg));
  return chosen ? [] : ['--no-parallel-scavenge'];
}

/** Applies serverV8Flags to this process. */
export function applyServerV8Flags(): void {
  for (const flag of serverV8Flags(process.execArgv)) setFlagsFromString(flag);
}
