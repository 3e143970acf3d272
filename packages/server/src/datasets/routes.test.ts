import { expect, it } from 'vitest';
import { describeServer } from '../test-helpers/index.ts';

const d = (name: string) => `/api/v1/datasets/${encodeURIComponent(name)}`;

describeServer((ctx) => {
  it('creates, lists, gets, updates and deletes a dataset, auditing each write', async () => {
    const { api } = ctx();
    const created = await api.post('/api/v1/datasets', {
      name: 'crud/one',
      description: 'first',
      items: [{ variables: { q: 'a' } }, { variables: { q: 'b' }, expected: 'B' }],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'crud/one', revision: 1, itemCount: 2, description: 'first' });
    expect((await api.post('/api/v1/datasets', { name: 'crud/one' })).status).toBe(409);

    const list = await api.get('/api/v1/datasets');
    expect(list.body.items.find((x: { name: string }) => x.name === 'crud/one')).toMatchObject({
      itemCount: 2,
    });
    const patched = await api.patch(d('crud/one'), { description: 'second' });
    expect(patched.body).toMatchObject({ description: 'second', revision: 1 });
    expect((await api.get(d('crud/one'))).body.description).toBe('second');

    expect((await api.delete(d('crud/one'))).status).toBe(204);
    const gone = await api.get(d('crud/one'));
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('DATASET_NOT_FOUND');
    const audit = await api.get('/api/v1/audit?target=crud/one');
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual([
      'dataset.delete',
      'dataset.update',
      'dataset.create',
    ]);
  });

  it('revisions items: an edit or delete makes a new revision and older revisions stay readable', async () => {
    const { api } = ctx();
    await api.post('/api/v1/datasets', { name: 'rev' });
    const added = await api.post(`${d('rev')}/items`, {
      items: [
        { variables: { city: 'Paris' }, expected: 'France' },
        { variables: { city: 'Rome' }, expected: 'Italy' },
      ],
    });
    expect(added.status).toBe(201);
    expect(added.body.revision).toBe(1);
    const [paris, rome] = added.body.items;
    const single = await api.post(`${d('rev')}/items`, {
      variables: { city: 'Oslo' },
      sourceTraceId: 'trace-9',
    });
    expect(single.body).toMatchObject({ revision: 2, items: [{ id: 3, sourceTraceId: 'trace-9' }] });

    const edited = await api.patch(`${d('rev')}/items/${paris.id}`, { expected: 'République française' });
    expect(edited.body).toMatchObject({
      id: paris.id,
      revision: 3,
      expected: 'République française',
      variables: { city: 'Paris' },
    });
    const removed = await api.delete(`${d('rev')}/items/${rome.id}`);
    expect(removed.body).toEqual({ revision: 4 });

    const now = await api.get(`${d('rev')}/items`);
    expect(now.body.revision).toBe(4);
    expect(now.body.items.map((i: { id: number; expected: unknown }) => [i.id, i.expected])).toEqual([
      [1, 'République française'],
      [3, null],
    ]);
    const at1 = await api.get(`${d('rev')}/items?revision=1`);
    expect(at1.body.items.map((i: { id: number; expected: unknown }) => [i.id, i.expected])).toEqual([
      [1, 'France'],
      [2, 'Italy'],
    ]);
    const at3 = await api.get(`${d('rev')}/items?revision=3`);
    expect(at3.body.items.map((i: { id: number }) => i.id)).toEqual([1, 2, 3]);
    expect((await api.get(`${d('rev')}/items?revision=9`)).status).toBe(422);
    expect((await api.patch(`${d('rev')}/items/${rome.id}`, { expected: 'x' })).status).toBe(404);

    const paged = await api.get(`${d('rev')}/items?revision=3&limit=2`);
    expect(paged.body.items).toHaveLength(2);
    const next = await api.get(`${d('rev')}/items?revision=3&limit=2&cursor=${paged.body.nextCursor}`);
    expect(next.body.items.map((i: { id: number }) => i.id)).toEqual([3]);
    expect(next.body.nextCursor).toBeNull();
  });

  it('imports CSV: expected and metadata columns are mapped, other columns become variables', async () => {
    const { api } = ctx();
    await api.post('/api/v1/datasets', { name: 'csv' });
    const csv =
      'question,context,__expected,metadata.source\n"What, exactly?","a ""quoted"" word",yes,web\nSecond,,,\n';
    const imported = await api.post(`${d('csv')}/import`, csv, { 'content-type': 'text/csv' });
    expect(imported.status).toBe(200);
    expect(imported.body).toEqual({ revision: 1, imported: 2 });
    const items = (await api.get(`${d('csv')}/items`)).body.items;
    expect(items[0]).toMatchObject({
      variables: { question: 'What, exactly?', context: 'a "quoted" word' },
      expected: 'yes',
      metadata: { source: 'web' },
    });
    expect(items[1]).toMatchObject({
      variables: { question: 'Second', context: '' },
      expected: null,
      metadata: {},
    });
  });

  it('a bad line answers 422 naming it and imports nothing (CSV and JSONL)', async () => {
    const { api } = ctx();
    await api.post('/api/v1/datasets', { name: 'bad', items: [{ variables: { n: 0 } }] });
    const lines = Array.from({ length: 1200 }, (_, i) => JSON.stringify({ variables: { n: i + 1 } }));
    lines.splice(1100, 0, '{"variables": {"n": 1}, "unknown": true}');
    const jsonl = await api.post(`${d('bad')}/import`, lines.join('\n'), {
      'content-type': 'application/x-ndjson',
    });
    expect(jsonl.status).toBe(422);
    expect(jsonl.body.code).toBe('VALIDATION_FAILED');
    expect(jsonl.body.line).toBe(1101);
    expect(jsonl.body.detail).toMatch(/^Line 1101:/);
    const broken = await api.post(`${d('bad')}/import`, '{"variables":{}}\nnot json', {
      'content-type': 'application/x-ndjson',
    });
    expect(broken.body.line).toBe(2);
    const csv = await api.post(`${d('bad')}/import`, 'a,b\n1,2\n3\n', { 'content-type': 'text/csv' });
    expect(csv.status).toBe(422);
    expect(csv.body.line).toBe(3);
    const after = await api.get(d('bad'));
    expect(after.body).toMatchObject({ revision: 1, itemCount: 1 });
    expect((await api.get(`${d('bad')}/items`)).body.items).toHaveLength(1);
  });

  it('exports JSONL and CSV that import back to the same items', async () => {
    const { api } = ctx();
    const items = [
      { variables: { q: 'one, two', n: '1' }, expected: 'x', metadata: { tag: 'a' }, sourceTraceId: 't1' },
      { variables: { q: 'line\nbreak', n: '2' } },
    ];
    await api.post('/api/v1/datasets', { name: 'round', items });
    const jsonl = await api.get(`${d('round')}/export`);
    expect(jsonl.headers['content-type']).toMatch(/application\/x-ndjson/);
    expect(
      jsonl.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(items);

    await api.post('/api/v1/datasets', { name: 'round-jsonl' });
    await api.post(`${d('round-jsonl')}/import`, jsonl.text, { 'content-type': 'application/x-ndjson' });
    const csv = await api.get(`${d('round')}/export?format=csv`);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    await api.post('/api/v1/datasets', { name: 'round-csv' });
    const back = await api.post(`${d('round-csv')}/import`, csv.text, { 'content-type': 'text/csv' });
    expect(back.body.imported).toBe(2);
    for (const name of ['round-jsonl', 'round-csv']) {
      const copy = (await api.get(`${d(name)}/items`)).body.items;
      expect(
        copy.map(
          (i: { variables: unknown; expected: unknown; metadata: unknown; sourceTraceId: unknown }) => ({
            variables: i.variables,
            expected: i.expected,
            metadata: i.metadata,
            sourceTraceId: i.sourceTraceId,
          }),
        ),
      ).toEqual([
        { variables: items[0]?.variables, expected: 'x', metadata: { tag: 'a' }, sourceTraceId: 't1' },
        { variables: items[1]?.variables, expected: null, metadata: {}, sourceTraceId: null },
      ]);
    }
  });

  it('exports CSV and JSONL that import back to exactly the same items, whatever the value types', async () => {
    const { api } = ctx();
    const items = [
      {
        variables: { q: 'a, "quoted"\nline', n: 3, flags: { deep: [1, true, null] }, empty: '' },
        expected: { type: 'contains', value: 'Paris' },
        metadata: { tier: 2, tag: 'x' },
        sourceTraceId: 'trace-1',
      },
      {
        variables: { q: '{"looks":"like json"}', n: 4.5, flags: [] },
        expected: [
          { type: 'equals', value: '42' },
          { type: 'not-contains', value: 'no' },
        ],
        metadata: { tag: '' },
      },
      { variables: { q: '123', n: -1, empty: 'x' }, expected: '{"a":1}' },
      { variables: { q: 'ünïcode 🙂', n: 0 }, expected: '' },
      { variables: { q: 'no expected', n: 1 } },
    ];
    await api.post('/api/v1/datasets', { name: 'typed', items });
    const shape = (
      list: { variables: unknown; expected: unknown; metadata: unknown; sourceTraceId: unknown }[],
    ) =>
      list.map((i) => ({
        variables: i.variables,
        expected: i.expected,
        metadata: i.metadata,
        sourceTraceId: i.sourceTraceId,
      }));
    const original = shape((await api.get(`${d('typed')}/items`)).body.items);
    expect(original).toEqual(
      items.map((i) => ({
        variables: i.variables,
        expected: i.expected ?? null,
        metadata: i.metadata ?? {},
        sourceTraceId: i.sourceTraceId ?? null,
      })),
    );
    for (const format of ['csv', 'jsonl'] as const) {
      const exported = await api.get(`${d('typed')}/export?format=${format}`);
      expect(exported.status).toBe(200);
      await api.post('/api/v1/datasets', { name: `typed-${format}` });
      const back = await api.post(`${d(`typed-${format}`)}/import`, exported.text, {
        'content-type': format === 'csv' ? 'text/csv' : 'application/x-ndjson',
      });
      expect(back.body.imported, format).toBe(items.length);
      expect(shape((await api.get(`${d(`typed-${format}`)}/items`)).body.items), format).toEqual(original);
      // And once more: an export of the copy is byte for byte the export of the original.
      expect((await api.get(`${d(`typed-${format}`)}/export?format=${format}`)).text, format).toBe(
        exported.text,
      );
    }
    const csv = (await api.get(`${d('typed')}/export?format=csv`)).text;
    expect(csv.split('\n')[0]).toBe(
      'q,n:json,flags:json,empty:json,expected:json,sourceTraceId,metadata.tier:json,metadata.tag:json',
    );
  });

  it('a CSV :json column with a cell that is not JSON answers 422 naming the line and column', async () => {
    const { api } = ctx();
    await api.post('/api/v1/datasets', { name: 'badjson' });
    const response = await api.post(`${d('badjson')}/import`, 'q,n:json\na,1\nb,{oops\n', {
      'content-type': 'text/csv',
    });
    expect(response.status).toBe(422);
    expect(response.body.errors[0].path).toBe('line 3.n');
    expect((await api.get(d('badjson'))).body.itemCount).toBe(0);
  });

  it('refuses an import that is neither CSV nor JSONL', async () => {
    const response = await ctx().api.post(`${d('round')}/import`, { variables: {} });
    expect(response.status).toBe(415);
  });
});
