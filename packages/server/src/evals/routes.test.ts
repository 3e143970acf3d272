import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseSse } from '@promptline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestClient,
  DIALECTS,
  p,
  startTestServer,
  type TestClient,
  type TestServer,
} from '../test-helpers/index.ts';

const d = (name: string) => `/api/v1/datasets/${encodeURIComponent(name)}`;

/** An OpenAI-compatible server on 127.0.0.1:0 answering from a script, after `delayMs`. */
async function startScriptedModel(answer: (prompt: string) => string) {
  let delayMs = 0;
  let calls = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      calls++;
      const request = JSON.parse(body) as { model: string; messages: { role: string; content: string }[] };
      const prompt = request.messages.at(-1)?.content ?? '';
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: `chatcmpl-${calls}`,
            object: 'chat.completion',
            created: 0,
            model: request.model,
            choices: [
              { index: 0, message: { role: 'assistant', content: answer(prompt) }, finish_reason: 'stop' },
            ],
            usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
          }),
        );
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    setDelay(ms: number) {
      delayMs = ms;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const CAPITALS: Record<string, string> = { France: 'Paris', Italy: 'Rome', Spain: 'Madrid' };
/** v1 ("What is…") gets Italy wrong; v2 ("Capital city…") gets Spain wrong. */
function scriptedAnswer(prompt: string): string {
  const country = Object.keys(CAPITALS).find((c) => prompt.includes(c)) ?? 'France';
  if (prompt.startsWith('Capital city') && country === 'Spain') return 'Barcelona';
  if (prompt.startsWith('What is') && country === 'Italy') return 'Milan';
  return CAPITALS[country] ?? '';
}

async function waitForEnd(api: TestClient, id: number) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const run = await api.get(`/api/v1/eval-runs/${id}`);
    if (['completed', 'failed', 'cancelled'].includes(run.body.status)) return run.body;
    if (Date.now() > deadline) throw new Error(`run ${id} did not finish: ${JSON.stringify(run.body)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const dialect of DIALECTS) {
  describe(dialect, () => {
    let server: TestServer;
    let api: TestClient;
    let model: Awaited<ReturnType<typeof startScriptedModel>>;
    let runA: number;

    beforeAll(async () => {
      server = await startTestServer({ dialect });
      api = createTestClient(server.app, server.apiKey);
      model = await startScriptedModel(scriptedAnswer);
      await api.post('/api/v1/prompts', {
        name: 'qa/capital',
        version: { type: 'text', template: 'What is the capital of {{country}}?' },
      });
      await api.post(`${p('qa/capital')}/versions`, {
        type: 'text',
        template: 'Capital city of {{country}}? One word.',
      });
      await api.post('/api/v1/datasets', {
        name: 'capitals',
        items: Object.entries(CAPITALS).map(([country, city]) => ({
          variables: { country },
          expected: city,
        })),
      });
    });
    afterAll(async () => {
      await server?.close();
      await model?.close();
    });

    const scripted = () => ({ provider: 'local', model: 'scripted-1', baseUrl: model.baseUrl });

    it('runs a version over a dataset against a real OpenAI-compatible server and stores every result', async () => {
      const started = await api.post('/api/v1/eval-runs', {
        prompt: 'qa/capital',
        versions: [1],
        dataset: 'capitals',
        models: [scripted()],
      });
      expect(started.status).toBe(202);
      expect(started.body).toMatchObject({
        status: 'queued',
        dataset: { name: 'capitals', revision: 1 },
        progress: { total: 3 },
      });
      runA = started.body.id;
      const run = await waitForEnd(api, runA);
      expect(run).toMatchObject({
        status: 'completed',
        versions: [1],
        progress: { done: 3, passed: 2, failed: 1 },
      });
      expect(run.summary).toHaveLength(1);
      expect(run.summary[0]).toMatchObject({
        version: 1,
        model: 'local:scripted-1',
        total: 3,
        passed: 2,
        errors: 0,
      });
      expect(run.summary[0].passRate).toBeCloseTo(2 / 3);
      expect(run.summary[0].latencyP95Ms).toBeGreaterThan(0);
      // No thresholds stored: every case must pass.
      expect(run.thresholdsMet).toBe(false);
      expect(run.verdicts[0].reasons[0]).toMatch(/1 of 3 cases failed/);

      const results = await api.get(`/api/v1/eval-runs/${runA}/results`);
      expect(results.body.items).toHaveLength(3);
      const failed = await api.get(`/api/v1/eval-runs/${runA}/results?status=failed`);
      expect(failed.body.items).toHaveLength(1);
      expect(failed.body.items[0]).toMatchObject({
        itemId: 2,
        version: 1,
        output: 'Milan',
        pass: false,
        variables: { country: 'Italy' },
        tokens: { input: 10, output: 2 },
        assertions: [{ type: 'equals', pass: false }],
      });
      const page = await api.get(`/api/v1/eval-runs/${runA}/results?limit=2`);
      expect(page.body.nextCursor).not.toBeNull();
      const listed = await api.get('/api/v1/eval-runs?prompt=qa/capital');
      expect(listed.body.items.map((r: { id: number }) => r.id)).toContain(runA);
    });

    it('checks stored thresholds and compares with a baseline: a regression and a fix', async () => {
      const put = await api.put(`${p('qa/capital')}/thresholds`, { minPassRate: 0.6, noRegressions: true });
      expect(put.status).toBe(200);
      expect((await api.get(`${p('qa/capital')}/thresholds`)).body).toEqual({
        minPassRate: 0.6,
        noRegressions: true,
      });
      const started = await api.post('/api/v1/eval-runs', {
        prompt: 'qa/capital',
        versions: [2],
        dataset: { name: 'capitals', revision: 1 },
        models: [scripted()],
        baseline: runA,
      });
      const run = await waitForEnd(api, started.body.id);
      expect(run).toMatchObject({
        status: 'completed',
        baseline: runA,
        thresholds: { minPassRate: 0.6, noRegressions: true },
      });
      expect(run.thresholdsMet).toBe(false);
      expect(run.verdicts).toEqual([
        {
          version: 2,
          thresholdsMet: false,
          reasons: ['local:scripted-1: 1 regression(s) against the baseline'],
        },
      ]);

      const compare = await api.get(`/api/v1/eval-runs/${run.id}/compare?baseline=${runA}`);
      expect(compare.status).toBe(200);
      expect(compare.body.overall).toMatchObject({ compared: 3, regressions: 1, fixes: 1, added: 0 });
      expect(compare.body.regressions).toEqual([
        expect.objectContaining({
          itemId: 3,
          version: 2,
          before: { pass: true, score: 1 },
          after: expect.objectContaining({ pass: false }),
        }),
      ]);
      expect(compare.body.fixes).toEqual([
        expect.objectContaining({ itemId: 2, before: { pass: false, score: 0 } }),
      ]);

      // Without the regression gate, a 2/3 pass rate meets minPassRate 0.6.
      const overridden = await api.post('/api/v1/eval-runs', {
        prompt: 'qa/capital',
        versions: [2],
        dataset: 'capitals',
        models: [scripted()],
        threshold: { minPassRate: 0.6, maxLatencyP95Ms: 60_000 },
      });
      const ok = await waitForEnd(api, overridden.body.id);
      expect(ok.thresholdsMet).toBe(true);
      expect(ok.summary[0]).toMatchObject({ thresholdsMet: true, reasons: [] });
      const audit = await api.get(`/api/v1/audit?target=${ok.id}`);
      expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual([
        'eval_run.complete',
        'eval_run.create',
      ]);
    });

    it('records the dataset revision it used: an edited dataset does not change an old run', async () => {
      await api.patch(`${d('capitals')}/items/2`, { expected: 'Milan' });
      const started = await api.post('/api/v1/eval-runs', {
        prompt: 'qa/capital',
        versions: [1],
        dataset: 'capitals',
        models: [scripted()],
      });
      const run = await waitForEnd(api, started.body.id);
      expect(run.dataset).toEqual({ name: 'capitals', revision: 2 });
      expect(run.progress.passed).toBe(3);
      expect((await api.get(`/api/v1/eval-runs/${runA}`)).body.dataset).toEqual({
        name: 'capitals',
        revision: 1,
      });
    });

    it('runs several versions on the mock provider with run-level assertions and template variables', async () => {
      const started = await api.post('/api/v1/eval-runs', {
        prompt: 'qa/capital',
        versions: [1, 2],
        dataset: 'capitals',
        models: [{ provider: 'mock', model: 'echo' }],
        assertions: [{ type: 'icontains', value: '{{country}}' }],
        threshold: {},
      });
      const run = await waitForEnd(api, started.body.id);
      expect(run.status).toBe('completed');
      expect(run.summary.map((g: { version: number; total: number }) => [g.version, g.total])).toEqual([
        [1, 3],
        [2, 3],
      ]);
      const results = (await api.get(`/api/v1/eval-runs/${run.id}/results?version=2`)).body.items;
      expect(results[0].output).toMatch(/Capital city of France/);
      expect(results[0].assertions[0]).toMatchObject({ type: 'icontains', pass: true });
    });

    it('refuses runs it cannot start', async () => {
      const unknown = await api.post('/api/v1/eval-runs', {
        prompt: 'qa/capital',
        dataset: 'nope',
        models: [{ provider: 'mock', model: 'm' }],
      });
      expect(unknown.body.code).toBe('DATASET_NOT_FOUND');
      const badVersion = await api.post('/api/v1/eval-runs', {
        prompt: 'qa/capital',
        versions: [9],
        dataset: 'capitals',
        models: [{ provider: 'mock', model: 'm' }],
      });
      expect(badVersion.body.code).toBe('VERSION_NOT_FOUND');
      const badAssertion = await api.post('/api/v1/eval-runs', {
        prompt: 'qa/capital',
        dataset: 'capitals',
        models: [{ provider: 'mock', model: 'm' }],
        assertions: [{ type: 'python', value: 'x' }],
      });
      expect(badAssertion.status).toBe(422);
      expect(badAssertion.body.errors[0].path).toBe('assertions.0');
      const noKey = await api.post('/api/v1/eval-runs', {
        prompt: 'qa/capital',
        dataset: 'capitals',
        models: [{ provider: 'openai', model: 'gpt-4o' }],
      });
      expect(noKey.body.code).toBe('PROVIDER_NOT_CONFIGURED');
    });

    it('streams progress and results as server-sent events until the end', async () => {
      model.setDelay(20);
      const started = await api.post('/api/v1/eval-runs', {
        prompt: 'qa/capital',
        versions: [1, 2],
        dataset: 'capitals',
        models: [scripted()],
        repeat: 2,
        concurrency: 2,
      });
      const response = await fetch(`${server.url}/api/v1/eval-runs/${started.body.id}/events`, {
        headers: { authorization: `Bearer ${server.apiKey}` },
      });
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      // The shared SSE writer's headers: proxies must neither buffer nor transform the stream.
      expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
      expect(response.headers.get('x-accel-buffering')).toBe('no');
      const events: { event: string; data: string }[] = [];
      for await (const message of parseSse(response.body as ReadableStream<Uint8Array>)) {
        events.push({ event: message.event ?? 'message', data: message.data });
      }
      model.setDelay(0);
      const results = events.filter((e) => e.event === 'result');
      const progress = events.filter((e) => e.event === 'progress').map((e) => JSON.parse(e.data));
      expect(results).toHaveLength(12);
      expect(progress.length).toBeGreaterThan(1);
      expect(progress.at(-1)).toMatchObject({ done: 12, total: 12 });
      for (let i = 1; i < progress.length; i++)
        expect(progress[i].done).toBeGreaterThanOrEqual(progress[i - 1].done);
      expect(events.at(-1)?.event).toBe('end');
      expect(JSON.parse(events.at(-1)?.data ?? '{}')).toMatchObject({ status: 'completed' });
    });

    it('cancels a running run and keeps the results so far', async () => {
      await api.post('/api/v1/datasets', {
        name: 'many',
        items: Array.from({ length: 30 }, (_, i) => ({ variables: { country: `Country ${i}` } })),
      });
      model.setDelay(100);
      try {
        const started = await api.post('/api/v1/eval-runs', {
          prompt: 'qa/capital',
          versions: [1],
          dataset: 'many',
          models: [scripted()],
          concurrency: 1,
        });
        const deadline = Date.now() + 10_000;
        while ((await api.get(`/api/v1/eval-runs/${started.body.id}`)).body.status !== 'running') {
          if (Date.now() > deadline) throw new Error('the run never started');
          await new Promise((r) => setTimeout(r, 20));
        }
        const cancelled = await api.post(`/api/v1/eval-runs/${started.body.id}/cancel`);
        expect(cancelled.status).toBe(200);
        const run = await waitForEnd(api, started.body.id);
        expect(run.status).toBe('cancelled');
        expect(run.progress.done).toBeLessThan(30);
        const stored = await api.get(`/api/v1/eval-runs/${run.id}/results?limit=1000`);
        expect(stored.body.items).toHaveLength(run.progress.done);
        expect((await api.post(`/api/v1/eval-runs/${run.id}/cancel`)).status).toBe(409);
      } finally {
        model.setDelay(0);
      }
    });

    it('stores an uploaded CLI results file (JSON and JSONL) as a completed cli run', async () => {
      const result = (caseIndex: number, pass: boolean) => ({
        key: `prompt-1|openai:chat:gpt-4.1-mini|case${caseIndex}|0`,
        promptId: 'prompt-1',
        promptLabel: 'prompts/triage.txt',
        providerId: 'openai:chat:gpt-4.1-mini',
        providerLabel: 'openai:chat:gpt-4.1-mini',
        caseIndex,
        repeatIndex: 0,
        description: `case ${caseIndex}`,
        vars: { q: String(caseIndex) },
        prompt: 'p',
        output: pass ? 'yes' : 'no',
        toolCalls: [],
        error: null,
        pass,
        score: pass ? 1 : 0,
        reason: pass ? 'All assertions passed' : 'Expected yes',
        assertions: [{ type: 'equals', pass, score: pass ? 1 : 0, reason: '', weight: 1 }],
        namedScores: {},
        latencyMs: 40,
        usage: { inputTokens: 5, outputTokens: 1, cachedInputTokens: 0, estimated: false },
        costUsd: 0.001,
        cached: false,
      });
      const doc = {
        version: 1,
        description: null,
        results: [result(0, true), result(1, false)],
        summary: {},
        thresholds: { met: false },
      };
      const json = await api.post(`/api/v1/eval-runs/import?prompt=qa/capital`, doc);
      expect(json.status).toBe(201);
      expect(json.body).toMatchObject({
        source: 'cli',
        status: 'completed',
        prompt: 'qa/capital',
        progress: { done: 2, total: 2, passed: 1 },
        models: ['openai:chat:gpt-4.1-mini'],
      });
      expect(json.body.summary[0]).toMatchObject({
        version: null,
        promptLabel: 'prompts/triage.txt',
        passRate: 0.5,
      });
      expect(json.body.thresholdsMet).toBe(false);

      const jsonl = [result(0, true), result(1, true)].map((r) => JSON.stringify(r)).join('\n');
      const fromJsonl = await api.post('/api/v1/eval-runs/import', jsonl, {
        'content-type': 'application/x-ndjson',
      });
      expect(fromJsonl.status).toBe(201);
      expect(fromJsonl.body).toMatchObject({ prompt: null, thresholdsMet: true });
      const compare = await api.get(
        `/api/v1/eval-runs/${fromJsonl.body.id}/compare?baseline=${json.body.id}`,
      );
      expect(compare.body.overall).toMatchObject({ compared: 2, fixes: 1, regressions: 0 });
      const results = await api.get(`/api/v1/eval-runs/${json.body.id}/results?status=failed`);
      expect(results.body.items[0]).toMatchObject({ output: 'no', variables: { q: '1' }, costUsd: 0.001 });

      const bad = await api.post(
        '/api/v1/eval-runs/import',
        '{"key":"k","pass":true,"promptId":"p","providerId":"x"}\n{"nope":1}',
        {
          'content-type': 'application/x-ndjson',
        },
      );
      expect(bad.status).toBe(422);
      expect(bad.body.errors[0].path).toBe('line 2.key');
    });

    it('links an uploaded run to the registry versions and the dataset revision its results name', async () => {
      const countries = Object.keys(CAPITALS);
      /** A result as `promptline eval` writes it for `{ registry: qa/capital, version }` over dataset items. */
      const result = (version: number, itemId: number, pass: boolean, name = 'qa/capital') => ({
        key: `prompt-${version}|local:scripted-1|case${itemId}|0`,
        promptId: `prompt-${version}`,
        promptLabel: `${name}@${version}`,
        providerId: 'local:scripted-1',
        providerLabel: 'local:scripted-1',
        caseIndex: itemId - 1,
        repeatIndex: 0,
        description: null,
        vars: { country: countries[itemId - 1] },
        prompt: 'p',
        output: pass ? 'right' : 'wrong',
        toolCalls: [],
        error: null,
        pass,
        score: pass ? 1 : 0,
        reason: '',
        assertions: [{ type: 'equals', pass, score: pass ? 1 : 0, reason: '', weight: 1 }],
        namedScores: {},
        latencyMs: 10,
        usage: null,
        costUsd: null,
        cached: false,
        registry: { name, version },
        item: { dataset: 'capitals', revision: 2, itemId },
        metadata: { source: 'fixture' },
      });
      const ndjson = { 'content-type': 'application/x-ndjson' };
      const lines = (rs: object[]) => rs.map((r) => JSON.stringify(r)).join('\n');

      // No ?prompt=: the run is filed under the one registry prompt its results name.
      const v1 = await api.post(
        '/api/v1/eval-runs/import',
        lines([result(1, 1, true), result(1, 2, true), result(1, 3, true)]),
        ndjson,
      );
      expect(v1.status).toBe(201);
      expect(v1.body).toMatchObject({
        prompt: 'qa/capital',
        versions: [1],
        dataset: { name: 'capitals', revision: 2 },
        // The prompt's stored thresholds apply to a run linked this way.
        thresholds: { minPassRate: 0.6, noRegressions: true },
      });
      expect(v1.body.summary.map((g: { version: number }) => g.version)).toEqual([1]);

      const both = await api.post(
        '/api/v1/eval-runs/import',
        lines([result(1, 1, true), result(2, 1, true), result(2, 2, true), result(2, 3, false)]),
        ndjson,
      );
      expect(both.body).toMatchObject({ prompt: 'qa/capital', versions: [1, 2] });
      expect(both.body.summary.map((g: { version: number; total: number }) => [g.version, g.total])).toEqual([
        [1, 1],
        [2, 3],
      ]);
      const v2 = await api.get(`/api/v1/eval-runs/${both.body.id}/results?version=2&status=failed`);
      expect(v2.body.items).toEqual([
        expect.objectContaining({ version: 2, itemId: 3, caseIndex: 2, variables: { country: 'Spain' } }),
      ]);
      // Cases pair by dataset item across versions: v2 on item 3 regresses against v1.
      const compare = await api.get(`/api/v1/eval-runs/${both.body.id}/compare?baseline=${v1.body.id}`);
      expect(compare.body.regressions).toEqual([
        expect.objectContaining({ itemId: 3, version: 2, before: { pass: true, score: 1 } }),
      ]);
      const listed = await api.get('/api/v1/eval-runs?prompt=qa/capital');
      expect(listed.body.items.map((r: { id: number }) => r.id)).toContain(both.body.id);

      // Results of two prompts (or of a prompt this project lacks) link to no prompt and no version.
      const mixed = await api.post(
        '/api/v1/eval-runs/import',
        lines([result(1, 1, true), result(4, 1, true, 'elsewhere/other')]),
        ndjson,
      );
      expect(mixed.status).toBe(201);
      expect(mixed.body).toMatchObject({ prompt: null, versions: [], dataset: { name: 'capitals' } });
      expect(mixed.body.summary.every((g: { version: number | null }) => g.version === null)).toBe(true);
      const unlinked = await api.get(`/api/v1/eval-runs/${mixed.body.id}/results`);
      expect(unlinked.body.items.map((r: { version: number | null }) => r.version)).toEqual([null, null]);
      const unknown = await api.post(
        '/api/v1/eval-runs/import',
        lines([result(1, 1, true, 'elsewhere/other')]),
        ndjson,
      );
      expect(unknown.body).toMatchObject({ prompt: null, versions: [] });

      // ?prompt= wins: results of another registry prompt keep no version.
      const named = await api.post(
        '/api/v1/eval-runs/import?prompt=qa/capital',
        lines([result(2, 1, true), result(4, 2, true, 'elsewhere/other')]),
        ndjson,
      );
      expect(named.body).toMatchObject({ prompt: 'qa/capital', versions: [2] });

      const bad = await api.post(
        '/api/v1/eval-runs/import',
        lines([{ ...result(1, 1, true), registry: { name: 'qa/capital', version: 'latest' } }]),
        ndjson,
      );
      expect(bad.status).toBe(422);
      expect(bad.body.errors[0].path).toBe('line 1.registry.version');
    });

    it('refuses a malformed upload with 422 naming the field, writes nothing, and every read still works', async () => {
      const good = { key: 'k|m|c|0', promptId: 'p', providerId: 'm', pass: true };
      const before = (await api.get('/api/v1/eval-runs?limit=500')).body.items.length;
      const cases: [Record<string, unknown>, string][] = [
        [{ vars: [1, 2] }, 'results.1.vars'],
        [{ caseIndex: -1 }, 'results.1.caseIndex'],
        [{ assertions: [null] }, 'results.1.assertions.0'],
        [{ latencyMs: 'fast' }, 'results.1.latencyMs'],
        [{ usage: { inputTokens: -3, outputTokens: 1 } }, 'results.1.usage.inputTokens'],
      ];
      for (const [change, path] of cases) {
        const response = await api.post('/api/v1/eval-runs/import', {
          results: [good, { ...good, ...change }],
        });
        expect(response.status, path).toBe(422);
        expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
        expect(response.body.errors[0].path).toBe(path);
      }
      const after = await api.get('/api/v1/eval-runs?limit=500');
      expect(after.status).toBe(200);
      expect(after.body.items).toHaveLength(before);
      const ok = await api.post('/api/v1/eval-runs/import', { results: [good] });
      expect(ok.status).toBe(201);
      expect((await api.get(`/api/v1/eval-runs/${ok.body.id}/results`)).status).toBe(200);
    });

    it('resumes a run whose instance died once its lease expires: results replaced, not duplicated', async () => {
      const total = (await api.get(`/api/v1/eval-runs/${runA}`)).body.progress.total;
      // As a SIGKILLed instance leaves it: the run running, its job held under a lease nobody renews.
      await server.database.exec(
        `update eval_runs set status = 'running', finished_at = null, summary = null where id = ${runA}`,
      );
      await server.database.exec(
        `update jobs set status = 'running', lease_owner = 'dead-instance', lease_expires_at = '2000-01-01T00:00:00.000Z', finished_at = null where key = 'eval.run:${runA}'`,
      );
      const run = await waitForEnd(api, runA);
      expect(run).toMatchObject({ status: 'completed', progress: { done: total, passed: 2, failed: 1 } });
      const results = await api.get(`/api/v1/eval-runs/${runA}/results?limit=1000`);
      expect(results.body.items).toHaveLength(total);
      const jobs = await api.get('/api/v1/jobs?kind=eval.run&limit=500');
      const job = jobs.body.items.find((j: { payload: { runId: number } }) => j.payload.runId === runA);
      expect(job).toMatchObject({ status: 'succeeded', attempts: 2, leaseOwner: null });
    });

    it('answers EVAL_RUN_FINISHED when cancelling a finished run', async () => {
      const response = await api.post(`/api/v1/eval-runs/${runA}/cancel`);
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('EVAL_RUN_FINISHED');
    });
  });
}
