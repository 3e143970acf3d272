import { gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../db/database.ts';
import {
  createTestClient,
  p,
  startTestServer,
  type TestClient,
  type TestServer,
} from '../test-helpers/index.ts';
import { canonicalDump, seedProject } from './test-helpers/project.ts';

const PROJECT = 1;

async function exportOf(server: TestServer): Promise<string> {
  const response = await server.app.inject({
    method: 'GET',
    url: '/api/v1/export',
    headers: { authorization: `Bearer ${server.apiKey}` },
  });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toMatch(/application\/x-ndjson/);
  return response.body;
}

async function importInto(server: TestServer, body: string | Buffer, type = 'application/x-ndjson') {
  const response = await server.app.inject({
    method: 'POST',
    url: '/api/v1/import',
    headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': type },
    payload: body,
  });
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

/** What a client sees of the project: versions with hashes, resolution per unit, history at instants. */
async function observed(api: TestClient) {
  const prompts = (await api.get('/api/v1/prompts')).body.items.map((x: { name: string }) => x.name).sort();
  const versions: Record<string, unknown> = {};
  const resolved: Record<string, unknown> = {};
  for (const name of prompts) {
    versions[name] = (await api.get(`${p(name)}/versions`)).body.items.map(
      (v: { number: number; semver: string; hash: string; createdAt: string }) => [
        v.number,
        v.semver,
        v.hash,
        v.createdAt,
      ],
    );
  }
  for (let unit = 0; unit < 40; unit++) {
    const answer = await api.get(`${p('support/triage')}/resolve?env=production&unit=user-${unit}`);
    resolved[unit] = [answer.status, answer.body.version?.number ?? answer.body.number, answer.body.variant];
  }
  const history = (await api.get(`${p('support/triage')}/deployments/production/history`)).body.items;
  const rendered = await api.post(`${p('support/triage')}/render`, {
    env: 'production',
    variables: { ticket: 'x', team: 'y' },
    unit: 'user-1',
  });
  const items = (await api.get('/api/v1/datasets/tickets/items')).body;
  const runs = (await api.get('/api/v1/eval-runs')).body.items.map(
    (r: { status: string; summary: unknown }) => [r.status, r.summary],
  );
  const traces = (await api.get('/api/v1/traces')).body.items.length;
  const metrics = (
    await api.get(`${p('support/triage')}/metrics?env=production&interval=1h`)
  ).body.versions.map((v: { version: number; count: number; errors: number; scores: unknown }) => [
    v.version,
    v.count,
    v.errors,
    v.scores,
  ]);
  return { prompts, versions, resolved, history, rendered: rendered.body, items, runs, traces, metrics };
}

/**
 * Waits for the server's first hour roll-up (it runs at start): an instance that has never run it
 * places imported rollup rows differently (see metrics/import-placement.ts), which is right but
 * would make the two dumps differ by timing alone on a loaded machine.
 */
async function rolledUp(server: TestServer): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { rows } = await sql<{
      rolled_until: unknown;
    }>`select rolled_until from metric_rollup_state where id = 1`.execute(server.database.db);
    if (Number(rows[0]?.rolled_until ?? 0) > 0) return;
    if (Date.now() > deadline) throw new Error('the hour roll-up job did not run within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function roundTrip(from: Dialect, to: Dialect) {
  describe(`${from} → ${to}`, () => {
    let source: TestServer;
    let target: TestServer;
    let file: string;
    let imported: { status: number; body: Record<string, unknown> };

    beforeAll(async () => {
      source = await startTestServer({ dialect: from, listen: false, rollouts: { checkEverySeconds: 1 } });
      target = await startTestServer({ dialect: to, listen: false });
      await Promise.all([rolledUp(source), rolledUp(target)]);
      await seedProject(createTestClient(source.app, source.apiKey));
      file = await exportOf(source);
      imported = await importInto(target, gzipSync(file), 'application/gzip');
    }, 60_000);
    afterAll(async () => {
      await source?.close();
      await target?.close();
    });

    it('writes a header, rows in dependency order and a closing line with the counts', () => {
      const lines = file.trimEnd().split('\n');
      const header = JSON.parse(lines[0] ?? '');
      expect(header).toMatchObject({
        format: 'promptline-export',
        version: 1,
        source: { dialect: from, project: 'default' },
      });
      const trailer = JSON.parse(lines.at(-1) ?? '');
      expect(trailer.end).toBe(true);
      expect(trailer.rows).toMatchObject({ prompts: 3, versions: 7, datasets: 1, eval_runs: 2 });
      expect(trailer.rows.eval_results).toBeGreaterThan(0);
      expect(trailer.rows.spans).toBe(3);
      expect(lines.length).toBe(
        2 + Object.values(trailer.rows as Record<string, number>).reduce((a, b) => a + b, 0),
      );
      // Secrets never travel.
      expect(file).not.toContain(source.apiKey);
      expect(file).not.toMatch(/"t":"(api_keys|sessions|provider_credentials)"/);
      expect(file).not.toContain('key_hash');
    });

    it('imports everything and the target holds the same content as the source', async () => {
      expect(imported.status).toBe(200);
      expect(imported.body).toMatchObject({ reattachedEvents: 1, rows: { prompts: 3, versions: 7 } });
      const sourceDump = await canonicalDump(source.database.db, PROJECT);
      const targetDump = await canonicalDump(target.database.db, PROJECT, sourceDump.audit_events?.length);
      // The fixture reaches every exported table, so each one's round trip is compared.
      expect(Object.keys(sourceDump).filter((table) => sourceDump[table]?.length === 0)).toEqual([]);
      expect(targetDump).toEqual(sourceDump);
    });

    it('keeps the audit chain: it verifies, and the source head hash is in it', async () => {
      const api = createTestClient(target.app, target.apiKey);
      const verified = await api.get('/api/v1/audit/verify');
      expect(verified.body).toMatchObject({ ok: true, brokenAt: null });
      const header = JSON.parse(file.split('\n', 1)[0] ?? '');
      const events = (await api.get('/api/v1/audit?limit=500')).body.items as {
        hash: string;
        action: string;
      }[];
      expect(events.map((e) => e.hash)).toContain(header.source.auditHead);
      // Newest first: the import, then the target's own key creation re-appended after the imported chain.
      expect(events.slice(0, 2).map((e) => e.action)).toEqual(['project.import', 'api_key.create']);
    });

    it('serves the same versions, hashes, resolutions, history, datasets, runs and metrics', async () => {
      const before = await observed(createTestClient(source.app, source.apiKey));
      const after = await observed(createTestClient(target.app, target.apiKey));
      expect(after).toEqual(before);
      expect(before.metrics.length).toBeGreaterThan(0);
    });

    it('goes on after the import: a new write links onto the chain, a second import is refused', async () => {
      const api = createTestClient(target.app, target.apiKey);
      await api.post('/api/v1/prompts', { name: 'after/import', version: { type: 'text', template: 'hi' } });
      expect((await api.get('/api/v1/audit/verify')).body).toMatchObject({ ok: true });
      const again = await importInto(target, file);
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('IMPORT_TARGET_NOT_EMPTY');
    });
  });
}

roundTrip('sqlite', 'postgres');
roundTrip('postgres', 'sqlite');
