/** `promptline audit lineage|served` against a real server (SQLite). */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startTestServer({ dialect: 'sqlite' });
  dir = await mkdtemp(join(tmpdir(), 'promptline-lineage-'));
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

const run = (args: string[]) => runCli(args, { server });
async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.status).toBeLessThan(300);
  return response.json();
}
const tick = () => new Promise((r) => setTimeout(r, 15));

it('lineage lists each live period with who made it live and its seal; served answers a past instant', async () => {
  const at0 = new Date().toISOString();
  await tick();
  await api('POST', '/prompts', { name: 'cli/lin', version: { type: 'text', template: 'one' } });
  await api('POST', `/prompts/${encodeURIComponent('cli/lin')}/versions`, { type: 'text', template: 'two' });
  await api('PUT', `/prompts/${encodeURIComponent('cli/lin')}/deployments/production`, { version: 1 });
  await tick();
  const at1 = new Date().toISOString();
  await tick();
  await api('PUT', `/prompts/${encodeURIComponent('cli/lin')}/deployments/production`, {
    variants: [
      { version: 2, weight: 2500 },
      { version: 1, weight: 7500 },
    ],
  });

  const lineage = await run(['audit', 'lineage', 'cli/lin']);
  expect(lineage.code).toBe(0);
  const lines = lineage.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^VERSION\s+AUTHOR\s+FROM\s+UNTIL\s+SHARE/);
  expect(lines.filter((l) => l.startsWith('v1 ')).length).toBe(2);
  expect(lines.find((l) => l.startsWith('v2 '))).toMatch(/live\s+25%/);
  expect(lineage.stderr).toContain('ok: audit chain verified');

  const json = JSON.parse((await run(['audit', 'lineage', 'cli/lin', '--json'])).stdout);
  expect(json.versions.map((v: { number: number }) => v.number)).toEqual([1, 2]);

  const file = join(dir, 'lineage.html');
  const html = await run(['audit', 'lineage', 'cli/lin', '--html', file]);
  expect(html.code).toBe(0);
  expect(await readFile(file, 'utf8')).toContain('<h1>Lineage of <code>cli/lin</code> in production</h1>');

  const then = await run(['audit', 'served', 'production', '--at', at1]);
  expect(then.code).toBe(0);
  expect(then.stdout).toMatch(/cli\/lin\s+v1 100%/);
  const now = await run(['audit', 'served', 'production', '--at', new Date().toISOString()]);
  expect(now.stdout).toMatch(/cli\/lin\s+v2 25% · v1 75%/);
  expect((await run(['audit', 'served', 'production', '--at', at0])).stdout).toContain(
    `production served nothing at ${at0}`,
  );

  const bad = await run(['audit', 'served', 'production']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--at needs an instant in ISO 8601');

  await server.database.exec(`update deployment_history set reason = 'edited' where id = 1`);
  const broken = await run(['audit', 'lineage', 'cli/lin']);
  expect(broken.code).toBe(1);
  expect(broken.stderr).toContain('error AUDIT_CHAIN_BROKEN');
});
