/**
 * Typed inputs and output contracts from the command line, black-box: `promptline eval` checks a
 * `.prompt` file's input schema (a case breaking it is an error naming the field) and adds its
 * output contract as an implicit assertion; `promptline types generate` writes types that the
 * TypeScript compiler then uses to accept a correct render call and refuse a wrong one.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from './run-cli.ts';

let dir: string;
let server: TestServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promptline-contracts-'));
  server = await startTestServer({ dialect: 'sqlite' });
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runCli(args, {
    server: { url: server.url, apiKey: server.apiKey },
    cwd: dir,
    env: { NO_COLOR: '1', ...env },
  });
}

describe('contracts in promptline eval', () => {
  it('the output contract is an implicit assertion of every case, and a case breaking the input schema is an error naming the field', async () => {
    await writeFile(
      join(dir, 'route.prompt'),
      [
        '---',
        'model: mock/mock-1',
        'extra:',
        '  input:',
        '    schema:',
        '      ticket: string',
        '      priority(enum): [low, high]',
        '  output:',
        '    format: text',
        '    maxWords: 6',
        '---',
        'Route this {{priority}} ticket: {{ticket}}',
        '',
      ].join('\n'),
    );
    await writeFile(
      join(dir, 'promptline.eval.yaml'),
      [
        'prompts: [file://route.prompt]',
        'providers: [mock:mock-1]',
        'tests:',
        '  - description: fits',
        '    vars: { ticket: hi, priority: low }',
        '  - description: long',
        '    vars: { ticket: "my order never arrived and nobody answers my mails", priority: high }',
        '  - description: untyped',
        '    vars: { ticket: 42, priority: urgent }',
        '',
      ].join('\n'),
    );
    const result = await cli(['eval', '--no-cache', '--no-upload', '-o', 'results.json'], {
      PROMPTLINE_URL: '',
    });
    expect(result.code).toBe(1);
    const report = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8'));
    const byCase = Object.fromEntries(report.results.map((r: { description: string }) => [r.description, r]));
    // The mock answers "Mock answer from mock-1. You said: …": over six words once the ticket is long.
    expect(byCase.long.pass).toBe(false);
    expect(byCase.long.assertions).toEqual([
      expect.objectContaining({
        type: 'output-contract',
        pass: false,
        reason: expect.stringMatching(/^the output has \d+ words, over the 6 allowed$/),
      }),
    ]);
    expect(byCase.fits.assertions[0]).toMatchObject({ type: 'output-contract' });
    expect(byCase.untyped.error).toMatch(
      /^The variables do not match the input schema of "route\.prompt": variables\.ticket must be string; variables\.priority must be equal to one of the allowed values/,
    );
    expect(byCase.untyped.reason).toBe(byCase.untyped.error);
  });
});

describe('promptline types generate', () => {
  it('writes PromptInputs from the registry; the compiler accepts a correct render and refuses a wrong one', async () => {
    const headers = { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' };
    const created = await fetch(`${server.url}/api/v1/prompts`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'support/triage',
        version: {
          type: 'text',
          template: '{{customer.name}}: {{ticket}}',
          config: {
            input: {
              schema: { customer: { name: 'string' }, ticket: 'string', 'priority?(enum)': ['low', 'high'] },
            },
          },
        },
      }),
    });
    expect(created.status).toBe(201);
    await fetch(`${server.url}/api/v1/prompts`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'plain', version: { type: 'text', template: 'Hi {{who}}' } }),
    });
    const result = await cli(['types', 'generate', '-o', 'prompts.generated.ts']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('Wrote prompts.generated.ts: 2 prompts (1 with an input schema)\n');
    const generated = await readFile(join(dir, 'prompts.generated.ts'), 'utf8');
    expect(generated).toMatch(
      /"support\/triage": \{\n {4}customer: \{\n {6}name: string;\n {4}\};\n {4}ticket: string;\n {4}priority\?: "low" \| "high" \| null;\n {2}\};/,
    );

    await writeFile(
      join(dir, 'app.ts'),
      [
        "import type { InputsOf } from './prompts.generated.ts';",
        "declare function render<N extends string>(name: N, vars: N extends keyof import('./prompts.generated.ts').PromptInputs ? InputsOf<N> : never): string;",
        "render('support/triage', { customer: { name: 'Ann' }, ticket: 'Refund' });",
        "render('support/triage', { customer: {}, ticket: 7 });",
        "render('plain', { who: 'world' });",
        '',
      ].join('\n'),
    );
    const program = ts.createProgram([join(dir, 'app.ts')], {
      strict: true,
      noEmit: true,
      allowImportingTsExtensions: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      types: [],
    });
    const errors = ts
      .getPreEmitDiagnostics(program)
      .map(
        (d) =>
          `${d.file ? d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1 : '?'}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
      );
    // Only line 4 is wrong: a missing customer.name and a number for ticket.
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.startsWith('4: '))).toBe(true);
    expect(errors.join('\n')).toMatch(/name|number/);
  });
});
