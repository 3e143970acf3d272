import { createHash } from 'node:crypto';
import { canonicalJson } from '@promptline/core';

/** An answer kept by the response cache: exactly the bytes the client received the first time. */
export interface CachedAnswer {
  contentType: string;
  body: Buffer;
  /** The `<provider>/<model>` that answered (fallbacks included). */
  target: string;
  provider: string;
  model: string;
}

export interface ResponseCacheOptions {
  /** Most answers held (default 1 000). */
  maxEntries?: number;
  /** Most bytes held over all answers (default 64 MiB); one larger than an eighth of it is not kept. */
  maxBytes?: number;
}

/**
 * The gateway's opt-in response cache: in memory, per process, least recently used answers leave
 * first, each with its own expiry. Keyed by {@link cacheKey}, so only an identical request (same
 * project, route, model, messages, parameters, streaming or not) gets a stored answer.
 */
export function createResponseCache(options: ResponseCacheOptions = {}) {
  const maxEntries = options.maxEntries ?? 1_000;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  // A Map iterates in insertion order: re-inserting on a hit makes the first key the least recent.
  const entries = new Map<string, { answer: CachedAnswer; expires: number }>();
  let bytes = 0;
  let hits = 0;
  let misses = 0;

  function remove(key: string): void {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    bytes -= entry.answer.body.length;
  }

  return {
    get(key: string, now = Date.now()): CachedAnswer | undefined {
      const entry = entries.get(key);
      if (!entry || entry.expires <= now) {
        if (entry) remove(key);
        misses++;
        return undefined;
      }
      entries.delete(key);
      entries.set(key, entry);
      hits++;
      return entry.answer;
    },
    set(key: string, answer: CachedAnswer, ttlMs: number, now = Date.now()): void {
      if (answer.body.length > maxBytes / 8 || ttlMs <= 0) return;
      remove(key);
      entries.set(key, { answer, expires: now + ttlMs });
      bytes += answer.body.length;
      for (const oldest of entries.keys()) {
        if (entries.size <= maxEntries && bytes <= maxBytes) break;
        remove(oldest);
      }
    },
    stats: () => ({ entries: entries.size, bytes, hits, misses }),
  };
}

/** The cache key of a request: SHA-256 of its canonical JSON with the project and route. */
export function cacheKey(projectId: number, route: string, body: unknown): string {
  return createHash('sha256').update(canonicalJson({ projectId, route, body })).digest('hex');
}

export type ResponseCache = ReturnType<typeof createResponseCache>;
