import { expect, it } from 'vitest';
import { describeServer } from '../test-helpers/index.ts';
import { newSpanId, newTraceId, testSpan } from '../traces/test-spans.ts';

describeServer((ctx) => {
  const failing = newTraceId();
  const passing = newTraceId();
  const otherPrompt = newTraceId();
  const prompt = { name: 'cases/triage', version: 2, environment: 'production' };

  it('turns chosen traces into items of a new dataset: variables, expected = output (editable), link to the trace', async () => {
    const { api } = ctx();
    const root = newSpanId();
    const accepted = await api.post('/api/v1/traces', {
      spans: [
        testSpan({ traceId: failing, spanId: root, name: 'POST /answer' }),
        testSpan({
          traceId: failing,
          parentSpanId: root,
          name: 'chat',
          status: 'error',
          prompt,
          variables: { ticket: 'I was charged twice' },
          input: [{ role: 'user', content: 'I was charged twice' }],
          output: 'shipping',
          model: 'gpt-4o-mini',
        }),
        testSpan({
          traceId: passing,
          prompt,
          variables: { ticket: 'Where is my parcel?' },
          output: 'shipping',
        }),
        testSpan({ traceId: otherPrompt, status: 'error', prompt: { name: 'cases/other', version: 1 } }),
      ],
    });
    expect(accepted.status).toBe(202);

    const missing = await api.post('/api/v1/datasets/triage-regressions/items/from-traces', {
      traces: [{ traceId: failing }],
    });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('DATASET_NOT_FOUND');

    const added = await api.post('/api/v1/datasets/triage-regressions/items/from-traces', {
      traces: [{ traceId: failing, expected: 'billing' }, { traceId: passing }, { traceId: newTraceId() }],
      create: true,
      description: 'production failures',
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ dataset: 'triage-regressions', created: true, revision: 1 });
    expect(added.body.skipped).toHaveLength(1);
    expect(added.body.items).toEqual([
      expect.objectContaining({
        variables: { ticket: 'I was charged twice' },
        expected: 'billing',
        sourceTraceId: failing,
        metadata: expect.objectContaining({
          spanName: 'chat',
          input: [{ role: 'user', content: 'I was charged twice' }],
          output: 'shipping',
          prompt,
          status: 'error',
        }),
      }),
      expect.objectContaining({ expected: 'shipping', sourceTraceId: passing }),
    ]);
    const stored = await api.get('/api/v1/datasets/triage-regressions/items');
    expect(stored.body.items.map((i: { sourceTraceId: string }) => i.sourceTraceId)).toEqual([
      failing,
      passing,
    ]);
    expect((await api.get('/api/v1/datasets/triage-regressions')).body.description).toBe(
      'production failures',
    );
  });

  it('adds every trace a filter matches, in bulk, without expected answers when asked', async () => {
    const { api } = ctx();
    await api.post('/api/v1/datasets', { name: 'errors-only' });
    const added = await api.post('/api/v1/datasets/errors-only/items/from-traces', {
      filter: { status: 'error', prompt: 'cases/triage' },
      expected: 'none',
    });
    expect(added.status).toBe(201);
    expect(added.body.created).toBe(false);
    expect(added.body.items).toHaveLength(1);
    expect(added.body.items[0]).toMatchObject({ sourceTraceId: failing, expected: null });

    const all = await api.post('/api/v1/datasets/errors-only/items/from-traces', {
      filter: { status: 'error' },
      limit: 10,
    });
    expect(all.body.items.map((i: { sourceTraceId: string }) => i.sourceTraceId).sort()).toEqual(
      [failing, otherPrompt].sort(),
    );
    expect(all.body.revision).toBe(2);

    const both = await api.post('/api/v1/datasets/errors-only/items/from-traces', {
      traces: [{ traceId: failing }],
      filter: { status: 'error' },
    });
    expect(both.status).toBe(422);
    expect(both.body.code).toBe('VALIDATION_FAILED');
    const neither = await api.post('/api/v1/datasets/errors-only/items/from-traces', {});
    expect(neither.status).toBe(422);
  });
});
