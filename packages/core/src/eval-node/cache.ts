/**
 * The response cache of eval runs: one small JSON file per model call, keyed by the SHA-256 of the
 * canonical {provider, model, parameters, rendered input}, so a re-run only pays for what changed.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalJson } from '../canonical.ts';
import type { ToolCall, Usage } from '../providers/types.ts';

/** What is cached of a model call. */
export interface CachedResponse {
  text: string;
  toolCalls: ToolCall[];
  finishReason: string | null;
  usage: Usage | null;
  costUsd: number | null;
  latencyMs: number;
}

/** A response cache. */
export interface ResponseCache {
  get(key: string): Promise<CachedResponse | undefined>;
  set(key: string, value: CachedResponse): Promise<void>;
}

/** The cache key of a call: SHA-256 (hex) of the canonical JSON of what determines the answer. */
export function responseCacheKey(parts: {
  provider: unknown;
  model: string;
  parameters: unknown;
  input: unknown;
}): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('hex');
}

/**
 * A cache in `dir` (created on first write), two-level fan-out so no directory holds millions of
 * files. Writes go to a temporary name and are renamed, so a crash never leaves a torn entry.
 */
export function createDiskCache(dir: string): ResponseCache {
  const pathOf = (key: string) => join(dir, key.slice(0, 2), `${key}.json`);
  return {
    async get(key) {
      try {
        return JSON.parse(await readFile(pathOf(key), 'utf8')) as CachedResponse;
      } catch {
        // Absent or unreadable entries are misses: the call is made again and the entry rewritten.
        return undefined;
      }
    },
    async set(key, value) {
      const file = pathOf(key);
      await mkdir(join(dir, key.slice(0, 2)), { recursive: true });
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await writeFile(tmp, JSON.stringify(value));
      await rename(tmp, file);
    },
  };
}
