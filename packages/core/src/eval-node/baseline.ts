/**
 * Reads a previous run's results file (JSON or JSONL as `promptline eval -o` writes them) into the
 * small map the baseline comparison needs.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { AppError } from '../errors.ts';
import type { BaselineEntry } from '../eval/compare.ts';

function entryOf(value: unknown): [string, BaselineEntry] | null {
  if (!value || typeof value !== 'object') return null;
  const r = value as { key?: unknown; pass?: unknown; score?: unknown };
  if (typeof r.key !== 'string' || typeof r.pass !== 'boolean') return null;
  return [r.key, { pass: r.pass, score: typeof r.score === 'number' ? r.score : r.pass ? 1 : 0 }];
}

/**
 * Loads baseline results by key from a `.json` (an object with `results`) or `.jsonl` file.
 *
 * @throws AppError CONFIG_INVALID when the file is missing or holds no Promptline results.
 */
export async function readBaseline(path: string): Promise<Map<string, BaselineEntry>> {
  const map = new Map<string, BaselineEntry>();
  try {
    if (path.endsWith('.jsonl')) {
      const lines = createInterface({
        input: createReadStream(path, 'utf8'),
        crlfDelay: Number.POSITIVE_INFINITY,
      });
      for await (const line of lines) {
        if (!line.trim()) continue;
        const entry = entryOf(JSON.parse(line));
        if (entry) map.set(entry[0], entry[1]);
      }
    } else {
      const doc = JSON.parse(await readFile(path, 'utf8')) as { results?: unknown };
      if (Array.isArray(doc.results)) {
        for (const r of doc.results) {
          const entry = entryOf(r);
          if (entry) map.set(entry[0], entry[1]);
        }
      }
    }
  } catch (err) {
    throw new AppError(
      'CONFIG_INVALID',
      `Cannot read baseline "${path}": ${(err as Error).message}. Pass a results file written by \`promptline eval -o results.json\` (or .jsonl).`,
    );
  }
  if (map.size === 0) {
    throw new AppError(
      'CONFIG_INVALID',
      `Baseline "${path}" holds no Promptline results. Write one with \`promptline eval -o baseline.json\`.`,
    );
  }
  return map;
}
