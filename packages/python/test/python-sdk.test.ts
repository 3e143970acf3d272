/**
 * The Python SDK's own tests (`python3 -m unittest` in packages/python) run by `npm test`: against a
 * real Promptline server started here on 127.0.0.1 (port 0), once per database dialect. Any Python
 * failure fails this test and prints the unittest output.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DIALECTS, startTestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

interface Run {
  code: number | null;
  output: string;
}

/** Runs python3 asynchronously: the server in this process must keep answering meanwhile. */
function runPython(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', args, {
      cwd: packageDir,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

function expectPassed(run: Run): void {
  if (run.code !== 0) console.log(run.output);
  expect(run.output).toMatch(/\nOK( \(|\n|$)/);
  expect(run.code, run.output.slice(-4000)).toBe(0);
}

for (const dialect of DIALECTS) {
  describe(`Python SDK against the real server (${dialect})`, () => {
    let server: Awaited<ReturnType<typeof startTestServer>>;
    beforeAll(async () => {
      server = await startTestServer({ dialect });
    });
    afterAll(async () => {
      await server?.close();
    });

    // The suite that needs no server (engine, bucketing, syntax) runs once, with the SQLite server.
    const modules =
      dialect === 'sqlite'
        ? ['discover', '-s', 'tests', '-t', '.', '-v']
        : ['-v', 'tests.test_client', 'tests.test_tracing'];
    it(`python3 -m unittest ${modules.join(' ')} passes`, { timeout: 180_000 }, async () => {
      const run = await runPython(['-m', 'unittest', ...modules], {
        PROMPTLINE_TEST_URL: server.url,
        PROMPTLINE_TEST_API_KEY: server.apiKey,
      });
      expectPassed(run);
      // Every test ran: none was skipped.
      expect(run.output).not.toMatch(/skipped/i);
    });
  });
}
