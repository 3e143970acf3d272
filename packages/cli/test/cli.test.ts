/**
 * Black-box tests of the `promptline` command: the real bin, spawned with this Node, against a
 * real server on 127.0.0.1 (SQLite; the server's own tests cover PostgreSQL). They check what a
 * user or a CI script sees: stdout, stderr and exit codes.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, type CliResult, runCli } from './run-cli.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const ESC = '\u001b[';

function run(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runCli(args, { server, cwd: FIXTURES, env });
}

/** Runs a command that must succeed and returns its stdout. */
async function ok(args: string[], env: Record<string, string | undefined> = {}): Promise<string> {
  const result = await run(args, env);
  if (result.code !== 0) {
    throw new Error(
      `promptline ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
    );
  }
  return result.stdout;
}

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ dialect: 'sqlite' });
});

afterAll(async () => {
  await server?.close();
});

// Each test runs the CLI process several times in a row: seconds on a quiet machine, more when
// other test files share the cores.
describe('the registry flow', { timeout: 120_000 }, () => {
  it('creates, versions, deploys, renders, diffs, rolls back and answers history --at', async () => {
    expect(
      await ok([
        'prompts',
        'create',
        'support/triage',
        '--description',
        'Routes tickets',
        '--tag',
        'support',
      ]),
    ).toBe('Created prompt support/triage\n');

    expect(
      await ok(['versions', 'create', 'support/triage', '--file', 'triage.txt', '--message', 'first cut']),
    ).toMatch(/^Created support\/triage v1 \(1\.0\.0\) [0-9a-f]{12}\n$/);
    // Identical content is not stored twice; the CLI says so instead of claiming a new version.
    expect(await ok(['versions', 'create', 'support/triage', '--file', 'triage.txt'])).toMatch(
      /^Unchanged: content is identical to support\/triage v1 \(1\.0\.0\)/,
    );

    await ok(['deploy', 'support/triage', '1', '--env', 'production', '--reason', 'first release']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const whileV1 = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(
      await ok([
        'render',
        'support/triage',
        '--env',
        'production',
        '--var',
        'customer=Ann',
        '--var',
        'ticket=Refund please',
      ]),
    ).toBe('Classify this ticket from Ann: Refund please\n');

    expect(
      await ok([
        'versions',
        'create',
        'support/triage',
        '--file',
        'triage-v2.json',
        '--message',
        'name the classes',
        '--parent',
        '1',
      ]),
    ).toMatch(/^Created support\/triage v2 \(1\.1\.0\)/);

    const list = await ok(['versions', 'list', 'support/triage']);
    const [header, ...rows] = list.trimEnd().split('\n');
    expect(header).toMatch(/^VERSION\s+SEMVER\s+TYPE\s+AUTHOR\s+CREATED\s+HASH\s+MESSAGE$/);
    expect(rows.map((row) => row.split(/\s+/).slice(0, 3).join(' ')).sort()).toEqual([
      'v1 1.0.0 text',
      'v2 1.1.0 text',
    ]);

    const show = await ok(['versions', 'show', 'support/triage', '2']);
    expect(show).toContain('gpt-4o-mini');
    expect(show).toContain('Classify this ticket from {{customer}} into billing, bug or other: {{ticket}}');

    const diff = await ok(['diff', 'support/triage', '1', '2']);
    expect(diff).toContain('billing');
    expect(diff).toContain('gpt-4o-mini');
    expect(diff).not.toContain(ESC);
    expect(await ok(['diff', 'support/triage', '1', '2'], { FORCE_COLOR: '1' })).toContain(ESC);
    expect(await ok(['diff', 'support/triage', '1', '2', '--no-color'], { FORCE_COLOR: '1' })).not.toContain(
      ESC,
    );

    expect(await ok(['deploy', 'support/triage', '2', '--env', 'production'])).toMatch(
      /^Deployed support\/triage to production: now serving v2 \(history #\d+\)\n$/,
    );
    expect(
      await ok([
        'render',
        'support/triage',
        '--env',
        'production',
        '--vars-file',
        'vars.json',
        '--var',
        'customer=Ann',
      ]),
    ).toBe('Classify this ticket from Ann into billing, bug or other: App crashes on start\n');

    expect(
      await ok(['rollback', 'support/triage', '--env', 'production', '--reason', 'v2 misroutes']),
    ).toMatch(/now serving v1 /);
    expect(
      await ok([
        'render',
        'support/triage',
        '--env',
        'production',
        '--var',
        'customer=Ann',
        '--var',
        'ticket=x',
      ]),
    ).toBe('Classify this ticket from Ann: x\n');

    const history = (await ok(['history', 'support/triage', '--env', 'production'])).trimEnd().split('\n');
    expect(history[0]).toMatch(/^ID\s+AT\s+ACTION\s+SERVES\s+BEFORE\s+ACTOR\s+REASON$/);
    expect(history).toHaveLength(4);
    expect(history.join('\n')).toMatch(/rollback.*v1\s+v2.*v2 misroutes/);
    expect(history.join('\n')).toMatch(/deploy\s+v1\s+-.*first release/);

    const at = await ok(['history', 'support/triage', '--env', 'production', '--at', whileV1]);
    expect(at.trimEnd().split('\n')).toHaveLength(2);
    expect(at).toMatch(/deploy\s+v1\s+-/);
    const atJson = JSON.parse(
      await ok(['history', 'support/triage', '--env', 'production', '--at', whileV1, '--json']),
    );
    expect(atJson).toMatchObject({ action: 'deploy', version: 1, reason: 'first release' });

    const verify = await run(['audit', 'verify']);
    expect(verify).toMatchObject({ code: 0, stderr: '' });
    expect(verify.stdout).toMatch(/^ok: audit chain intact \(\d+ events checked, \d+ sealed rows\)\n$/);
  }, 120_000); // about 20 CLI processes in a row: seconds on a quiet machine, more on a loaded one

  it('renders chat prompts as role: content blocks and deploys weighted variants', async () => {
    await ok(['prompts', 'create', 'support/reply', '--file', 'reply.json', '--message', 'first cut']);
    await ok(['deploy', 'support/reply', '1', '--env', 'staging']);
    expect(
      await ok([
        'render',
        'support/reply',
        '--env',
        'staging',
        '--var',
        'product=Acme',
        '--var',
        'question=Where is my invoice?',
      ]),
    ).toBe('system: You answer support tickets for Acme.\n\nuser: Where is my invoice?\n');

    await ok(['versions', 'create', 'support/reply', '--file', 'triage.txt']);
    expect(await ok(['deploy', 'support/reply', '--variants', '2:500,1:9500', '--env', 'staging'])).toContain(
      'now serving v2 5% · v1 95%',
    );
    const show = await ok(['prompts', 'show', 'support/reply']);
    expect(show).toMatch(/staging\s+v2 5% · v1 95%/);
  });

  it('prints JSON that parses with --json', async () => {
    const prompts = JSON.parse(await ok(['prompts', 'list', '--json']));
    expect(prompts.items.map((p: { name: string }) => p.name)).toContain('support/triage');
    const tagged = JSON.parse(await ok(['prompts', 'list', '--tag', 'support', '--json']));
    expect(tagged.items.map((p: { name: string }) => p.name)).toEqual(['support/triage']);
    const envs = JSON.parse(await ok(['envs', 'list', '--json']));
    expect(envs.items.map((e: { name: string }) => e.name)).toEqual(
      expect.arrayContaining(['development', 'staging', 'production']),
    );
  });

  it('lists environments in rank order and creates new ones', async () => {
    expect(await ok(['envs', 'create', 'canary', '--rank', '25'])).toBe(
      'Created environment canary (rank 25)\n',
    );
    const names = (await ok(['envs', 'list']))
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((row) => row.split(/\s+/)[0]);
    expect(names).toEqual(['development', 'staging', 'canary', 'production']);
  });

  it('creates, lists and revokes API keys; a revoked key is refused', async () => {
    const created = JSON.parse(await ok(['keys', 'create', 'ci', '--role', 'viewer', '--json']));
    expect(created).toMatchObject({ name: 'ci', role: 'viewer' });
    expect(await ok(['prompts', 'list', '--json'], { PROMPTLINE_API_KEY: created.key })).toContain(
      'support/triage',
    );
    expect(await ok(['keys', 'list'])).toMatch(new RegExp(`${created.id}\\s+ci\\s+viewer`));
    expect(await ok(['keys', 'revoke', String(created.id)])).toBe(`Revoked key #${created.id}\n`);
    const refused = await run(['prompts', 'list'], { PROMPTLINE_API_KEY: created.key });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error UNAUTHORIZED: /);
  });

  it('creates a project and lists projects; the printed key works in the new project only', async () => {
    const created = await ok(['projects', 'create', 'cli-beta']);
    expect(created).toMatch(/^Created project #\d+ "cli-beta"/);
    const key = created.trim().split('\n').at(-1) ?? '';
    expect(key).toMatch(/^pl_/);
    expect(await ok(['projects', 'list'])).toMatch(/cli-beta\s+admin[\s\S]*default \*\s+admin/);
    expect(JSON.parse(await ok(['prompts', 'list', '--json'], { PROMPTLINE_API_KEY: key })).items).toEqual(
      [],
    );
    const taken = await run(['projects', 'create', 'cli-beta']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/^error PROJECT_EXISTS: /);
  });

  it('creates limited keys (--read-only --env --prefix --expires) and rotates them', async () => {
    const app = JSON.parse(
      await ok([
        'keys',
        'create',
        'web-app',
        '--read-only',
        '--env',
        'production',
        '--expires',
        '90d',
        '--json',
      ]),
    );
    expect(app).toMatchObject({ role: 'viewer', readOnly: true, environments: ['production'] });
    expect(Date.parse(app.expiresAt) - Date.now()).toBeGreaterThan(89 * 86_400_000);
    const scoped = await run(['prompts', 'list'], { PROMPTLINE_API_KEY: app.key });
    expect(scoped.code).toBe(1);
    expect(scoped.stderr).toMatch(/^error KEY_SCOPE: .*read-only application key/);
    const team = await ok([
      'keys',
      'create',
      'team',
      '--prefix',
      'support/*',
      '--env',
      'staging,development',
    ]);
    expect(team).toContain('(env development,staging; prompts support/*)');
    expect(await ok(['keys', 'list'])).toMatch(/web-app\s+viewer.*read-only; env production; expires /);
    const bad = await run(['keys', 'create', 'x', '--expires', 'tomorrow']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--expires must be an ISO 8601 time');

    const rotated = await ok(['keys', 'rotate', String(app.id), '--grace', '0']);
    expect(rotated).toMatch(new RegExp(`^Rotated key #${app.id} into viewer key #\\d+ "web-app"`));
    const secret = rotated.split('\n')[1] ?? '';
    expect(secret).toMatch(/^pl_/);
    const old = await run(['prompts', 'list'], { PROMPTLINE_API_KEY: app.key });
    expect(old.stderr).toMatch(/^error KEY_EXPIRED: /);
  });
});

describe('registry upkeep', { timeout: 120_000 }, () => {
  it('prompts update changes only what is given; --tag replaces the tags, --clear-tags empties them', async () => {
    await ok(['prompts', 'create', 'ops/notes', '--owner', 'alice', '--tag', 'old', '--file', 'triage.txt']);
    const updated = await ok([
      'prompts',
      'update',
      'ops/notes',
      '--owner',
      'platform',
      '--tag',
      'one',
      '--tag',
      'two',
    ]);
    expect(updated).toMatch(/^Updated prompt ops\/notes\n/);
    expect(updated).toMatch(/^owner: +platform$/m);
    expect(updated).toMatch(/^tags: +one, two$/m);

    const cleared = JSON.parse(
      await ok(['prompts', 'update', 'ops/notes', '--clear-tags', '--description', 'Ops notes', '--json']),
    );
    expect(cleared).toMatchObject({
      name: 'ops/notes',
      owner: 'platform',
      tags: [],
      description: 'Ops notes',
    });

    // Nothing to change, or contradictory flags, is a usage error caught before any request.
    const unreachable = { PROMPTLINE_URL: 'http://127.0.0.1:9' };
    const nothing = await run(['prompts', 'update', 'ops/notes'], unreachable);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/^error: nothing to update/);
    expect(
      (await run(['prompts', 'update', 'ops/notes', '--tag', 'a', '--clear-tags'], unreachable)).code,
    ).toBe(2);
  });

  it('envs show, update (rename, rank, protection) and archive; deploying to an archived env is refused', async () => {
    await ok(['envs', 'create', 'qa', '--rank', '15']);
    const shown = await ok(['envs', 'show', 'qa']);
    expect(shown).toMatch(/^rank: +15$/m);
    expect(shown).toMatch(/^protected: +no$/m);
    expect(shown).toMatch(/^state: +active$/m);

    const updated = await ok([
      'envs',
      'update',
      'qa',
      '--rename',
      'qa-2',
      '--rank',
      '16',
      '--description',
      'manual checks',
      '--protected',
    ]);
    expect(updated).toMatch(/^Updated environment qa-2 \(renamed from qa\)\n/);
    expect(JSON.parse(await ok(['envs', 'show', 'qa-2', '--json']))).toMatchObject({
      name: 'qa-2',
      rank: 16,
      description: 'manual checks',
      protected: true,
      archived: false,
    });
    // --no-protected clears the mark and leaves the rest alone.
    expect(JSON.parse(await ok(['envs', 'update', 'qa-2', '--no-protected', '--json']))).toMatchObject({
      rank: 16,
      description: 'manual checks',
      protected: false,
    });
    expect((await run(['envs', 'show', 'qa'])).stderr).toMatch(/^error ENVIRONMENT_NOT_FOUND: /);

    expect(await ok(['envs', 'archive', 'qa-2'])).toMatch(
      /^Archived environment qa-2; deploys to it now fail/,
    );
    expect(await ok(['envs', 'list'])).toMatch(/^qa-2 +16 +no +archived +manual checks$/m);
    const refused = await run(['deploy', 'ops/notes', '1', '--env', 'qa-2']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^error ENVIRONMENT_ARCHIVED: Environment "qa-2" is archived/);

    expect(await ok(['envs', 'unarchive', 'qa-2'])).toBe(
      'Unarchived environment qa-2; it accepts deploys again.\n',
    );
    expect(await ok(['deploy', 'ops/notes', '1', '--env', 'qa-2'])).toMatch(/now serving v1 /);
  });

  it('deploy --disable switches the live release off, --enable back on, and history says so', async () => {
    await ok(['deploy', 'ops/notes', '1', '--env', 'staging']);
    expect(
      await ok(['deploy', 'ops/notes', '--env', 'staging', '--disable', '--reason', 'leaks data']),
    ).toMatch(
      /^Disabled ops\/notes in staging: v1 \(disabled\) resolves nothing until `--enable` \(history #\d+\)\n$/,
    );
    const vars = ['--var', 'customer=Ann', '--var', 'ticket=x'];
    const off = await run(['render', 'ops/notes', '--env', 'staging', ...vars]);
    expect(off.code).toBe(1);
    expect(off.stderr).toMatch(/^error DEPLOYMENT_NOT_FOUND: .*disabled/);

    expect(await ok(['deploy', 'ops/notes', '--env', 'staging', '--enable'])).toMatch(
      /^Enabled ops\/notes in staging: serving v1 again/,
    );
    expect(await ok(['render', 'ops/notes', '--env', 'staging', ...vars])).toBe(
      'Classify this ticket from Ann: x\n',
    );

    const rows = (await ok(['history', 'ops/notes', '--env', 'staging'])).trimEnd().split('\n').slice(1);
    expect(rows).toHaveLength(3);
    expect(rows.join('\n')).toMatch(/enable\s+v1\s+v1 \(disabled\)/);
    expect(rows.join('\n')).toMatch(/disable\s+v1 \(disabled\)\s+v1\s+.*leaks data/);
    expect(rows.join('\n')).toMatch(/deploy\s+v1\s+-/);
    const history = JSON.parse(await ok(['history', 'ops/notes', '--env', 'staging', '--json']));
    expect(history.items.map((entry: { enabled: boolean }) => entry.enabled).sort()).toEqual([
      false,
      true,
      true,
    ]);

    // A version with --disable deploys that release switched off.
    expect(await ok(['deploy', 'ops/notes', '1', '--env', 'development', '--disable'])).toMatch(
      /^Deployed ops\/notes to development: now serving v1 \(disabled\)/,
    );
    const never = await run(['deploy', 'ops/notes', '--env', 'production', '--disable']);
    expect(never.code).toBe(1);
    expect(never.stderr).toMatch(/^error DEPLOYMENT_NOT_FOUND: /);
    const both = await run(['deploy', 'ops/notes', '--env', 'staging', '--disable', '--enable'], {
      PROMPTLINE_URL: 'http://127.0.0.1:9',
    });
    expect(both.code).toBe(2);
  });

  it('versions show prints content, config, variables, semver and hash', async () => {
    const text = await ok(['versions', 'show', 'support/triage', '2']);
    expect(text).toMatch(/^version: +v2 \(1\.1\.0\)$/m);
    expect(text).toMatch(/^variables: +customer, ticket$/m);
    expect(text).toMatch(/^config: +\{.*"model":"gpt-4o-mini".*\}$/m);
    expect(text).toMatch(/^hash: +[0-9a-f]{64}$/m);
    expect(text).toContain(
      '\nClassify this ticket from {{customer}} into billing, bug or other: {{ticket}}\n',
    );

    const chat = await ok(['versions', 'show', 'support/reply', '1']);
    expect(chat).toMatch(/^type: +chat$/m);
    expect(chat).toMatch(/^variables: +product, question$/m);
    expect(chat).toContain('system: You answer support tickets for {{product}}.\n\nuser: {{question}}\n');
    const json = JSON.parse(await ok(['versions', 'show', 'support/reply', '1', '--json']));
    expect(json).toMatchObject({
      number: 1,
      semver: '1.0.0',
      type: 'chat',
      variables: ['product', 'question'],
    });
    expect(chat).toContain(json.hash);
  });

  it('audit list pages with --cursor, names the next cursor, and --all follows every page', async () => {
    const first = await ok(['audit', 'list', '--limit', '2']);
    const lines = first.trimEnd().split('\n');
    expect(lines).toHaveLength(5); // header, 2 events, blank line, hint
    const hint =
      /^More events: promptline audit list --limit 2 --cursor (\d+) {2}\(or --all for every page\)$/.exec(
        lines[4] ?? '',
      );
    expect(hint).not.toBeNull();
    const cursor = hint?.[1] ?? '';
    const firstIds = lines.slice(1, 3).map((row) => Number(row.split(/\s+/)[0]));
    expect(Number(cursor)).toBe(Math.min(...firstIds));

    const second = JSON.parse(await ok(['audit', 'list', '--limit', '2', '--cursor', cursor, '--json']));
    expect(second.items).toHaveLength(2);
    for (const event of second.items) expect(event.id).toBeLessThan(Number(cursor));

    const everything = JSON.parse(await ok(['audit', 'list', '--limit', '500', '--json']));
    expect(everything.nextCursor).toBeNull();
    const all = JSON.parse(await ok(['audit', 'list', '--all', '--limit', '3', '--json']));
    expect(all.nextCursor).toBeNull();
    expect(all.items.map((event: { id: number }) => event.id)).toEqual(
      everything.items.map((event: { id: number }) => event.id),
    );
    expect(await ok(['audit', 'list', '--all', '--limit', '3'])).not.toContain('More events');

    const filtered = await ok(['audit', 'list', '--limit', '1', '--action', 'prompt.update']);
    expect(filtered).toMatch(
      /More events: promptline audit list --limit 1 --action prompt\.update --cursor \d+ /,
    );
    const bad = await run(['audit', 'list', '--cursor', 'abc'], { PROMPTLINE_URL: 'http://127.0.0.1:9' });
    expect(bad.code).toBe(2);
  });

  it('--json on a failure prints the problem document on stdout and the one-line message on stderr', async () => {
    const missing = await run(['prompts', 'show', 'does/not-exist', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({
      status: 404,
      code: 'PROMPT_NOT_FOUND',
      title: expect.any(String),
    });
    expect(missing.stderr).toMatch(/^error PROMPT_NOT_FOUND: .+\n$/);

    const invalid = await run(['prompts', 'create', 'Not A Valid Name', '--json']);
    expect(invalid.code).toBe(1);
    const problem = JSON.parse(invalid.stdout);
    expect(problem).toMatchObject({ status: 422, code: 'VALIDATION_FAILED' });
    expect(problem.errors.map((issue: { path: string }) => issue.path)).toContain('name');

    const deploy = await run(['deploy', 'ops/notes', '9', '--env', 'staging', '--json']);
    expect(deploy.code).toBe(1);
    expect(JSON.parse(deploy.stdout)).toMatchObject({ code: 'VERSION_NOT_FOUND' });

    // Without --json, stdout stays empty.
    expect((await run(['prompts', 'show', 'does/not-exist'])).stdout).toBe('');
  });
});

describe('failures', { timeout: 120_000 }, () => {
  it('an unknown prompt exits 1 with the problem code on one line', async () => {
    const result = await run(['prompts', 'show', 'does/not-exist']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error PROMPT_NOT_FOUND: .+\n$/);
  });

  it('a validation problem lists the offending fields', async () => {
    const result = await run(['prompts', 'create', 'Not A Valid Name']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error VALIDATION_FAILED: .+\n {2}- name: .+\n/);
  });

  it('a missing template variable names it', async () => {
    const result = await run(['render', 'support/triage', '--version', '1', '--var', 'customer=Ann']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error TEMPLATE_VARIABLE_MISSING: .*ticket/);
    expect(
      await ok(['render', 'support/triage', '--version', '1', '--var', 'customer=Ann', '--no-strict']),
    ).toBe('Classify this ticket from Ann: \n');
  });

  it('a version conflict exits 1 with VERSION_CONFLICT', async () => {
    const result = await run([
      'versions',
      'create',
      'support/triage',
      '--file',
      'reply.json',
      '--parent',
      '1',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error VERSION_CONFLICT: /);
  });

  it('an unreachable server exits 3 and says how to start one', async () => {
    const port = await closedPort();
    const result = await run(['prompts', 'list'], { PROMPTLINE_URL: `http://127.0.0.1:${port}` });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`cannot reach the Promptline server at http://127.0.0.1:${port}`);
    expect(result.stderr).toContain('npm start');
    expect(result.stderr).toContain('PROMPTLINE_URL');
  });

  it('bad usage exits 2 with the usage line, before any request', async () => {
    const cases = [
      ['deploy', 'support/triage', '1'],
      ['deploy', 'support/triage', 'one', '--env', 'production'],
      ['render', 'support/triage', '--var', 'x=1'],
      ['versions', 'create', 'support/triage', '--file', 'missing.txt'],
      ['prompts', 'list', '--bogus'],
      ['nonsense'],
    ];
    // The unreachable URL proves no request was attempted: that would exit 3.
    const results = await Promise.all(
      cases.map((args) => run(args, { PROMPTLINE_URL: 'http://127.0.0.1:9' })),
    );
    expect(results.map((result) => result.code)).toEqual(cases.map(() => 2));
    expect(results.map((result) => result.stdout)).toEqual(cases.map(() => ''));
    expect(results[0]?.stderr).toMatch(/^error: --env is required\nUsage: promptline deploy /);
  });

  it('every command answers --help with its usage and exit 0', async () => {
    const cases = [['--help'], ['deploy', '--help'], ['versions', 'create', '--help'], ['prompts', '--help']];
    const results = await Promise.all(
      cases.map((args) => run(args, { PROMPTLINE_URL: 'http://127.0.0.1:9' })),
    );
    for (const result of results) {
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: promptline /);
    }
  });

  it('audit verify exits 1 and names the first altered event', async () => {
    await server.database.exec(
      `update audit_events set actor = 'mallory' where id = (select min(id) + 1 from audit_events)`,
    );
    const { items } = JSON.parse(await ok(['audit', 'list', '--json', '--limit', '500']));
    const altered = Math.min(...items.map((event: { id: number }) => event.id)) + 1;
    const result = await run(['audit', 'verify']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^error AUDIT_CHAIN_BROKEN: the chain breaks at event #${altered}\\b`),
    );
  });
});

describe('up', () => {
  it('starts the compiled server (what npm start runs) that the other commands can use, and stops on SIGINT with exit 0', async () => {
    const port = await closedPort();
    const dataDir = await mkdtemp(join(tmpdir(), 'promptline-up-'));
    const apiKey = 'cli-up-test-key-0123456789';
    const child = spawn(
      process.execPath,
      [BIN, 'up', '--port', String(port), '--data-dir', dataDir, '--api-key', apiKey],
      {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          PROMPTLINE_LOG_LEVEL: 'warn',
          PROMPTLINE_HOST: '127.0.0.1',
        },
        stdio: 'ignore',
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitFor(async () => (await fetch(`${url}/healthz`)).ok);
      expect(await ok(['envs', 'list'], { PROMPTLINE_URL: url, PROMPTLINE_API_KEY: apiKey })).toContain(
        'production',
      );
      // The server is the CLI's child: its command line names the build, not the sources.
      const server = execFileSync('ps', ['-o', 'args=', '--ppid', String(child.pid)], { encoding: 'utf8' });
      expect(server).toMatch(/packages\/server\/dist\/main\.js/);
      expect(server).not.toContain('--conditions=source');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    await rm(dataDir, { recursive: true, force: true });
  });
});

/** Polls `check` until it returns true (errors count as not yet), for at most 20 s. */
async function waitFor(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('timed out waiting for the server started by `promptline up`');
}

/** A port nothing listens on: bound once by us, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
