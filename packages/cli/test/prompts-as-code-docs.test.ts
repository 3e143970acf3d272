/**
 * The GitHub Actions workflow of docs/prompts-as-code.md: the file in docs/github-actions/ is the one
 * the page shows, it is valid YAML, and every `promptline` command it runs exists with the flags it uses.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from './run-cli.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const server = { url: 'http://127.0.0.1:9', apiKey: 'unused-in-help' };

describe('the prompts-as-code workflow in docs', () => {
  it('is the file docs/github-actions/promptline.yml, valid YAML with a check and a release job', async () => {
    const workflow = await readFile(`${root}docs/github-actions/promptline.yml`, 'utf8');
    const page = await readFile(`${root}docs/prompts-as-code.md`, 'utf8');
    const body = workflow.slice(workflow.indexOf('\n') + 1);
    expect(page).toContain(`\`\`\`yaml\n${body}\`\`\``);
    const parsed = parse(workflow) as { jobs: Record<string, { steps: Array<{ run?: string }> }> };
    expect(Object.keys(parsed.jobs)).toEqual(['check', 'release']);
  });

  it('runs only commands and flags the CLI has', async () => {
    const workflow = await readFile(`${root}docs/github-actions/promptline.yml`, 'utf8');
    const uses = [...workflow.matchAll(/npx promptline (\w+)( [^|;\n]*)?/g)].map((m) => ({
      command: m[1] ?? '',
      flags: [...(m[2] ?? '').matchAll(/--([a-z-]+)/g)].map((f) => f[1] ?? ''),
    }));
    expect(uses.map((u) => u.command)).toEqual(
      expect.arrayContaining(['push', 'eval', 'versions', 'deploy']),
    );
    for (const { command, flags } of uses) {
      const help = await runCli(
        command === 'versions' ? ['versions', 'list', '--help'] : [command, '--help'],
        { server },
      );
      expect(help.code, `${command} --help`).toBe(0);
      for (const flag of flags) expect(help.stdout, `promptline ${command} --${flag}`).toContain(`--${flag}`);
    }
  });
});
