/** Reading an export file as it arrives: gzip or not (by its first bytes), one line at a time. */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { AppError } from '@promptline/core';

/** The longest line accepted: a row larger than this is not one Promptline wrote. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** The bytes of `source`, gunzipped when they start with gzip's magic number. */
export async function* decompressed(source: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const head = Buffer.from(first.value);
  async function* all(): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield Buffer.from(next.value);
    }
  }
  if (head[0] !== 0x1f || head[1] !== 0x8b) {
    yield* all();
    return;
  }
  const gunzip = createGunzip();
  const piping = pipeline(Readable.from(all()), gunzip);
  // Errors surface through the iteration below; keep this promise from being reported unhandled.
  piping.catch(() => {});
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (cause) {
    throw new AppError(
      'IMPORT_FILE_INVALID',
      'The file is gzip but its compressed data is cut off or corrupt; nothing was imported. Export it again.',
      { cause },
    );
  }
  await piping;
}

/** The lines of `source` (without their `\n`; a final line without one is yielded too). */
export async function* lines(source: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of source) {
    pending += decoder.write(chunk);
    let start = 0;
    for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n', start)) {
      yield pending.slice(start, end);
      start = end + 1;
    }
    pending = pending.slice(start);
    if (pending.length > MAX_LINE_BYTES) {
      throw new AppError(
        'IMPORT_FILE_INVALID',
        `A line of the file is longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB: this is not a Promptline export.`,
      );
    }
  }
  pending += decoder.end();
  if (pending !== '') yield pending;
}
