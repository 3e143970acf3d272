/**
 * `npm run bench`: runs every `bench/*.bench.ts` (or the ones named on the command line) in its own
 * Node process, one after another so they do not compete for the two cores, and prints one JSON
 * object: bench name → the figures it printed (or the error that stopped it).
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();

function runOne(file: string): Promise<unknown> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=source', '--no-warnings', `${dir}${file}`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('exit', (code) => {
      // A bench prints exactly one JSON object, as its last line.
      const last = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(last));
      } catch {
        resolve({ error: `exited with code ${code} without printing JSON`, output: out.slice(-2000) });
      }
    });
  });
}

const results: Record<string, unknown> = {};
for (const file of files) {
  process.stderr.write(`bench: ${file}\n`);
  results[file.replace(/\.bench\.ts$/, '')] = await runOne(file);
}
process.stdout.write(`${JSON.stringify({ node: process.version, results }, null, 2)}\n`);
