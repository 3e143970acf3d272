/**
 * `promptline backup|export|import <file>`: files streamed to and from the server, never held
 * whole in memory, and never left half-written (a partial file is removed, not renamed into place).
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createGzip } from 'node:zlib';
import { ApiError, UsageError } from '../errors.ts';
import { type Context, defineCommand, type Input } from '../kit.ts';
import { paint } from '../output.ts';

const force = {
  force: { type: 'boolean' as const, description: 'Overwrite <file> when it exists' },
};

/** `<file>` from the command line, refused when it exists and --force was not given. */
function target(input: Input): string {
  const [file = ''] = input.positionals;
  if (existsSync(file) && !input.flag('force')) {
    throw new UsageError(`${file} exists; pass --force to overwrite it`);
  }
  return file;
}

/**
 * Streams `body` (through `via`) into a temporary file beside `file`, then renames it into place;
 * on any failure the temporary file is removed and `file` is left as it was.
 */
async function writeAtomically(
  file: string,
  body: ReadableStream<Uint8Array> | null,
  via: Transform[],
  check: () => void = () => {},
): Promise<number> {
  const partial = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.partial`);
  try {
    if (!body) throw new ApiError('EMPTY_RESPONSE', 0, 'the server answered without a body');
    const source = Readable.fromWeb(body as unknown as WebReadableStream<Uint8Array>);
    await pipeline([source, ...via, createWriteStream(partial)]);
    check();
    renameSync(partial, file);
    return statSync(file).size;
  } catch (error) {
    rmSync(partial, { force: true });
    if (error instanceof ApiError || error instanceof UsageError) throw error;
    throw new ApiError(
      'TRANSFER_CUT_OFF',
      0,
      `the transfer stopped before its end (${(error as Error).message}); nothing was written to ${file}. Run the command again.`,
    );
  }
}

const size = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;

/** `promptline backup <file>`. */
export const backupCommand = defineCommand({
  name: 'backup',
  usage: '<file> [--force] [options]',
  summary: 'Download a consistent copy of the server’s SQLite database (taken while it runs)',
  description:
    'The server copies its database with VACUUM INTO on a connection of its own, so requests go on\n' +
    'meanwhile and the copy is one consistent moment; every project is in it. Restore: stop the\n' +
    'server and put the file in place of $PROMPTLINE_DATA_DIR/promptline.db. A server on\n' +
    'PostgreSQL answers BACKUP_NOT_SUPPORTED: back it up with pg_dump (docs/operations.md).\n' +
    'Needs an admin key.',
  options: force,
  positionals: { min: 1, max: 1 },
  examples: ['promptline backup backups/promptline-$(date +%F).db'],
  async run(input, ctx) {
    const file = target(input);
    const response = await ctx.api.backup();
    const bytes = await writeAtomically(file, response.body, []);
    if (ctx.printJson({ file, bytes })) return;
    ctx.out(`Backed up the database to ${paint('bold', file, ctx.color)} (${size(bytes)}).\n`);
  },
});

/** Remembers the last line that went through, to check the export's closing line. */
function lastLine() {
  let tail = '';
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      tail = (tail + chunk.toString('utf8')).slice(-64 * 1024);
      done(null, chunk);
    },
  });
  return { transform, last: () => tail.trimEnd().split('\n').at(-1) ?? '' };
}

/** `promptline export <file>`. */
export const exportCommand = defineCommand({
  name: 'export',
  usage: '<file> [--force] [options]',
  summary: 'Write the whole project (registry, history, datasets, runs, traces, audit chain) to one file',
  description:
    'Streams the project of the API key into <file> as NDJSON — gzipped when <file> ends in .gz —\n' +
    'read from one snapshot of the database. API keys, sessions and provider credentials are never\n' +
    'in it. `promptline import <file>` loads it into another instance, on SQLite or PostgreSQL.\n' +
    'A transfer cut off before the file’s closing line writes nothing. Needs an admin key.',
  options: force,
  positionals: { min: 1, max: 1 },
  examples: ['promptline export project.ndjson.gz', 'promptline export project.ndjson --force'],
  async run(input, ctx) {
    const file = target(input);
    const response = await ctx.api.exportProject();
    const seen = lastLine();
    let rows: Record<string, number> = {};
    const check = () => {
      try {
        const trailer = JSON.parse(seen.last()) as { end?: unknown; rows?: Record<string, number> };
        if (trailer.end === true && trailer.rows) {
          rows = trailer.rows;
          return;
        }
      } catch {
        // Not JSON: the last line was cut in the middle; reported below.
      }
      throw new ApiError(
        'EXPORT_INCOMPLETE',
        0,
        `the export ended without its closing line (the server stopped part-way; see its log); nothing was written to ${file}. Run promptline export again.`,
      );
    };
    const via = file.endsWith('.gz') ? [seen.transform, createGzip()] : [seen.transform];
    const bytes = await writeAtomically(file, response.body, via, check);
    if (ctx.printJson({ file, bytes, rows })) return;
    ctx.out(`Exported ${summary(rows)} to ${paint('bold', file, ctx.color)} (${size(bytes)}).\n`);
  },
});

function summary(rows: Record<string, number>): string {
  const total = Object.values(rows).reduce((a, b) => a + b, 0);
  const main = [
    'prompts',
    'versions',
    'datasets',
    'dataset_items',
    'eval_runs',
    'eval_results',
    'spans',
    'audit_events',
  ]
    .filter((t) => (rows[t] ?? 0) > 0)
    .map((t) => `${rows[t]} ${t.replace('_', ' ')}`);
  return `${total} rows${main.length ? ` (${main.join(', ')})` : ''}`;
}

function isGzip(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** `promptline import <file>`. */
export const importCommand = defineCommand({
  name: 'import',
  usage: '<file> [options]',
  summary: 'Load a file written by promptline export into this server’s project (all or nothing)',
  description:
    'Streams <file> (NDJSON, or gzipped) to the server, which loads it in one transaction: every\n' +
    'row or none. The project of the API key must hold no prompts, datasets, eval runs or traces\n' +
    'yet (a fresh instance: its seeded environments and first key are fine). Version hashes and\n' +
    'the audit chain are kept as they were; check with `promptline audit verify`. Needs an admin key.',
  positionals: { min: 1, max: 1 },
  examples: [
    'PROMPTLINE_URL=http://new-host:4100 promptline import project.ndjson.gz && promptline audit verify',
  ],
  async run(input, ctx: Context) {
    const [file = ''] = input.positionals;
    if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`${file} is not a file`);
    const type = isGzip(file) ? 'application/gzip' : 'application/x-ndjson';
    const data = Readable.toWeb(createReadStream(file)) as unknown as ReadableStream<Uint8Array>;
    const result = await ctx.api.importProject(data, type);
    if (ctx.printJson(result)) return;
    ctx.out(
      `Imported ${summary(result.rows)}.\n` +
        `Audit chain verifies: ${result.audit.checked} events, head ${result.audit.head?.slice(0, 12) ?? '-'}` +
        (result.reattachedEvents > 0
          ? ` (this instance's ${result.reattachedEvents} earlier event(s) re-linked after the imported chain).\n`
          : '.\n'),
    );
  },
});
