import { randomBytes } from 'node:crypto';
import { createSecretBox } from '@promptline/core/node';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveServer, startLiveServer } from '../live/test-helpers/index.ts';
import { DIALECTS } from '../test-helpers/database.ts';

const SECRET = 'sk-live-Zq8vT3pLm9Xw2Rk7Hd5Jf1Nc';
const HEADER_SECRET = 'azure-header-secret-77Gh2Kp9';

for (const dialect of DIALECTS) {
  describe(`provider credentials and prices (${dialect})`, () => {
    const box = createSecretBox(new Uint8Array(randomBytes(32)));
    const logs: string[] = [];
    let server: LiveServer;

    beforeAll(async () => {
      server = await startLiveServer({
        dialect,
        secretBox: box,
        // The configuration main.ts uses, at the chattiest level, into memory.
        logger: { level: 'trace', stream: { write: (line: string) => void logs.push(line) } },
      });
    });

    afterAll(async () => {
      await server.close();
    });

    it('lists the built-in providers, only mock configured on a fresh install', async () => {
      const list = await server.call('GET', '/api/v1/providers');
      expect(list.status).toBe(200);
      const byName = Object.fromEntries(list.body.items.map((p: { provider: string }) => [p.provider, p]));
      expect(Object.keys(byName)).toEqual(['openai', 'anthropic', 'gemini', 'openai-compatible', 'mock']);
      expect(byName.openai).toMatchObject({ configured: false, keyHint: null, baseUrl: null });
      expect(byName.mock.configured).toBe(true);
    });

    it('stores a key write-only: answers show at most its last 4 characters', async () => {
      const put = await server.call('PUT', '/api/v1/providers/openai', { apiKey: SECRET });
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({
        provider: 'openai',
        kind: 'openai',
        configured: true,
        keyHint: '…f1Nc',
      });
      expect(put.text).not.toContain(SECRET.slice(0, -4));
      const list = await server.call('GET', '/api/v1/providers');
      expect(list.text).not.toContain(SECRET.slice(0, -4));
      expect(list.body.items.find((p: { provider: string }) => p.provider === 'openai')).toMatchObject({
        configured: true,
        keyHint: '…f1Nc',
        updatedBy: expect.any(String),
      });
    });

    it('encrypts keys and headers at rest, bound to the project and provider', async () => {
      const put = await server.call('PUT', '/api/v1/providers/azure', {
        kind: 'openai-compatible',
        baseUrl: 'https://example.openai.azure.com/openai/v1',
        headers: { 'api-key': HEADER_SECRET },
      });
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({ kind: 'openai-compatible', headerNames: ['api-key'], keyHint: null });
      const rows = await sql<{ provider: string; secret: string; project_id: number }>`
        select provider, secret, project_id from provider_credentials order by provider`.execute(
        server.database.db,
      );
      expect(rows.rows.map((r) => r.provider)).toEqual(['azure', 'openai']);
      const raw = JSON.stringify(rows.rows);
      expect(raw).not.toContain(SECRET);
      expect(raw).not.toContain(SECRET.slice(0, 12));
      expect(raw).not.toContain(HEADER_SECRET);
      for (const row of rows.rows) expect(row.secret).toMatch(/^v1:/);
      const openai = rows.rows.find((r) => r.provider === 'openai');
      const azure = rows.rows.find((r) => r.provider === 'azure');
      expect(JSON.parse(box.decrypt(openai?.secret ?? '', `${openai?.project_id}/openai`))).toEqual({
        apiKey: SECRET,
      });
      // A token copied into another provider's row does not decrypt.
      expect(() => box.decrypt(openai?.secret ?? '', `${azure?.project_id}/azure`)).toThrow();
    });

    it('keeps the stored key when only the base URL changes, and clears fields given as null', async () => {
      await server.call('PUT', '/api/v1/providers/openai', { baseUrl: 'https://proxy.example.com/v1' });
      const row = await sql<{ secret: string; base_url: string; project_id: number }>`
        select secret, base_url, project_id from provider_credentials where provider = 'openai'`.execute(
        server.database.db,
      );
      const stored = row.rows[0];
      expect(stored?.base_url).toBe('https://proxy.example.com/v1');
      expect(JSON.parse(box.decrypt(stored?.secret ?? '', `${stored?.project_id}/openai`))).toEqual({
        apiKey: SECRET,
      });
      const cleared = await server.call('PUT', '/api/v1/providers/openai', { baseUrl: null });
      expect(cleared.body).toMatchObject({ baseUrl: null, keyHint: '…f1Nc' });
    });

    it('rejects credentials that could not be used', async () => {
      const noKey = await server.call('PUT', '/api/v1/providers/anthropic', {
        baseUrl: 'https://a.example.com',
      });
      expect(noKey.status).toBe(422);
      expect(noKey.body.errors).toEqual([{ path: 'apiKey', message: 'required' }]);
      const noKind = await server.call('PUT', '/api/v1/providers/ollama', {
        baseUrl: 'http://127.0.0.1:11434/v1',
      });
      expect(noKind.status).toBe(422);
      expect(noKind.body.errors[0].path).toBe('kind');
      const noUrl = await server.call('PUT', '/api/v1/providers/openai-compatible', {});
      expect(noUrl.status).toBe(422);
      expect(noUrl.body.errors[0].path).toBe('baseUrl');
      const typo = await server.call('PUT', '/api/v1/providers/gemini', { api_key: SECRET });
      expect(typo.status).toBe(422);
      expect(typo.text).not.toContain(SECRET);
      expect((await server.call('PUT', '/api/v1/providers/mock', { apiKey: 'x' })).status).toBe(422);
    });

    it('lets only admins change credentials', async () => {
      const created = await server.call('POST', '/api/v1/api-keys', { name: 'dev', role: 'editor' });
      const editorKey: string = created.body.key;
      const response = await fetch(`${server.url}/api/v1/providers/openai`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${editorKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ apiKey: 'sk-should-not-be-stored-000' }),
      });
      expect(response.status).toBe(403);
    });

    it('audits changes without the secret', async () => {
      const audit = await server.call('GET', '/api/v1/audit?action=provider.configure');
      expect(audit.body.items.length).toBeGreaterThanOrEqual(3);
      expect(audit.body.items.at(-1).data).toMatchObject({
        kind: 'openai',
        apiKey: 'replaced',
        created: true,
      });
      expect(audit.text).not.toContain(SECRET.slice(-8));
      expect(audit.text).not.toContain(HEADER_SECRET);
    });

    it('deletes credentials, and answers 404 for ones that are not there', async () => {
      const removed = await server.call('DELETE', '/api/v1/providers/azure');
      expect(removed.status).toBe(204);
      const again = await server.call('DELETE', '/api/v1/providers/azure');
      expect(again.status).toBe(404);
      expect(again.body.code).toBe('PROVIDER_CREDENTIALS_NOT_FOUND');
      const list = await server.call('GET', '/api/v1/providers');
      expect(list.body.items.map((p: { provider: string }) => p.provider)).not.toContain('azure');
      expect((await server.call('GET', '/api/v1/audit?action=provider.remove')).body.items).toHaveLength(1);
    });

    it('stores price overrides per project and lists the shipped table beside them', async () => {
      const empty = await server.call('GET', '/api/v1/prices');
      expect(empty.body.items).toEqual([]);
      expect(empty.body.defaults.length).toBeGreaterThan(20);
      const items = [
        { provider: 'openai', pattern: 'gpt-4o', input: 1, output: 2 },
        { provider: '*', pattern: 'my-model*', input: 0.5, output: 1, cachedInput: 0.1 },
      ];
      const put = await server.call('PUT', '/api/v1/prices', { items });
      expect(put.status).toBe(200);
      expect((await server.call('GET', '/api/v1/prices')).body).toMatchObject({
        items,
        updatedBy: expect.any(String),
      });
      const bad = await server.call('PUT', '/api/v1/prices', {
        items: [{ provider: 'openai', pattern: 'x', input: -1, output: 1 }],
      });
      expect(bad.status).toBe(422);
      expect(bad.body.errors[0].path).toBe('items.0.input');
    });

    it('never writes a key into the log', async () => {
      // Something was logged (trace level), but no secret and no bearer key.
      expect(logs.length).toBeGreaterThan(10);
      const all = logs.join('\n');
      expect(all).toContain('/api/v1/providers/openai');
      expect(all).not.toContain(SECRET.slice(0, 12));
      expect(all).not.toContain(HEADER_SECRET);
      expect(all).not.toContain(server.apiKey);
    });
  });
}
