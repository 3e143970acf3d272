import type { PlaygroundDone, PlaygroundEvent } from '../api/playground.ts';

/** What one cell (variable set × model) of a playground run shows. */
export interface CellState {
  text: string;
  status: 'waiting' | 'streaming' | 'done' | 'error';
  done?: PlaygroundDone;
  error?: { code: string; detail: string };
  /** Measured in the browser from the click on Run, so the column shows figures while it streams. */
  firstTokenMs?: number;
  elapsedMs?: number;
}

export type Cells = Record<string, CellState>;

/** Key of a cell in {@link Cells}. */
export function cellKey(row: number, model: number): string {
  return `${row}:${model}`;
}

/**
 * Applies one stream event to the cells (pure, so the reducer is easy to test). `elapsedMs` is the
 * time since the run started, as the browser saw it; the server's exact figures replace it at `done`.
 */
export function applyEvent(cells: Cells, event: PlaygroundEvent, elapsedMs?: number): Cells {
  if (event.type === 'end') {
    // Cells the server never finished (a dropped model) should not spin forever.
    let changed = false;
    const next: Cells = {};
    for (const [k, c] of Object.entries(cells)) {
      if (c.status === 'waiting' || c.status === 'streaming') {
        changed = true;
        next[k] = {
          ...c,
          status: 'error',
          error: { code: 'STREAM_ENDED', detail: 'The run ended before this output finished.' },
        };
      } else next[k] = c;
    }
    return changed ? next : cells;
  }
  const key = cellKey(event.row, event.model);
  const cell = cells[key] ?? { text: '', status: 'waiting' };
  if (event.type === 'delta') {
    const next: CellState = { ...cell, text: cell.text + event.text, status: 'streaming' };
    if (elapsedMs !== undefined) {
      next.elapsedMs = elapsedMs;
      if (cell.firstTokenMs === undefined && event.text.length > 0) next.firstTokenMs = elapsedMs;
    }
    return { ...cells, [key]: next };
  }
  if (event.type === 'done') {
    const { type: _t, ...done } = event;
    return { ...cells, [key]: { ...cell, text: event.text || cell.text, status: 'done', done } };
  }
  return { ...cells, [key]: { ...cell, status: 'error', error: { code: event.code, detail: event.detail } } };
}

/**
 * Output tokens of a streaming text, roughly (4 characters a token, the usual rule of thumb for
 * English), shown with `≈` until the provider's count arrives with `done`.
 */
export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.max(1, Math.round(text.length / 4));
}

/** Empty cells for a run of `rows` variable sets on `models` models. */
export function initialCells(rows: number, models: number): Cells {
  const cells: Cells = {};
  for (let r = 0; r < rows; r++)
    for (let m = 0; m < models; m++) cells[cellKey(r, m)] = { text: '', status: 'waiting' };
  return cells;
}

/**
 * Parses the batch box: a JSON array of objects, or one JSON object per line.
 * @throws Error naming the line that is not a JSON object.
 */
export function parseBatch(text: string): Record<string, unknown>[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  if (trimmed.startsWith('[')) {
    const parsed: unknown = JSON.parse(trimmed);
    if (!Array.isArray(parsed) || !parsed.every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
      throw new Error('The batch must be an array of objects, e.g. [{"name": "Ada"}, {"name": "Linus"}]');
    }
    return parsed as Record<string, unknown>[];
  }
  return trimmed.split('\n').flatMap((line, i) => {
    if (!line.trim()) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`Line ${i + 1} is not JSON: write one object per line, e.g. {"name": "Ada"}`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error(`Line ${i + 1} is not a JSON object`);
    }
    return [parsed as Record<string, unknown>];
  });
}
