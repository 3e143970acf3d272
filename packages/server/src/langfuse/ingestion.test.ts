import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { p } from '../test-helpers/client.ts';
import { spanIdOf, traceIdOf } from './mapping.ts';
import { describeLangfuse } from './test-helpers/langfuse.ts';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describeLangfuse((ctx) => {
  const native = async (path: string) => {
    const { server } = ctx();
    const response = await fetch(`${server.url}${path}`, { headers: bearer(server.apiKey) });
    return { status: response.status, body: await response.json() };
  };
  const ingest = async (batch: unknown[]) => {
    const response = await ctx().call('/api/public/ingestion', { body: { batch } });
    return { status: response.status, body: await response.json() };
  };
  const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

  it('trace() / generation() / score() + flushAsync() land as a span and a score in traces and metrics', async () => {
    const { client } = ctx();
    const langfuse = client({ environment: 'production' });
    await langfuse.createPrompt({ name: 'traced/answer', prompt: 'Answer {{q}}', labels: ['production'] });
    const prompt = await langfuse.getPrompt('traced/answer', undefined, { cacheTtlSeconds: 0 });

    const trace = langfuse.trace({
      name: 'support-chat',
      userId: 'user-42',
      sessionId: 'session-7',
      tags: ['web'],
    });
    const generation = trace.generation({
      name: 'answer',
      model: 'gpt-4o-mini',
      input: [{ role: 'user', content: prompt.compile({ q: 'refunds?' }) }],
      prompt,
      metadata: { channel: 'web', attempt: 1 },
    });
    const step = trace.span({ name: 'retrieval', input: { query: 'refunds' } });
    step.end({ output: { documents: 3 } });
    generation.end({ output: 'Refunds take 5 days.', usage: { input: 120, output: 30 } });
    trace.score({ name: 'helpfulness', value: 0.9, comment: 'good' });
    generation.score({ name: 'thumbs', value: 1, dataType: 'BOOLEAN' });
    await langfuse.flushAsync();

    // The Langfuse trace id, a UUID, is the Promptline trace id without its dashes.
    const traceId = trace.id.replaceAll('-', '');
    const list = await native('/api/v1/traces?prompt=traced%2Fanswer');
    expect(list.body.items.map((t: { traceId: string }) => t.traceId)).toEqual([traceId]);
    const detail = await native(`/api/v1/traces/${traceId}`);
    expect(detail.status).toBe(200);
    const spans = detail.body.spans;
    expect(spans).toHaveLength(2);
    const answer = spans.find((s: { name: string }) => s.name === 'answer');
    expect(answer).toMatchObject({
      spanId: spanIdOf(generation.id),
      prompt: { name: 'traced/answer', version: 1, environment: 'production' },
      model: 'gpt-4o-mini',
      usage: { input: 120, output: 30 },
      output: 'Refunds take 5 days.',
      userId: 'user-42',
      sessionId: 'session-7',
      status: 'ok',
    });
    expect(answer.attributes).toMatchObject({
      'langfuse.trace.name': 'support-chat',
      'langfuse.metadata.channel': 'web',
      'langfuse.observation.type': 'generation',
    });
    expect(answer.scores.map((s: { name: string; value: unknown }) => [s.name, s.value]).sort()).toEqual([
      ['helpfulness', 0.9],
      ['thumbs', true],
    ]);
    expect(spans.find((s: { name: string }) => s.name === 'retrieval').output).toEqual({ documents: 3 });

    const metrics = await native(`${p('traced/answer')}/metrics?env=production&interval=1h`);
    expect(metrics.body.versions).toMatchObject([
      {
        version: 1,
        count: 1,
        tokens: { input: 120, output: 30 },
        scores: { helpfulness: { mean: 0.9, count: 1 }, thumbs: { mean: 1, count: 1 } },
      },
    ]);
  });

  it('an update in a later batch merges into its create: the span is written once it has ended', async () => {
    const traceId = randomUUID();
    const generationId = randomUUID();
    const first = await ingest([
      {
        id: 'e1',
        type: 'trace-create',
        timestamp: at(0),
        body: { id: traceId, name: 'split', userId: 'u-1' },
      },
      {
        id: 'e2',
        type: 'generation-create',
        timestamp: at(0),
        body: {
          id: generationId,
          traceId,
          name: 'gen',
          startTime: at(-2_000),
          model: 'gpt-4o-mini',
          input: 'hi',
        },
      },
      {
        id: 'e3',
        type: 'score-create',
        body: { id: randomUUID(), traceId, observationId: generationId, name: 'quality', value: 4 },
      },
    ]);
    expect(first.status).toBe(207);
    expect(first.body).toEqual({
      successes: [
        { id: 'e1', status: 201 },
        { id: 'e2', status: 201 },
        { id: 'e3', status: 201 },
      ],
      errors: [],
    });
    // Not ended yet: nothing is a span.
    expect((await native(`/api/v1/traces/${traceIdOf(traceId)}`)).status).toBe(404);

    const second = await ingest([
      {
        id: 'e4',
        type: 'generation-update',
        body: {
          id: generationId,
          endTime: at(0),
          output: 'hello',
          usage: { promptTokens: 7, completionTokens: 3 },
        },
      },
    ]);
    expect(second.body).toEqual({ successes: [{ id: 'e4', status: 201 }], errors: [] });
    const detail = await native(`/api/v1/traces/${traceIdOf(traceId)}`);
    expect(detail.body.spans).toMatchObject([
      {
        name: 'gen',
        input: 'hi',
        output: 'hello',
        model: 'gpt-4o-mini',
        usage: { input: 7, output: 3 },
        userId: 'u-1',
      },
    ]);
    expect(detail.body.spans[0].durationMs).toBeGreaterThanOrEqual(1_900);
    // The score that waited for its span is attached to it.
    expect(detail.body.spans[0].scores).toMatchObject([{ name: 'quality', value: 4 }]);

    // After the end the span is immutable: a further update is refused, per event.
    const late = await ingest([
      { id: 'e5', type: 'generation-update', body: { id: generationId, output: 'changed' } },
    ]);
    expect(late.body.successes).toEqual([]);
    expect(late.body.errors).toMatchObject([{ id: 'e5', status: 409 }]);
    expect(late.body.errors[0].message).toMatch(/updates after the end are not applied/);
  });

  it('an end that arrives before its create, or in an overlapping request, still makes one complete span', async () => {
    const traceId = randomUUID();
    const ids = Array.from({ length: 12 }, () => randomUUID());
    const creates = ids.map((id, i) => ({
      id: `c${i}`,
      type: 'generation-create',
      body: { id, traceId, name: `gen-${i}`, startTime: at(-1_000), model: 'gpt-4o-mini' },
    }));
    const ends = ids.map((id, i) => ({
      id: `u${i}`,
      type: 'generation-update',
      body: { id, traceId, endTime: at(0), output: `out-${i}` },
    }));
    // In order of arrival: the end first, then the create.
    expect((await ingest(ends.slice(0, 4))).body.errors).toEqual([]);
    expect((await ingest(creates.slice(0, 4))).body.errors).toEqual([]);
    // Overlapping requests, as an SDK flushing twice in a row sends them.
    const overlapping = await Promise.all([
      ingest(creates.slice(4, 8)),
      ingest(ends.slice(4, 8)),
      ingest(ends.slice(8)),
      ingest(creates.slice(8)),
    ]);
    for (const response of overlapping) expect(response.body.errors).toEqual([]);
    const detail = await native(`/api/v1/traces/${traceIdOf(traceId)}`);
    const spans = detail.body.spans.map((s: { name: string; output: string; model: string }) => [
      s.name,
      s.output,
      s.model,
    ]);
    expect(spans.sort()).toEqual(ids.map((_, i) => [`gen-${i}`, `out-${i}`, 'gpt-4o-mini']).sort());
  });

  it('a re-sent batch changes nothing: no second span, no second score', async () => {
    const traceId = randomUUID();
    const spanId = randomUUID();
    const batch = [
      { id: 'r1', type: 'trace-create', body: { id: traceId, name: 'retry' } },
      {
        id: 'r2',
        type: 'span-create',
        body: { id: spanId, traceId, name: 'step', startTime: at(-100), endTime: at(0) },
      },
      { id: 'r3', type: 'score-create', body: { id: 'score-r3', traceId, name: 'ok', value: 1 } },
    ];
    expect((await ingest(batch)).body.errors).toEqual([]);
    expect((await ingest(batch)).body.errors).toEqual([]);
    const detail = await native(`/api/v1/traces/${traceIdOf(traceId)}`);
    expect(detail.body.spans).toHaveLength(1);
    expect(detail.body.spans[0].scores).toHaveLength(1);
  });

  it('bad events are refused one by one (400 with the reason); the rest of the batch is stored', async () => {
    const traceId = randomUUID();
    const result = await ingest([
      {
        id: 'ok-1',
        type: 'event-create',
        body: { id: randomUUID(), traceId, name: 'clicked', startTime: at(0) },
      },
      { id: 'bad-1', type: 'generation-create', body: { id: randomUUID(), traceId, startTime: 'yesterday' } },
      { id: 'bad-2', type: 'dataset-run-item-create', body: {} },
      { id: 'bad-3', type: 'score-create', body: { traceId, name: 'no value' } },
      { type: 'trace-create', body: {} },
      { id: 'bad-5', type: 'span-update', body: { id: 'never-created', name: 'orphan' } },
      { id: 'ok-2', type: 'sdk-log', body: { log: 'hello' } },
    ]);
    expect(result.status).toBe(207);
    expect(result.body.successes).toEqual([
      { id: 'ok-2', status: 201 },
      { id: 'ok-1', status: 201 },
    ]);
    const errors = Object.fromEntries(
      result.body.errors.map((e: { id: string; message: string }) => [e.id, e]),
    );
    expect(Object.keys(errors).sort()).toEqual(['bad-1', 'bad-2', 'bad-3', 'bad-5', 'batch.4']);
    expect(errors['bad-1'].message).toMatch(/startTime/);
    expect(errors['bad-2'].message).toMatch(/not supported/);
    expect(errors['bad-5']).toMatchObject({ status: 400, message: expect.stringMatching(/no traceId/) });
    const detail = await native(`/api/v1/traces/${traceIdOf(traceId)}`);
    expect(detail.body.spans).toMatchObject([{ name: 'clicked' }]);
  });

  it('a batch that is not a batch is a 422 problem; a bad key a 401', async () => {
    const { call } = ctx();
    const invalid = await call('/api/public/ingestion', { body: { events: [] } });
    expect(invalid.status).toBe(422);
    expect(await invalid.json()).toMatchObject({ code: 'VALIDATION_FAILED', error: 'InvalidRequestError' });
    const unauthorized = await call('/api/public/ingestion', {
      body: { batch: [] },
      auth: `Basic ${Buffer.from('pk:sk-wrong').toString('base64')}`,
    });
    expect(unauthorized.status).toBe(401);
  });

  it("/api/public/otel/v1/traces (the Langfuse v4 SDKs' OTLP path) takes Basic auth and langfuse.* attributes", async () => {
    const { call } = ctx();
    await call('/api/public/v2/prompts', {
      body: { name: 'otel/answer', prompt: 'x', labels: ['production'] },
    });
    const traceId = randomUUID().replaceAll('-', '');
    const startNs = BigInt(Date.now() - 1_000) * 1_000_000n;
    const attr = (key: string, value: string | number) => ({
      key,
      value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value },
    });
    const span = {
      traceId,
      spanId: '00f067aa0ba902b7',
      name: 'generation',
      kind: 1,
      startTimeUnixNano: startNs.toString(),
      endTimeUnixNano: (startNs + 250_000_000n).toString(),
      attributes: [
        attr('langfuse.observation.type', 'generation'),
        attr('langfuse.observation.model.name', 'gpt-4o-mini'),
        attr('langfuse.observation.prompt.name', 'otel/answer'),
        attr('langfuse.observation.prompt.version', 1),
        attr('langfuse.user.id', 'otel-user'),
      ],
    };
    const sent = await call('/api/public/otel/v1/traces', {
      body: { resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] },
    });
    expect(sent.status).toBe(200);
    const detail = await native(`/api/v1/traces/${traceId}`);
    expect(detail.body.spans).toMatchObject([
      {
        name: 'generation',
        model: 'gpt-4o-mini',
        prompt: { name: 'otel/answer', version: 1 },
        userId: 'otel-user',
      },
    ]);
    const refused = await call('/api/public/otel/v1/traces', { body: { resourceSpans: [] }, auth: null });
    expect(refused.status).toBe(401);
  });
});
