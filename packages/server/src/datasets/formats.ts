/**
 * Dataset files: CSV (header row; `expected`/`__expected` → expected, `metadata.<key>` → metadata,
 * `sourceTraceId` → source trace, every other column → a variable) and JSONL (one item object per
 * line). Parsing yields items one at a time with their line number, so an import validates and
 * writes in batches and a bad line is reported by number.
 */
import { AppError, type DatasetItem, DatasetItemInput } from '@promptline/core';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';

/** One parsed item and the (last) line it came from. */
export interface ParsedItem {
  line: number;
  item: DatasetItemInput;
}

function badLine(line: number, message: string, path = ''): AppError {
  return new AppError(
    'VALIDATION_FAILED',
    `Line ${line}: ${message}. Fix that line and import again (nothing was imported).`,
    {
      errors: [{ path: path ? `line ${line}.${path}` : `line ${line}`, message }],
      details: { line },
    },
  );
}

function validate(line: number, value: unknown): DatasetItemInput {
  const parsed = DatasetItemInput.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw badLine(
    line,
    `${issue?.path.join('.') || 'item'}: ${issue?.message ?? 'is invalid'}`,
    issue?.path.join('.') ?? '',
  );
}

/** Items of a JSONL/NDJSON text: each non-blank line a `{variables, expected?, metadata?, sourceTraceId?}` object. */
export function* parseJsonl(text: string): Generator<ParsedItem> {
  let line = 0;
  let start = 0;
  while (start <= text.length) {
    const end = text.indexOf('\n', start);
    const raw = text.slice(start, end === -1 ? text.length : end);
    start = end === -1 ? text.length + 1 : end + 1;
    line++;
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw badLine(line, `not valid JSON (${(error as Error).message})`);
    }
    yield { line, item: validate(line, value) };
  }
}

const EXPECTED_COLUMNS = new Set(['expected', '__expected']);
const TRACE_COLUMNS = new Set(['sourceTraceId', '__sourceTraceId']);

/** Items of a CSV text with a header row. Values are strings; an empty `expected` cell means none. */
export async function* parseCsv(text: string): AsyncGenerator<ParsedItem> {
  const parser = parse(text, { bom: true, info: true, skip_empty_lines: true, relax_column_count: false });
  let header: string[] | undefined;
  try {
    for await (const entry of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const { record, info } = entry;
      if (!header) {
        header = record.map((h) => h.trim());
        const seen = new Set<string>();
        for (const name of header) {
          if (name === '') throw badLine(info.lines, 'a header cell is empty: name every column');
          if (seen.has(name)) throw badLine(info.lines, `column "${name}" appears twice in the header`);
          seen.add(name);
        }
        continue;
      }
      const item: Record<string, unknown> = {};
      const variables: Record<string, unknown> = {};
      const metadata: Record<string, unknown> = {};
      header.forEach((name, i) => {
        const cell = record[i] ?? '';
        if (EXPECTED_COLUMNS.has(name)) {
          if (cell !== '') item.expected = cell;
        } else if (TRACE_COLUMNS.has(name)) {
          if (cell !== '') item.sourceTraceId = cell;
        } else if (name.startsWith('metadata.')) {
          if (cell !== '') metadata[name.slice('metadata.'.length)] = cell;
        } else {
          variables[name] = cell;
        }
      });
      item.variables = variables;
      if (Object.keys(metadata).length > 0) item.metadata = metadata;
      yield { line: info.lines, item: validate(info.lines, item) };
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    const e = error as Error & { lines?: number };
    throw badLine(e.lines ?? 0, `not valid CSV (${e.message})`);
  }
  if (!header) throw badLine(1, 'the CSV is empty: it needs a header row naming the columns');
}

/** One JSONL line of an exported item: importable as is. */
export function itemToJsonl(item: DatasetItem): string {
  const out: Record<string, unknown> = { variables: item.variables };
  if (item.expected !== null) out.expected = item.expected;
  if (Object.keys(item.metadata).length > 0) out.metadata = item.metadata;
  if (item.sourceTraceId !== null) out.sourceTraceId = item.sourceTraceId;
  return `${JSON.stringify(out)}\n`;
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** CSV columns of an export: the variables, then `expected`, `sourceTraceId` and `metadata.<key>`. */
export function csvHeader(variables: string[], metadata: string[]): string {
  return stringify([[...variables, 'expected', 'sourceTraceId', ...metadata.map((m) => `metadata.${m}`)]]);
}

/** One CSV row of an exported item (non-string values as JSON). */
export function itemToCsv(item: DatasetItem, variables: string[], metadata: string[]): string {
  return stringify([
    [
      ...variables.map((v) => cell(item.variables[v])),
      cell(item.expected),
      cell(item.sourceTraceId),
      ...metadata.map((m) => cell(item.metadata[m])),
    ],
  ]);
}
