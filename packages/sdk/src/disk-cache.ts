/**
 * The optional on-disk copy of the last snapshot (Node, Bun, Deno with `node:` compat). The client
 * imports this module dynamically and only when `cachePath` is set, so bundles for edge runtimes
 * never need `node:fs`.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** What the file holds: the snapshot and the ETag header it was served with (for `If-None-Match`). */
export interface DiskCopy {
  format: 1;
  savedAt: string;
  etag: string | null;
  snapshot: unknown;
}

/** Reads the disk copy; undefined when there is none yet. Throws on unreadable or corrupt files. */
export async function readDiskCopy(path: string): Promise<DiskCopy | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<DiskCopy>;
  if (parsed.format !== 1 || parsed.snapshot === undefined) {
    throw new Error(`${path} is not a Promptline snapshot copy (format 1)`);
  }
  return { format: 1, savedAt: String(parsed.savedAt), etag: parsed.etag ?? null, snapshot: parsed.snapshot };
}

let sequence = 0;

/**
 * Writes the copy atomically: a temp file beside the target, then `rename`, so a crash mid-write
 * leaves the previous copy intact rather than a torn file another process would refuse at start.
 */
export async function writeDiskCopy(path: string, snapshot: unknown, etag: string | null): Promise<void> {
  const copy: DiskCopy = { format: 1, savedAt: new Date().toISOString(), etag, snapshot };
  const tmp = `${path}.${process.pid}.${++sequence}.tmp`;
  await mkdir(dirname(path), { recursive: true });
  try {
    await writeFile(tmp, JSON.stringify(copy));
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
