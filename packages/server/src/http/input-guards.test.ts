import { connect } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeServer, p } from '../test-helpers/index.ts';
import { assertJsonDepth, findNul } from './input-guards.ts';

/** Sends raw bytes on a socket and answers the raw HTTP response (status line, headers, body). */
function raw(url: string, bytes: Buffer): Promise<{ status: number; type: string; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({
        status: Number(head.split(' ')[1]),
        type: /content-type: ([^\r\n]+)/i.exec(head)?.[1] ?? '',
        body,
      });
    });
  });
}

describe('assertJsonDepth answers whether the parsed body can hold a NUL (the guard skips its walk when not)', () => {
  // Strings rich in what the scan must tell apart: NUL, backslashes, quotes, the text "u0000".
  const tricky = fc
    .array(fc.constantFrom('\u0000', '\\', '"', 'u0000', '\\u0000', 'a', '[', '{', '\u0001', 'é'), {
      maxLength: 8,
    })
    .map((parts) => parts.join(''));
  const json = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      tricky,
      fc.integer(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(tricky, tie('value'), { maxKeys: 4 }),
    ),
  })).value;

  it('never says "no NUL" for a body that holds one, in a value or a key (property)', () => {
    fc.assert(
      fc.property(json, (value) => {
        const text = JSON.stringify(value);
        const parsed: unknown = JSON.parse(text);
        if (!assertJsonDepth(text)) expect(findNul(parsed)).toBeUndefined();
        if (findNul(parsed) !== undefined) expect(assertJsonDepth(text)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('an escaped backslash before "u0000" is text, not a NUL; the escape itself is one', () => {
    expect(assertJsonDepth(String.raw`{"a": "\\u0000"}`)).toBe(false);
    expect(assertJsonDepth(String.raw`{"a": "\u0000"}`)).toBe(true);
    expect(assertJsonDepth(String.raw`{"a\u0000": 1}`)).toBe(true);
    expect(assertJsonDepth(String.raw`{"a": "\\\u0000"}`)).toBe(true);
    expect(assertJsonDepth('{"a": "u0000 plain"}')).toBe(false);
  });
});

const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

describeServer(
  (ctx) => {
    it('bad percent-encoding in a name is 400 MALFORMED_URL problem+json, not a framework code', async () => {
      const response = await ctx().api.get('/api/v1/prompts/%zz');
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.code).toBe('MALFORMED_URL');
    });

    it('a name of the longest allowed length can be created and read; one character more is refused with our codes', async () => {
      const { api } = ctx();
      const longest = `${'a/'.repeat(99)}aa`;
      expect(longest).toHaveLength(200);
      expect((await api.post('/api/v1/prompts', { name: longest })).status).toBe(201);
      expect((await api.get(p(longest))).status).toBe(200);
      const tooLong = `${longest}a`;
      const create = await api.post('/api/v1/prompts', { name: tooLong });
      expect(create.status).toBe(422);
      expect(create.body.code).toBe('VALIDATION_FAILED');
      const read = await api.get(p(tooLong));
      expect(read.status).toBe(414);
      expect(read.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(read.body.code).toBe('URI_TOO_LONG');
    });

    it('a query over 16 KiB is 431 HEADERS_TOO_LARGE problem+json', async () => {
      const { server } = ctx();
      const request = `GET /api/v1/prompts?search=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`;
      const response = await raw(server.url, Buffer.from(request));
      expect(response.status).toBe(431);
      expect(response.type).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(response.body).code).toBe('HEADERS_TOO_LARGE');
    });

    it('raw non-ASCII bytes in the request line are answered with problem+json', async () => {
      const { server } = ctx();
      const request = Buffer.concat([
        Buffer.from('GET /api/v1/prompts/'),
        Buffer.from([0xff, 0xfe, 0x00, 0x80]),
        Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n'),
      ]);
      const response = await raw(server.url, request);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(response.type).toMatch(/^application\/problem\+json/);
      expect(typeof JSON.parse(response.body).code).toBe('string');
    });

    it('an odd content type is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
      const response = await ctx().server.app.inject({
        method: 'POST',
        url: '/api/v1/prompts',
        headers: { authorization: `Bearer ${ctx().server.apiKey}`, 'content-type': 'application/x-evil' },
        payload: 'name=x',
      });
      expect(response.statusCode).toBe(415);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(response.body).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    });

    it('a DELETE that says application/json but sends an empty body is accepted', async () => {
      const { api, server } = ctx();
      const key = await api.post('/api/v1/api-keys', { name: 'to-delete', role: 'viewer' });
      expect(key.status).toBe(201);
      const response = await server.app.inject({
        method: 'DELETE',
        url: `/api/v1/api-keys/${key.body.id}`,
        headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
        payload: '',
      });
      expect(response.statusCode).toBe(200);
      const list = await api.get('/api/v1/api-keys');
      const deleted = list.body.items.find((k: { id: number }) => k.id === key.body.id);
      expect(deleted.revokedAt).not.toBeNull();
    });

    it('a NUL character in a body field is 422 INVALID_CHARACTER naming the field, and nothing is written', async () => {
      const { api } = ctx();
      const response = await api.post('/api/v1/prompts', {
        name: 'nul/body',
        version: { type: 'text', template: 'a\u0000b' },
      });
      expect(response.status).toBe(422);
      expect(response.body.code).toBe('INVALID_CHARACTER');
      expect(response.body.errors).toEqual([{ path: 'version.template', message: expect.any(String) }]);
      expect((await api.get(p('nul/body'))).status).toBe(404);
      const key = await api.post('/api/v1/prompts', { name: 'nul/key', description: { 'a\u0000': 1 } });
      expect(key.body.code).toBe('INVALID_CHARACTER');
    });

    it('a NUL character in a query or path value is 422 INVALID_CHARACTER', async () => {
      const { api } = ctx();
      const query = await api.get('/api/v1/prompts?search=a%00b');
      expect(query.status).toBe(422);
      expect(query.body).toMatchObject({ code: 'INVALID_CHARACTER', errors: [{ path: 'query.search' }] });
      const path = await api.get('/api/v1/prompts/a%00b');
      expect(path.status).toBe(422);
      expect(path.body).toMatchObject({ code: 'INVALID_CHARACTER', errors: [{ path: 'path.name' }] });
    });

    it('JSON nested deeper than 64 levels is 422 JSON_TOO_DEEP on every JSON route; 64 levels parse', async () => {
      const { api } = ctx();
      await api.post('/api/v1/prompts', { name: 'deep', version: { type: 'text', template: 'hi {{x}}' } });
      const body = `{"version": 1, "variables": {"x": ${deep(5000)}}}`;
      for (const url of [`${p('deep')}/render`, `${p('deep')}/versions`, '/api/v1/playground/runs']) {
        const response = await api.post(url, body);
        expect(response.status, url).toBe(422);
        expect(response.body.code, url).toBe('JSON_TOO_DEEP');
      }
      const ok = await api.post(`${p('deep')}/render`, `{"version": 1, "variables": {"x": ${deep(62)}}}`);
      expect(ok.status).toBe(200);
      // Brackets inside strings do not count.
      const text = await api.post(`${p('deep')}/render`, { version: 1, variables: { x: '['.repeat(5000) } });
      expect(text.status).toBe(200);
    });

    it('JSONL imports refuse deep nesting and NUL characters before writing', async () => {
      const { server, api } = ctx();
      await api.post('/api/v1/datasets', { name: 'guarded' });
      const send = (payload: string) =>
        server.app.inject({
          method: 'POST',
          url: '/api/v1/datasets/guarded/import',
          headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/x-ndjson' },
          payload,
        });
      const tooDeep = await send(`{"variables": {"x": ${deep(5000)}}}\n`);
      expect(JSON.parse(tooDeep.body).code).toBe('JSON_TOO_DEEP');
      const nul = await send('{"variables": {"x": "ok"}}\n{"variables": {"x": "a\\u0000b"}}\n');
      expect(nul.statusCode).toBe(422);
      expect(JSON.parse(nul.body).code).toBe('INVALID_CHARACTER');
      expect((await api.get('/api/v1/datasets/guarded')).body.itemCount).toBe(0);
    });

    it('ids and cursors beyond a PostgreSQL integer are 422, never a database error', async () => {
      const { api } = ctx();
      for (const url of [
        '/api/v1/prompts/deep/versions/2147483648',
        '/api/v1/eval-runs/99999999999999999999',
        '/api/v1/jobs/2147483648',
        '/api/v1/audit?cursor=9223372036854775808',
        '/api/v1/eval-runs?cursor=2147483648',
      ]) {
        const response = await api.get(url);
        expect(response.status, url).toBe(422);
        expect(response.body.code, url).toBe('VALIDATION_FAILED');
      }
      const deploy = await api.put(`${p('deep')}/deployments/production`, { version: 2 ** 31 });
      expect(deploy.status).toBe(422);
    });

    it('a client x-request-id is echoed only when short and plain; otherwise one is generated', async () => {
      const { api } = ctx();
      const plain = await api.get('/api/v1/prompts', { 'x-request-id': 'trace-1.a:b_c' });
      expect(plain.headers['x-request-id']).toBe('trace-1.a:b_c');
      for (const hostile of ['a b', 'x'.repeat(129), '<script>', 'é']) {
        const response = await api.get('/api/v1/nothing', { 'x-request-id': hostile });
        expect(response.headers['x-request-id']).not.toBe(hostile);
        expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
        expect(response.body.requestId).toBe(response.headers['x-request-id']);
      }
    });
  },
  { listen: true },
);
