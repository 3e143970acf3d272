/**
 * Human-readable output: aligned tables, key/value blocks, releases and rendered messages. Colour
 * only when the stream is a terminal (or FORCE_COLOR says so) and never under NO_COLOR.
 */
import { styleText } from 'node:util';
import type { ChatMessage, Variant } from '@promptline/core';

type Style = Parameters<typeof styleText>[0];

/** A stream we write to; `isTTY` decides colour. */
export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** Whether to colour output written to `stream`, following NO_COLOR / FORCE_COLOR conventions. */
export function shouldColor(stream: OutputStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/** Applies a style when `color` is on; plain text otherwise. */
export function paint(style: Style, text: string, color: boolean): string {
  return color ? styleText(style, text, { validateStream: false }) : text;
}

/**
 * Formats rows as an aligned table with a header line. The last column is not padded so long
 * values (messages, descriptions) do not leave trailing spaces.
 */
export function formatTable(headers: string[], rows: string[][], color = false): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  const head = paint('bold', line(headers), color);
  return `${[head, ...rows.map(line)].join('\n')}\n`;
}

/** Formats `key: value` pairs with the keys aligned; pairs with an undefined value are left out. */
export function formatFields(fields: Array<[string, string | undefined]>, color = false): string {
  const present = fields.filter((field): field is [string, string] => field[1] !== undefined);
  const width = Math.max(0, ...present.map(([key]) => key.length + 1));
  return (
    present.map(([key, value]) => `${paint('dim', `${key}:`.padEnd(width), color)} ${value}`).join('\n') +
    '\n'
  );
}

/** `v3` for a single-version release, `v3 5% · v2 95%` for weighted variants, plus `(disabled)`. */
export function formatRelease(release: { variants: Variant[]; enabled?: boolean }): string {
  const text =
    release.variants.length === 1 && release.variants[0]
      ? `v${release.variants[0].version}`
      : release.variants.map((variant) => `v${variant.version} ${formatWeight(variant.weight)}`).join(' · ');
  return release.enabled === false ? `${text} (disabled)` : text;
}

/** Basis points as a percentage: 500 → `5%`, 3333 → `33.33%`. */
export function formatWeight(basisPoints: number): string {
  return `${Number((basisPoints / 100).toFixed(2))}%`;
}

/** Chat messages as `role: content` blocks separated by a blank line; placeholders as `[placeholder name]`. */
export function formatMessages(
  messages: Array<ChatMessage | { role: string; content: string }>,
  color = false,
) {
  return messages
    .map((message) => {
      if ('type' in message && message.type === 'placeholder') {
        return paint('dim', `[placeholder ${message.name}]`, color);
      }
      const { role, content } = message as { role: string; content: string };
      return `${paint('bold', `${role}:`, color)} ${content}`;
    })
    .join('\n\n');
}

/** Cuts a value to one line of at most `max` characters for table cells. */
export function oneLine(text: string | null | undefined, max = 60): string {
  if (!text) return '';
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Writes `value` as pretty JSON, the `--json` output for scripts. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
