/**
 * Dataset files: CSV (header row; `expected`/`__expected` → expected, `metadata.<key>` → metadata,
 * `sourceTraceId` → source trace, every other column → a variable; a column named `<name>:json`
 * holds JSON values, an empty cell meaning "absent") and JSONL (one item object per line). Exports
 * of both import back to the same items: a CSV export writes a column as `:json` whenever a plain
 * text column could not carry its values exactly (objects, numbers, empty or missing values). Parsing yields items one at a time with their line number, so an import validates and
 * writes in batches and a bad line is reported by number.
 */
import { AppError, type DatasetItem, DatasetItemInput } from '@promptline/core';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import { assertJsonDepth, assertNoNul } from '../http/input-guards.ts';

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
    assertJsonDepth(raw);
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw badLine(line, `not valid JSON (${(error as Error).message})`);
    }
    assertNoNul(value, `line ${line}`);
    yield { line, item: validate(line, value) };
  }
}

const EXPECTED_COLUMNS = new Set(['expected', '__expected']);
const TRACE_COLUMNS = new Set(['sourceTraceId', '__sourceTraceId']);
/** Suffix of a CSV column whose cells are JSON. */
const JSON_SUFFIX = ':json';

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
      for (let i = 0; i < header.length; i++) {
        const column = header[i] ?? '';
        const json = column.endsWith(JSON_SUFFIX);
        const name = json ? column.slice(0, -JSON_SUFFIX.length) : column;
        const text = record[i] ?? '';
        let value: unknown = text;
        if (json) {
          if (text === '') continue;
          assertJsonDepth(text);
          try {
            value = JSON.parse(text);
            assertNoNul(value, `line ${info.lines}.${name}`);
          } catch (error) {
            if (error instanceof AppError) throw error;
            throw badLine(
              info.lines,
              `column "${column}" holds no valid JSON (${(error as Error).message})`,
              name,
            );
          }
        }
        if (EXPECTED_COLUMNS.has(name)) {
          if (json || text !== '') item.expected = value;
        } else if (TRACE_COLUMNS.has(name)) {
          if (text !== '') item.sourceTraceId = value;
        } else if (name.startsWith('metadata.')) {
          if (json || text !== '') metadata[name.slice('metadata.'.length)] = value;
        } else {
          variables[name] = value;
        }
      }
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

/**
 * The CSV layout of an export, learnt from every item first: which variables and metadata keys
 * exist, and which columns must be `:json` because plain text would not read back the same
 * (a non-string value, an empty string where empty means absent, or a variable some item lacks).
 */
export function createCsvLayout() {
  const variables = new Map<string, { json: boolean; count: number }>();
  const metadata = new Map<string, { json: boolean }>();
  let items = 0;
  let expectedJson = false;
  return {
    add(item: DatasetItem): void {
      items++;
      for (const [k, v] of Object.entries(item.variables)) {
        const column = variables.get(k) ?? { json: false, count: 0 };
        column.count++;
        column.json ||= typeof v !== 'string';
        variables.set(k, column);
      }
      for (const [k, v] of Object.entries(item.metadata)) {
        const column = metadata.get(k) ?? { json: false };
        column.json ||= typeof v !== 'string' || v === '';
        metadata.set(k, column);
      }
      expectedJson ||= item.expected !== null && (typeof item.expected !== 'string' || item.expected === '');
    },
    header(): string {
      return stringify([
        [
          ...[...variables].map(([k, c]) => (c.json || c.count < items ? `${k}${JSON_SUFFIX}` : k)),
          expectedJson ? `expected${JSON_SUFFIX}` : 'expected',
          'sourceTraceId',
          ...[...metadata].map(([k, c]) => `metadata.${k}${c.json ? JSON_SUFFIX : ''}`),
        ],
      ]);
    },
    row(item: DatasetItem): string {
      const cell = (value: unknown, json: boolean) =>
        value === undefined || value === null
          ? json && value === null
            ? 'null'
            : ''
          : json
            ? JSON.stringify(value)
            : String(value);
      return stringify([
        [
          ...[...variables].map(([k, c]) =>
            Object.hasOwn(item.variables, k) ? cell(item.variables[k], c.json || c.count < items) : '',
          ),
          item.expected === null ? '' : cell(item.expected, expectedJson),
          item.sourceTraceId ?? '',
          ...[...metadata].map(([k, c]) =>
            Object.hasOwn(item.metadata, k) ? cell(item.metadata[k], c.json) : '',
          ),
        ],
      ]);
    },
  };
}
