import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEval } from '@promptline/core/node';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiError } from '../errors.ts';
import { createUploadSink, uploadEvalResults } from './upload.ts';
import { createResultWriter } from './writers.ts';

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startTestServer({ dialect: 'sqlite' });
  dir = await mkdtemp(join(tmpdir(), 'promptline-upload-test-'));
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

const suite = {
  description: 'upload',
  prompts: [{ id: 'p1', label: 'greeting', content: { type: 'text' as const, template: 'Hello {{name}}' } }],
  providers: [{ id: 'echo', label: 'echo', target: { kind: 'echo' as const }, parameters: {} }],
  cases: [
    { description: 'ada', vars: { name: 'Ada' }, assert: [{ type: 'contains', value: 'Ada' }] },
    { description: 'bob', vars: { name: 'Bob' }, assert: [{ type: 'contains', value: 'Alice' }] },
  ],
  repeat: 1,
  maxConcurrency: 2,
};

it('uploads a JSON results file written by the eval writers as a cli run', async () => {
  const file = join(dir, 'results.json');
  await runEval(suite, { sinks: [createResultWriter(file, 'upload')] });
  const run = await uploadEvalResults(file, { url: server.url, apiKey: server.apiKey });
  expect(run).toMatchObject({
    source: 'cli',
    status: 'completed',
    progress: { done: 2, passed: 1 },
    thresholdsMet: false,
  });
});

it('uploads from a sink when the run ends, and reports refusals as ApiError', async () => {
  const sink = await createUploadSink({ url: server.url, apiKey: server.apiKey });
  await runEval(suite, { sinks: [sink] });
  expect(sink.run).toMatchObject({ source: 'cli', progress: { done: 2 } });
  const fetched = await fetch(`${server.url}/api/v1/eval-runs/${sink.run?.id}/results?status=failed`, {
    headers: { authorization: `Bearer ${server.apiKey}` },
  });
  expect(((await fetched.json()) as { items: { output: string }[] }).items[0]?.output).toBe('Hello Bob');
  await expect(
    uploadEvalResults(join(dir, 'results.json'), {
      url: server.url,
      apiKey: server.apiKey,
      prompt: 'missing',
    }),
  ).rejects.toBeInstanceOf(ApiError);
});
