/**
 * Black-box test of `promptline backup|export|import`: the real bin moving a project from a
 * SQLite server to a PostgreSQL server through files.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { gunzipSync } from 'node:zlib';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

let source: TestServer;
let target: TestServer;
const dir = mkdtempSync(join(tmpdir(), 'promptline-cli-export-'));

async function call(server: TestServer, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  source = await startTestServer({ dialect: 'sqlite' });
  target = await startTestServer({ dialect: 'postgres' });
  await call(source, 'POST', '/api/v1/prompts', {
    name: 'support/triage',
    version: { type: 'text', template: 'Triage {{ticket}}' },
  });
  await call(source, 'POST', '/api/v1/prompts/support%2Ftriage/versions', {
    type: 'text',
    template: 'Sort {{ticket}}',
  });
  await call(source, 'PUT', '/api/v1/prompts/support%2Ftriage/deployments/production', { version: 2 });
});

afterAll(async () => {
  await source?.close();
  await target?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('export writes a gzipped file; import loads it into a PostgreSQL server whose chain then verifies', async () => {
  const file = join(dir, 'project.ndjson.gz');
  const exported = await runCli(['export', file], { server: source });
  expect([exported.code, exported.stderr]).toEqual([0, '']);
  expect(exported.stdout).toMatch(
    /^Exported \d+ rows \(1 prompts, 2 versions, \d+ audit events\) to .*project\.ndjson\.gz/,
  );
  const lines = gunzipSync(readFileSync(file)).toString('utf8').trimEnd().split('\n');
  expect(JSON.parse(lines[0] ?? '')).toMatchObject({ format: 'promptline-export', version: 1 });
  expect(JSON.parse(lines.at(-1) ?? '')).toMatchObject({ end: true });

  const imported = await runCli(['import', file], { server: target });
  expect([imported.code, imported.stderr]).toEqual([0, '']);
  expect(imported.stdout).toMatch(/^Imported \d+ rows \(1 prompts, 2 versions/);
  expect(imported.stdout).toMatch(/Audit chain verifies: \d+ events, head [0-9a-f]{12}/);
  const verified = await runCli(['audit', 'verify'], { server: target });
  expect(verified.code).toBe(0);
  const before = await call(source, 'GET', '/api/v1/prompts/support%2Ftriage/resolve?env=production&unit=u');
  const after = await call(target, 'GET', '/api/v1/prompts/support%2Ftriage/resolve?env=production&unit=u');
  expect(after.body).toEqual(before.body);

  const again = await runCli(['import', file], { server: target });
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('IMPORT_TARGET_NOT_EMPTY');
});

it('export refuses to overwrite without --force; import names a missing or cut-off file', async () => {
  const file = join(dir, 'exists.ndjson');
  writeFileSync(file, 'keep me');
  const refused = await runCli(['export', file], { server: source });
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain('--force');
  expect(readFileSync(file, 'utf8')).toBe('keep me');
  const forced = await runCli(['export', file, '--force'], { server: source });
  expect(forced.code).toBe(0);

  const missing = await runCli(['import', join(dir, 'nope.ndjson')], { server: target });
  expect(missing.code).toBe(2);
  const cut = join(dir, 'cut.ndjson');
  const text = readFileSync(file, 'utf8');
  writeFileSync(cut, text.slice(0, Math.floor(text.length / 2)));
  const fresh = await startTestServer({ dialect: 'sqlite' });
  try {
    const invalid = await runCli(['import', cut], { server: fresh });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('IMPORT_FILE_INVALID');
    expect((await call(fresh, 'GET', '/api/v1/prompts')).body.items).toEqual([]);
  } finally {
    await fresh.close();
  }
});

it('backup downloads a database that passes integrity_check; on PostgreSQL it points to pg_dump', async () => {
  const file = join(dir, 'copy.db');
  const result = await runCli(['backup', file], { server: source });
  expect([result.code, result.stderr]).toEqual([0, '']);
  expect(result.stdout).toMatch(/^Backed up the database to .*copy\.db \(/);
  const db = new DatabaseSync(file, { readOnly: true });
  expect(db.prepare('pragma integrity_check').all()).toEqual([{ integrity_check: 'ok' }]);
  expect(db.prepare('select count(*) as n from versions').get()).toEqual({ n: 2 });
  db.close();

  const pgFile = join(dir, 'pg.db');
  const refused = await runCli(['backup', pgFile], { server: target });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('BACKUP_NOT_SUPPORTED');
  expect(refused.stderr).toContain('pg_dump');
  expect(existsSync(pgFile)).toBe(false);
});
