/**
 * Black-box tests of what the CLI says when the server refuses: the problem's code stays, the
 * advice names the CLI's commands and flags instead of REST routes and JSON fields. Also the
 * deploy safety flags (--force) and what `versions create` keeps of the previous version.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from './run-cli.ts';

let server: TestServer;
let dir: string;

function run(args: string[]): Promise<CliResult> {
  return runCli(args, { server, cwd: dir });
}

async function ok(args: string[]): Promise<string> {
  const result = await run(args);
  if (result.code !== 0)
    throw new Error(`promptline ${args.join(' ')} exited ${result.code}\n${result.stderr}`);
  return result.stdout;
}

/** Runs a command that must fail with `code`; returns its one-line message. */
async function refused(args: string[], code: string): Promise<string> {
  const result = await run(args);
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr.startsWith(`error ${code}: `), result.stderr).toBe(true);
  // No REST route or JSON field as advice.
  expect(result.stderr).not.toMatch(/\/api\/v1|strict: false|"enabled"|"force"|"to":|"archived"/);
  return result.stderr;
}

async function prompt(name: string, template: string, config?: Record<string, unknown>) {
  await writeFile(
    join(dir, 'v.json'),
    JSON.stringify({ type: 'text', template, ...(config ? { config } : {}) }),
  );
  await ok(['prompts', 'create', name]);
  await ok(['versions', 'create', name, '--file', 'v.json']);
}

beforeAll(async () => {
  server = await startTestServer({ dialect: 'sqlite' });
  dir = await mkdtemp(join(tmpdir(), 'promptline-cli-messages-'));
});

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('problems in the CLI’s words', () => {
  it('an unknown environment or prompt points at `envs list` and `prompts list`', async () => {
    await prompt('msg/a', 'Hello {{name}}');
    expect(await refused(['deploy', 'msg/a', '1', '--env', 'prod'], 'ENVIRONMENT_NOT_FOUND')).toBe(
      'error ENVIRONMENT_NOT_FOUND: No environment named "prod". List environments with `promptline envs list`.\n',
    );
    expect(await refused(['prompts', 'show', 'msg/nope'], 'PROMPT_NOT_FOUND')).toBe(
      'error PROMPT_NOT_FOUND: No prompt named "msg/nope". List prompts with `promptline prompts list`.\n',
    );
    expect(await refused(['versions', 'show', 'msg/a', '9'], 'VERSION_NOT_FOUND')).toContain(
      'List its versions with `promptline versions list msg/a`.',
    );
  });

  it('a missing variable or partial suggests --no-strict', async () => {
    expect(await refused(['render', 'msg/a', '--version', '1'], 'TEMPLATE_VARIABLE_MISSING')).toBe(
      'error TEMPLATE_VARIABLE_MISSING: Missing template variable: "name". Pass it with `--var name=value` (or `--vars-file`), or add `--no-strict` to render it empty.\n',
    );
    await prompt('msg/partial', 'A{{> msg/none}}B');
    expect(
      await refused(['render', 'msg/partial', '--version', '1'], 'TEMPLATE_PARTIAL_NOT_FOUND'),
    ).toContain('To render without it, add `--no-strict` (it renders as empty).');
    expect(await ok(['render', 'msg/partial', '--version', '1', '--no-strict'])).toBe('AB\n');
  });

  it('a disabled release suggests --enable or rollback; an undeployed one `promptline deploy`', async () => {
    await ok(['deploy', 'msg/a', '1', '--env', 'staging']);
    await ok(['deploy', 'msg/a', '--env', 'staging', '--disable']);
    expect(
      await refused(['render', 'msg/a', '--env', 'staging', '--var', 'name=x'], 'DEPLOYMENT_NOT_FOUND'),
    ).toBe(
      'error DEPLOYMENT_NOT_FOUND: The release of "msg/a" in staging is disabled (kill switch). Re-enable it with `promptline deploy msg/a --env staging --enable`, or `promptline rollback msg/a --env staging`.\n',
    );
    expect(await refused(['render', 'msg/a', '--env', 'development'], 'DEPLOYMENT_NOT_FOUND')).toContain(
      'Deploy a version with `promptline deploy msg/a <version> --env development`.',
    );
  });

  it('nothing to roll back suggests --to and `promptline history`; an archived env `envs unarchive`', async () => {
    await ok(['deploy', 'msg/a', '1', '--env', 'development']);
    expect(await refused(['rollback', 'msg/a', '--env', 'development'], 'NOTHING_TO_ROLL_BACK')).toContain(
      'pick an entry with `--to <id>` (ids from `promptline history msg/a --env development`)',
    );
    expect(
      await refused(['rollback', 'msg/a', '--env', 'development', '--to', '999'], 'HISTORY_ENTRY_NOT_FOUND'),
    ).toContain('List entries with `promptline history msg/a --env development`.');
    await ok(['envs', 'create', 'msg-old']);
    await ok(['envs', 'archive', 'msg-old']);
    expect(await refused(['deploy', 'msg/a', '1', '--env', 'msg-old'], 'ENVIRONMENT_ARCHIVED')).toContain(
      'Unarchive it with `promptline envs unarchive msg-old`',
    );
  });

  it('a deploy that breaks partials names them and suggests --force; --force deploys and history says so', async () => {
    await prompt('msg/uses', 'U {{> msg/tone}}');
    const message = await refused(
      ['deploy', 'msg/uses', '1', '--env', 'production'],
      'DEPLOY_PARTIAL_MISSING',
    );
    expect(message).toContain('"msg/uses" includes {{> msg/tone}}, which production would not serve');
    expect(message).toContain('Add `--force` to make the change anyway (recorded in the history).');
    expect(
      await ok(['deploy', 'msg/uses', '1', '--env', 'production', '--force', '--reason', 'tone comes next']),
    ).toContain('Deployed msg/uses to production');
    const history = await ok(['history', 'msg/uses', '--env', 'production']);
    expect(history).toContain('deploy (forced)');
  });

  it('an unknown key points at --api-key and `keys create`', async () => {
    const result = await run(['prompts', 'list', '--api-key', 'pl_not_a_key']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error UNAUTHORIZED:');
    expect(result.stderr).toContain('`promptline keys create <name>`');
    expect(result.stderr).not.toContain('/api/v1');
  });
});

describe('deploy safety and versions from the CLI', () => {
  it('rollback says what the environment serves now, in the environment', async () => {
    await prompt('msg/rb', 'one');
    await writeFile(join(dir, 'two.txt'), 'two');
    await ok(['versions', 'create', 'msg/rb', '--file', 'two.txt']);
    await ok(['deploy', 'msg/rb', '1', '--env', 'production']);
    await ok(['deploy', 'msg/rb', '2', '--env', 'production']);
    expect(await ok(['rollback', 'msg/rb', '--env', 'production'])).toMatch(
      /^Rolled back msg\/rb in production: now serving v1 \(history #\d+\)\n$/,
    );
  });

  it('versions create with a text file keeps the previous config; --config replaces it', async () => {
    await prompt('msg/cfg', 'v1 {{x}}', { provider: 'mock', model: 'mock-1' });
    await writeFile(join(dir, 'v2.txt'), 'v2 {{x}}');
    await ok(['versions', 'create', 'msg/cfg', '--file', 'v2.txt']);
    const v2 = JSON.parse(await ok(['versions', 'show', 'msg/cfg', '2', '--json']));
    expect(v2.config).toEqual({ provider: 'mock', model: 'mock-1' });

    await writeFile(join(dir, 'v3.txt'), 'v3 {{x}}');
    await ok([
      'versions',
      'create',
      'msg/cfg',
      '--file',
      'v3.txt',
      '--config',
      '{"provider": "mock", "model": "mock-2"}',
    ]);
    expect(JSON.parse(await ok(['versions', 'show', 'msg/cfg', '3', '--json'])).config).toEqual({
      provider: 'mock',
      model: 'mock-2',
    });
    await writeFile(join(dir, 'cfg.json'), JSON.stringify({ provider: 'mock', model: 'mock-3' }));
    await writeFile(join(dir, 'v4.txt'), 'v4 {{x}}');
    // --config may also name a JSON file.
    await ok(['versions', 'create', 'msg/cfg', '--file', 'v4.txt', '--config', 'cfg.json']);
    expect(JSON.parse(await ok(['versions', 'show', 'msg/cfg', '4', '--json'])).config.model).toBe('mock-3');

    const bad = await run(['versions', 'create', 'msg/cfg', '--file', 'v4.txt', '--config', '{nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--config is not valid JSON');
    expect(await ok(['versions', 'create', '--help'])).toContain('keeps the\nconfig');
  });
});
