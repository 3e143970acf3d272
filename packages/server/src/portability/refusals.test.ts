import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestClient,
  DIALECTS,
  p,
  startTestServer,
  type TestClient,
  type TestServer,
} from '../test-helpers/index.ts';
import { canonicalDump } from './test-helpers/project.ts';

for (const dialect of DIALECTS) {
  describe(dialect, () => {
    let source: TestServer;
    let target: TestServer;
    let api: TestClient;
    let file: string;

    const post = async (body: string | Buffer, type = 'application/x-ndjson', key = target.apiKey) => {
      const response = await target.app.inject({
        method: 'POST',
        url: '/api/v1/import',
        headers: { authorization: `Bearer ${key}`, 'content-type': type },
        payload: body,
      });
      return {
        status: response.statusCode,
        body: JSON.parse(response.body),
        type: response.headers['content-type'],
      };
    };
    /** The target's project as stored, its audit chain included. */
    const state = () => canonicalDump(target.database.db, 1);

    beforeAll(async () => {
      source = await startTestServer({ dialect, listen: false });
      target = await startTestServer({ dialect, listen: false });
      api = createTestClient(target.app, target.apiKey);
      const src = createTestClient(source.app, source.apiKey);
      await src.post('/api/v1/prompts', { name: 'a/b', version: { type: 'text', template: 'Hi {{x}}' } });
      await src.put(`${p('a/b')}/deployments/production`, { version: 1 });
      await src.patch('/api/v1/environments/staging', { description: 'changed by the source' });
      await src.post('/api/v1/datasets', { name: 'ds', items: [{ variables: { x: '1' } }] });
      const response = await source.app.inject({
        method: 'GET',
        url: '/api/v1/export',
        headers: { authorization: `Bearer ${source.apiKey}` },
      });
      file = response.body;
    });
    afterAll(async () => {
      await source?.close();
      await target?.close();
    });

    const lines = () => file.trimEnd().split('\n');

    async function refusedWithNothingWritten(
      body: string | Buffer,
      status: number,
      code: string,
      type?: string,
    ) {
      const before = await state();
      const answer = await post(body, type);
      expect([answer.status, answer.body.code]).toEqual([status, code]);
      expect(answer.type).toMatch(/application\/problem\+json/);
      expect(await state()).toEqual(before);
      expect((await api.get('/api/v1/audit/verify')).body.ok).toBe(true);
      return answer.body;
    }

    it('needs an admin key for export, import and backup', async () => {
      const editor = (await api.post('/api/v1/api-keys', { name: 'ed', role: 'editor' })).body.key;
      for (const [method, url] of [
        ['GET', '/api/v1/export'],
        ['POST', '/api/v1/import'],
        ['GET', '/api/v1/backup'],
      ] as const) {
        const response = await target.app.inject({
          method,
          url,
          headers: { authorization: `Bearer ${editor}`, 'content-type': 'application/x-ndjson' },
          payload: method === 'POST' ? file : undefined,
        });
        expect([url, response.statusCode]).toEqual([url, 403]);
      }
    });

    it('refuses a newer format version, saying what to do', async () => {
      const header = { ...JSON.parse(lines()[0] ?? ''), version: 2 };
      const body = [JSON.stringify(header), ...lines().slice(1)].join('\n');
      const problem = await refusedWithNothingWritten(body, 422, 'IMPORT_FORMAT_UNSUPPORTED');
      expect(problem.detail).toMatch(/version 2.*up to version 1.*Upgrade this server/);
    });

    it('refuses a file from a newer schema', async () => {
      const header = { ...JSON.parse(lines()[0] ?? ''), migration: '9999_from_the_future' };
      const body = [JSON.stringify(header), ...lines().slice(1)].join('\n');
      const problem = await refusedWithNothingWritten(body, 422, 'IMPORT_FORMAT_UNSUPPORTED');
      expect(problem.detail).toContain('9999_from_the_future');
    });

    it('refuses a file cut off anywhere, and writes nothing', async () => {
      const all = lines();
      for (const keep of [1, 3, Math.floor(all.length / 2), all.length - 1]) {
        await refusedWithNothingWritten(all.slice(0, keep).join('\n'), 422, 'IMPORT_FILE_INVALID');
      }
      // Cut inside a line, and inside gzip data.
      await refusedWithNothingWritten(
        file.slice(0, Math.floor(file.length * 0.7)),
        422,
        'IMPORT_FILE_INVALID',
      );
      const gz = gzipSync(file);
      await refusedWithNothingWritten(
        gz.subarray(0, gz.length - 20),
        422,
        'IMPORT_FILE_INVALID',
        'application/gzip',
      );
    });

    it('refuses what is not an export, a corrupt line, a missing row and an altered audit event', async () => {
      await refusedWithNothingWritten('hello\n', 422, 'IMPORT_FILE_INVALID');
      await refusedWithNothingWritten('', 422, 'IMPORT_FILE_INVALID');
      const all = lines();
      const corrupt = [...all.slice(0, 3), '{"t":"versions","r":{', ...all.slice(3)].join('\n');
      await refusedWithNothingWritten(corrupt, 422, 'IMPORT_FILE_INVALID');
      const nul = all.map((l) =>
        l.startsWith('{"t":"versions"') ? l.replace('Hi {{x}}', 'Hi \\u0000{{x}}') : l,
      );
      expect(nul.join('\n')).toContain('\\u0000');
      await refusedWithNothingWritten(nul.join('\n'), 422, 'IMPORT_FILE_INVALID');
      const missing = all.filter((l) => !l.startsWith('{"t":"versions"')).join('\n');
      await refusedWithNothingWritten(missing, 422, 'IMPORT_FILE_INVALID');
      const altered = all
        .map((l) =>
          l.includes('"action":"deployment.deploy"') ? l.replace('"actor":"', '"actor":"mallory ') : l,
        )
        .join('\n');
      expect(altered).not.toBe(file.trimEnd());
      const problem = await refusedWithNothingWritten(altered, 422, 'IMPORT_FILE_INVALID');
      expect(problem.detail).toMatch(/audit chain does not verify/);
    });

    it('imports the intact file, then refuses a second import into the now non-empty project', async () => {
      const ok = await post(file);
      expect(ok.status).toBe(200);
      expect((await api.get('/api/v1/environments/staging')).body.description).toBe('changed by the source');
      const before = await state();
      const again = await post(file);
      expect([again.status, again.body.code]).toEqual([409, 'IMPORT_TARGET_NOT_EMPTY']);
      expect(again.body.detail).toMatch(/1 prompts, 1 datasets/);
      expect(await state()).toEqual(before);
    });
  });
}
