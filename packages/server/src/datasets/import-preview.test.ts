import { expect, it } from 'vitest';
import { describeServer } from '../test-helpers/index.ts';

const d = (name: string) => `/api/v1/datasets/${encodeURIComponent(name)}`;

describeServer((ctx) => {
  it('previews a CSV import as it would be stored, and writes nothing', async () => {
    const { api } = ctx();
    await api.post('/api/v1/datasets', { name: 'preview/csv' });
    const rows = Array.from({ length: 25 }, (_, i) => `q${i},c${i},yes,web`);
    const csv = `question,context,expected,metadata.source\n${rows.join('\n')}\n`;
    const preview = await api.post(`${d('preview/csv')}/import/preview`, csv, { 'content-type': 'text/csv' });
    expect(preview.status).toBe(200);
    expect(preview.body.count).toBe(25);
    expect(preview.body.variables).toEqual(['question', 'context']);
    expect(preview.body.items).toHaveLength(20);
    expect(preview.body.items[0]).toEqual({
      variables: { question: 'q0', context: 'c0' },
      expected: 'yes',
      metadata: { source: 'web' },
    });
    expect((await api.get(d('preview/csv'))).body).toMatchObject({ revision: 0, itemCount: 0 });
    // The same file imports to what the preview showed.
    const imported = await api.post(`${d('preview/csv')}/import`, csv, { 'content-type': 'text/csv' });
    expect(imported.body).toEqual({ revision: 1, imported: 25 });
  });

  it('names the bad line of a JSONL file, refuses an empty one, and needs the dataset', async () => {
    const { api } = ctx();
    await api.post('/api/v1/datasets', { name: 'preview/jsonl' });
    const bad = await api.post(
      `${d('preview/jsonl')}/import/preview`,
      '{"variables":{"a":1}}\n{"vars":{}}\n',
      {
        'content-type': 'application/x-ndjson',
      },
    );
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED', line: 2 });
    const empty = await api.post(`${d('preview/jsonl')}/import/preview`, '\n', {
      'content-type': 'application/x-ndjson',
    });
    expect(empty.status).toBe(422);
    const missing = await api.post(`${d('preview/none')}/import/preview`, '{"variables":{}}', {
      'content-type': 'application/x-ndjson',
    });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('DATASET_NOT_FOUND');
  });
});
