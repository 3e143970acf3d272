/**
 * What the update stream's events carry, read without touching the client's state: the whole
 * snapshot (connect events) or the changed releases on top of the snapshot held (change events
 * whose `baseEtag` is ours). Also the ETag spellings, which name one snapshot several ways.
 */
import { AppError, type Snapshot } from '@promptline/core';
import { isRecord, snapshotProblem } from './resolve.ts';

/** `W/"abc"`, `"abc"` and `abc` name the same snapshot. */
export function normalizeEtag(etag: string | null | undefined): string {
  if (etag == null) return '';
  const raw = etag.startsWith('W/') ? etag.slice(2) : etag;
  return raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
}

/** The snapshot's bare ETag as an `ETag`/`If-None-Match` header value; a quoted one is kept as is. */
export function etagHeaderOf(etag: string): string {
  return /^(W\/)?"/.test(etag) ? etag : `"${etag}"`;
}

export function unreadable(source: string, problem: string): AppError {
  return new AppError(
    'INTERNAL',
    `The snapshot from ${source} is not one this SDK understands (${problem}); upgrade @promptline/sdk or the server. Keeping the previous snapshot.`,
  );
}

/**
 * The snapshot an event carries (with the event's own ETag spelling) — `delta` naming the releases that changed when it came as a
 * delta — or the problem that makes it unusable. Undefined when the event carries neither usable
 * form: the caller then compares ETags and fetches.
 */
export function inlineSnapshot(
  data: unknown,
  held: Snapshot | undefined,
  streamUrl: string,
): { next: Snapshot; etag: string; delta?: string[] } | { problem: AppError } | undefined {
  if (!isRecord(data) || typeof data.etag !== 'string') return undefined;
  const etag = data.etag;
  if (data.snapshot !== undefined) {
    const problem = snapshotProblem(data.snapshot);
    if (problem !== undefined) return { problem: unreadable(`${streamUrl} (connect event)`, problem) };
    const next = data.snapshot as Snapshot;
    return normalizeEtag(next.etag) === normalizeEtag(etag) ? { next, etag } : undefined;
  }
  if (
    isRecord(data.delta) &&
    typeof data.baseEtag === 'string' &&
    held !== undefined &&
    // The ETag is a hash of the content, so a disk copy with the base's ETag is the base.
    normalizeEtag(data.baseEtag) === normalizeEtag(held.etag)
  ) {
    const prompts = { ...held.prompts };
    const added: Snapshot['prompts'] = {};
    for (const [name, release] of Object.entries(data.delta)) {
      if (release === null) delete prompts[name];
      else added[name] = release as Snapshot['prompts'][string];
    }
    // Each release is checked as a fetched snapshot's are.
    const problem = snapshotProblem({ environment: held.environment, etag, prompts: added });
    if (problem !== undefined) return { problem: unreadable(`${streamUrl} (change event)`, problem) };
    return {
      next: { ...held, etag, prompts: { ...prompts, ...added } },
      etag,
      delta: Object.keys(data.delta),
    };
  }
  return undefined;
}
