/** `promptline audit head|verify --head|checkpoint` against a real server (SQLite). */
import { verify } from 'node:crypto';
import { canonicalJson } from '@promptline/core';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ dialect: 'sqlite' });
});
afterAll(async () => server?.close());

const run = (args: string[]) => runCli(args, { server });

it('audit head prints a hash that verify --head accepts, and refuses once newer events are removed', async () => {
  const head = await run(['audit', 'head']);
  expect(head.code).toBe(0);
  const hash = head.stdout.trim();
  expect(hash).toMatch(/^[0-9a-f]{64}$/);
  expect(head.stderr).toContain(`promptline audit verify --head ${hash}`);

  const ok = await run(['audit', 'verify', '--head', hash]);
  expect(ok).toMatchObject({ code: 0 });
  expect(ok.stdout).toContain('the recorded head is in the chain');

  await server.database.exec('delete from audit_events where id = (select max(id) from audit_events)');
  const truncated = await run(['audit', 'verify', '--head', hash]);
  expect(truncated.code).toBe(1);
  expect(truncated.stderr).toMatch(/AUDIT_CHAIN_BROKEN.*truncated/);

  const bad = await run(['audit', 'verify', '--head', 'abc']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--head must be the 64 hex digits printed by `promptline audit head`');
});

it('audit verify names an altered version row with exit 1', async () => {
  const create = await fetch(`${server.url}/api/v1/prompts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'cli/proof', version: { type: 'text', template: 'hello' } }),
  });
  expect(create.status).toBe(201);
  await server.database.exec(`update versions set template = 'bye'`);
  const result = await run(['audit', 'verify']);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/AUDIT_ROW_TAMPERED: versions row \d+ \(cli\/proof v1\) was altered/);
});

it('audit checkpoint prints a checkpoint whose signature verifies', async () => {
  const result = await run(['audit', 'checkpoint']);
  expect(result.code).toBe(0);
  const checkpoint = JSON.parse(result.stdout);
  expect(
    verify(
      null,
      Buffer.from(canonicalJson(checkpoint.payload)),
      checkpoint.publicKey,
      Buffer.from(checkpoint.signature, 'base64'),
    ),
  ).toBe(true);
});
