import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  type LiveServer,
  openSse,
  type SseConnection,
  startLiveServer,
} from '../live/test-helpers/index.ts';
import { DIALECTS } from '../test-helpers/database.ts';

const LOCAL_KEY = 'sk-local-Hq7Vb2Nw8Lc4Xe1Ty6';

interface Wire {
  url: string;
  requests: Array<{ body: Record<string, unknown>; authorization: string | undefined }>;
  /** Streams that ended because the client went away. */
  aborted: number;
  close(): Promise<void>;
}

/**
 * A real OpenAI-compatible server on 127.0.0.1:0: `/v1/chat/completions` streams the reversed last
 * user message in two chunks with usage; model `broken` answers 400; model `slow` sends one chunk
 * and then nothing until the client leaves.
 */
async function startOpenAiCompatible(): Promise<Wire> {
  const wire: Wire = { url: '', requests: [], aborted: 0, close: async () => {} };
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    wire.requests.push({ body, authorization: req.headers.authorization });
    if (req.url !== '/v1/chat/completions') {
      res.writeHead(404).end();
      return;
    }
    if (body.model === 'broken') {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'model "broken" does not exist' } }));
      return;
    }
    const messages = body.messages as Array<{ role: string; content: string }>;
    const answer = [...(messages.at(-1)?.content ?? '')].reverse().join('');
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    const half = Math.ceil(answer.length / 2);
    chunk({ model: body.model, choices: [{ index: 0, delta: { content: answer.slice(0, half) } }] });
    if (body.model === 'slow') {
      res.on('close', () => {
        wire.aborted++;
      });
      return;
    }
    chunk({
      model: body.model,
      choices: [{ index: 0, delta: { content: answer.slice(half) }, finish_reason: 'stop' }],
    });
    chunk({ model: body.model, choices: [], usage: { prompt_tokens: 1000, completion_tokens: 500 } });
    res.end('data: [DONE]\n\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  wire.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  wire.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return wire;
}

function eventsOf(stream: SseConnection, name: string) {
  return stream.events.filter((e) => e.event === name).map((e) => JSON.parse(e.data));
}

async function runSse(server: LiveServer, body: unknown): Promise<SseConnection> {
  const stream = await openSse(`${server.url}/api/v1/playground/runs`, server.apiKey, {
    method: 'POST',
    body,
  });
  expect(stream.status).toBe(200);
  await stream.next((e) => e.event === 'end', 10_000);
  return stream;
}

for (const dialect of DIALECTS) {
  describe(`playground runs (${dialect})`, () => {
    let server: LiveServer;
    let wire: Wire;

    beforeAll(async () => {
      wire = await startOpenAiCompatible();
      server = await startLiveServer({ dialect, playground: { mockDelayMs: 1 } });
      const configured = await server.call('PUT', '/api/v1/providers/local', {
        kind: 'openai-compatible',
        baseUrl: `${wire.url}/v1`,
        apiKey: LOCAL_KEY,
      });
      expect(configured.status).toBe(200);
      await server.call('PUT', '/api/v1/prices', {
        items: [{ provider: '*', pattern: 'local-model', input: 2, output: 10 }],
      });
    });

    afterAll(async () => {
      await server.close();
      await wire.close();
    });

    it('streams a draft on two mock models side by side, then usage, cost and timings', async () => {
      const stream = await runSse(server, {
        draft: { type: 'text', template: 'Summarise: {{topic}}' },
        variables: { topic: 'the quarterly report of the harbour authority' },
        models: [
          { provider: 'mock', model: 'echo-a' },
          { provider: 'mock', model: 'echo-b', parameters: { temperature: 0 } },
        ],
      });
      expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const done = eventsOf(stream, 'done');
      expect(done.map((d) => d.model).sort()).toEqual([0, 1]);
      for (const cell of done) {
        const deltas = eventsOf(stream, 'delta').filter((d) => d.model === cell.model && d.row === 0);
        expect(deltas.length).toBeGreaterThan(1);
        expect(deltas.map((d) => d.text).join('')).toBe(cell.text);
        expect(cell.text).toContain('harbour authority');
        expect(cell.usage.outputTokens).toBeGreaterThan(0);
        expect(cell.cost).toEqual({ inputUsd: 0, outputUsd: 0, totalUsd: 0 });
        expect(cell.latencyMs).toBeGreaterThan(0);
        expect(cell.timeToFirstTokenMs).toBeGreaterThan(0);
        expect(cell.finishReason).toBe('stop');
      }
      expect(stream.events.at(-1)?.event).toBe('end');
      expect(eventsOf(stream, 'error')).toEqual([]);
    });

    it('calls an OpenAI-compatible server with the stored credentials, and prices the call with the overrides', async () => {
      const before = wire.requests.length;
      const stream = await runSse(server, {
        draft: {
          type: 'chat',
          messages: [
            { role: 'system', content: 'Answer backwards.' },
            { role: 'user', content: '{{question}}' },
          ],
          config: { parameters: { temperature: 0.3, maxTokens: 50 } },
        },
        variables: { question: 'where is the harbour' },
        models: [{ provider: 'local', model: 'local-model', parameters: { temperature: 0.9 } }],
      });
      const request = wire.requests[before];
      expect(request?.authorization).toBe(`Bearer ${LOCAL_KEY}`);
      expect(request?.body).toMatchObject({
        model: 'local-model',
        stream: true,
        temperature: 0.9,
        max_tokens: 50,
        messages: [
          { role: 'system', content: 'Answer backwards.' },
          { role: 'user', content: 'where is the harbour' },
        ],
      });
      const [done] = eventsOf(stream, 'done');
      expect(done.text).toBe('ruobrah eht si erehw');
      expect(eventsOf(stream, 'delta').map((d) => d.text)).toEqual(['ruobrah eh', 't si erehw']);
      expect(done.usage).toEqual({
        inputTokens: 1000,
        outputTokens: 500,
        cachedInputTokens: 0,
        estimated: false,
      });
      // 1000 × $2/M + 500 × $10/M
      expect(done.cost).toEqual({ inputUsd: 0.002, outputUsd: 0.005, totalUsd: 0.007 });
    });

    it('reports a failing column as an error event and finishes the others', async () => {
      const stream = await runSse(server, {
        draft: { type: 'text', template: 'ping' },
        models: [
          { provider: 'mock', model: 'ok' },
          { provider: 'local', model: 'broken' },
          { provider: 'anthropic', model: 'claude-sonnet-4' },
        ],
      });
      const errors = eventsOf(stream, 'error');
      expect(errors.map((e) => [e.model, e.row, e.code])).toEqual(
        expect.arrayContaining([
          [1, 0, 'PROVIDER_ERROR'],
          [2, 0, 'PROVIDER_NOT_CONFIGURED'],
        ]),
      );
      expect(errors.find((e) => e.model === 1)?.detail).toContain('400');
      expect(eventsOf(stream, 'done').map((d) => d.model)).toEqual([0]);
    });

    it('runs a stored version, or what an environment serves', async () => {
      await server.call('POST', '/api/v1/prompts', {
        name: 'demo/greet',
        version: { type: 'text', template: 'Greet {{name}} warmly' },
      });
      await server.call('POST', '/api/v1/prompts/demo%2Fgreet/versions', {
        type: 'text',
        template: 'Greet {{name}} briefly',
      });
      await server.call('PUT', '/api/v1/prompts/demo%2Fgreet/deployments/production', { version: 1 });
      const models = [{ provider: 'mock', model: 'm' }];
      const latest = await server.call(
        'POST',
        '/api/v1/playground/runs',
        { prompt: 'demo/greet', variables: { name: 'Ada' }, models },
        { accept: 'application/json' },
      );
      expect(latest.status).toBe(200);
      expect(latest.body.results[0][0].text).toContain('Greet Ada briefly');
      const served = await server.call(
        'POST',
        '/api/v1/playground/runs',
        { prompt: 'demo/greet', env: 'production', variables: { name: 'Ada' }, models },
        { accept: 'application/json' },
      );
      expect(served.body.results[0][0].text).toContain('Greet Ada warmly');
      const missing = await server.call(
        'POST',
        '/api/v1/playground/runs',
        { prompt: 'demo/none', models },
        { accept: 'application/json' },
      );
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('PROMPT_NOT_FOUND');
    });

    it('checks each completion against the output contract of the draft or version run: the verdict rides on done', async () => {
      // Streamed: the verdict comes with the cell's done event, once the completion is whole.
      const stream = await runSse(server, {
        draft: {
          type: 'text',
          template: 'Say {{word}}',
          config: { output: { format: 'text', contains: ['ruobrah'], maxWords: 3 } },
        },
        variables: [{ word: 'harbour' }, { word: 'lighthouse' }],
        models: [{ provider: 'local', model: 'local-model' }],
      });
      const done = eventsOf(stream, 'done').sort((a, b) => a.row - b.row);
      expect(done.map((d) => [d.text, d.contract])).toEqual([
        ['ruobrah yaS', { pass: true, reason: 'the output meets the text contract' }],
        ['esuohthgil yaS', { pass: false, reason: 'the output does not contain "ruobrah"' }],
      ]);
      // A stored version's contract applies the same way; without a contract there is no verdict.
      const created = await server.call('POST', '/api/v1/prompts', {
        name: 'demo/json-out',
        version: {
          type: 'text',
          template: '{{q}}',
          config: { output: { format: 'json', schema: { queue: 'string' } } },
        },
      });
      expect(created.status).toBe(201);
      const matrix = await server.call(
        'POST',
        '/api/v1/playground/runs',
        {
          prompt: 'demo/json-out',
          variables: [{ q: '}"gnilib":"eueuq"{' }, { q: '}3:"eueuq"{' }],
          models: [{ provider: 'local', model: 'local-model' }],
        },
        { accept: 'application/json' },
      );
      expect(matrix.status).toBe(200);
      expect(matrix.body.results[0][0]).toMatchObject({
        text: '{"queue":"biling"}',
        contract: { pass: true },
      });
      expect(matrix.body.results[1][0].contract).toEqual({
        pass: false,
        reason: 'the output JSON breaks the contract schema: queue must be string',
      });
      const plain = await server.call(
        'POST',
        '/api/v1/playground/runs',
        { draft: { type: 'text', template: 'hi' }, models: [{ provider: 'mock', model: 'm' }] },
        { accept: 'application/json' },
      );
      expect(plain.body.results[0][0].status).toBe('done');
      expect(plain.body.results[0][0]).not.toHaveProperty('contract');
    });

    it('checks variables against the input schema of the draft or version: a bad row fails its cells, a bad single run is 422', async () => {
      const draft = {
        type: 'text',
        template: 'Route {{ticket}} ({{priority}})',
        config: { input: { schema: { ticket: 'string', 'priority(enum)': ['low', 'high'] } } },
      };
      const models = [{ provider: 'mock', model: 'm' }];
      const batch = await server.call(
        'POST',
        '/api/v1/playground/runs',
        {
          draft,
          variables: [
            { ticket: 'refund', priority: 'low' },
            { ticket: 7, priority: 'urgent' },
          ],
          models,
        },
        { accept: 'application/json' },
      );
      expect(batch.status).toBe(200);
      expect(batch.body.results[0][0]).toMatchObject({ status: 'done' });
      expect(batch.body.results[1][0]).toMatchObject({ status: 'error', code: 'INPUT_INVALID' });
      expect(batch.body.results[1][0].detail).toContain('variables.ticket must be string');
      expect(batch.body.results[1][0].detail).toContain(
        'variables.priority must be equal to one of the allowed values',
      );
      const single = await server.call(
        'POST',
        '/api/v1/playground/runs',
        { draft, variables: { priority: 'low' }, models },
        { accept: 'application/json' },
      );
      expect(single.status).toBe(422);
      expect(single.body).toMatchObject({
        code: 'INPUT_INVALID',
        errors: [{ path: 'variables.ticket', message: 'is required' }],
      });
      // strict: false skips the check, as render does.
      const loose = await server.call(
        'POST',
        '/api/v1/playground/runs',
        { draft, variables: { ticket: 7, priority: 'urgent' }, models, strict: false },
        { accept: 'application/json' },
      );
      expect(loose.body.results[0][0].status).toBe('done');
    });

    it('answers a batch as the whole matrix with Accept: application/json', async () => {
      const response = await server.call(
        'POST',
        '/api/v1/playground/runs',
        {
          draft: { type: 'text', template: 'Translate {{word}}' },
          variables: [{ word: 'harbour' }, { nothing: true }, { word: 'lighthouse' }],
          models: [
            { provider: 'mock', model: 'a' },
            { provider: 'local', model: 'local-model' },
          ],
        },
        { accept: 'application/json' },
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      const { models, rows, results } = response.body;
      expect(models).toEqual([
        { provider: 'mock', model: 'a' },
        { provider: 'local', model: 'local-model' },
      ]);
      expect(rows).toBe(3);
      expect(results).toHaveLength(3);
      expect(results[0][0]).toMatchObject({ status: 'done', model: 0, row: 0 });
      expect(results[0][0].text).toContain('harbour');
      expect(results[0][1]).toMatchObject({ status: 'done', model: 1, row: 0, text: 'ruobrah etalsnarT' });
      expect(results[1].map((c: { status: string; code: string }) => [c.status, c.code])).toEqual([
        ['error', 'TEMPLATE_VARIABLE_MISSING'],
        ['error', 'TEMPLATE_VARIABLE_MISSING'],
      ]);
      expect(results[2][1]).toMatchObject({
        status: 'done',
        text: 'esuohthgil etalsnarT',
        cost: { totalUsd: 0.007 },
      });
    });

    it('rejects malformed runs before streaming anything', async () => {
      const models = [{ provider: 'mock', model: 'm' }];
      const both = await server.call('POST', '/api/v1/playground/runs', {
        draft: { type: 'text', template: 'x' },
        prompt: 'demo/greet',
        models,
      });
      expect(both.status).toBe(422);
      expect(both.headers.get('content-type')).toMatch(/problem\+json/);
      const five = await server.call('POST', '/api/v1/playground/runs', {
        draft: { type: 'text', template: 'x' },
        models: Array(5).fill(models[0]),
      });
      expect(five.status).toBe(422);
      expect(five.body.errors[0].path).toBe('models');
      const missing = await server.call('POST', '/api/v1/playground/runs', {
        draft: { type: 'text', template: '{{x}}' },
        models,
      });
      expect(missing.status).toBe(422);
      expect(missing.body.code).toBe('TEMPLATE_VARIABLE_MISSING');
    });

    it('aborts the provider calls when the client disconnects', async () => {
      const aborted = wire.aborted;
      const stream = await openSse(`${server.url}/api/v1/playground/runs`, server.apiKey, {
        method: 'POST',
        body: {
          draft: { type: 'text', template: 'wait for it' },
          models: [{ provider: 'local', model: 'slow' }],
        },
      });
      await stream.next((e) => e.event === 'delta');
      stream.close();
      await eventually(() => wire.aborted === aborted + 1);
    });
  });
}
