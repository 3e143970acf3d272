import { describe, expect, it } from 'vitest';
import { applyEvent, cellKey, estimateTokens, initialCells, parseBatch } from './playground-state.ts';

describe('applyEvent', () => {
  it('appends deltas per cell and keeps the metrics of done', () => {
    let cells = initialCells(1, 2);
    cells = applyEvent(cells, { type: 'delta', model: 1, row: 0, text: 'Hel' });
    cells = applyEvent(cells, { type: 'delta', model: 1, row: 0, text: 'lo' });
    expect(cells[cellKey(0, 1)]).toEqual({ text: 'Hello', status: 'streaming' });
    expect(cells[cellKey(0, 0)]?.status).toBe('waiting');
    const usage = { inputTokens: 3, outputTokens: 2, cachedInputTokens: 0, estimated: false };
    cells = applyEvent(cells, {
      type: 'done',
      model: 1,
      row: 0,
      text: 'Hello',
      usage,
      cost: { totalUsd: 0.001 },
      latencyMs: 40,
      timeToFirstTokenMs: 5,
    });
    expect(cells[cellKey(0, 1)]?.status).toBe('done');
    expect(cells[cellKey(0, 1)]?.done?.usage).toEqual(usage);
  });

  it('records when the first token and the latest one arrived, for figures while streaming', () => {
    let cells = initialCells(1, 1);
    cells = applyEvent(cells, { type: 'delta', model: 0, row: 0, text: 'Hel' }, 12);
    cells = applyEvent(cells, { type: 'delta', model: 0, row: 0, text: 'lo there' }, 30);
    expect(cells[cellKey(0, 0)]).toMatchObject({ firstTokenMs: 12, elapsedMs: 30, text: 'Hello there' });
    expect(estimateTokens('Hello there')).toBe(3);
    expect(estimateTokens('')).toBe(0);
  });

  it('marks cells left unfinished at the end of the stream as errors', () => {
    let cells = initialCells(1, 2);
    cells = applyEvent(cells, { type: 'error', model: 0, row: 0, code: 'PROVIDER_ERROR', detail: 'x' });
    cells = applyEvent(cells, { type: 'end' });
    expect(cells[cellKey(0, 0)]?.error?.code).toBe('PROVIDER_ERROR');
    expect(cells[cellKey(0, 1)]?.error?.code).toBe('STREAM_ENDED');
  });
});

describe('parseBatch', () => {
  it('reads a JSON array or one object per line', () => {
    expect(parseBatch('[{"a":1},{"a":2}]')).toEqual([{ a: 1 }, { a: 2 }]);
    expect(parseBatch('{"a":1}\n\n{"a":2}\n')).toEqual([{ a: 1 }, { a: 2 }]);
    expect(parseBatch('  ')).toEqual([]);
  });

  it('names the line that is not an object', () => {
    expect(() => parseBatch('{"a":1}\nnope')).toThrow(/Line 2/);
    expect(() => parseBatch('{"a":1}\n[1]')).toThrow(/Line 2 is not a JSON object/);
  });
});
