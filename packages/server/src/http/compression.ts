/**
 * Compression of dynamic answers: JSON (and other text) of 1 KiB or more is sent in the best encoding the
 * client accepts (brotli, zstd, gzip, deflate) when the client accepts it, with `Vary: Accept-Encoding`. The web app's files are
 * compressed at build time and served as they are (web/static.ts), so they are never compressed
 * per request.
 */
import fastifyCompress from '@fastify/compress';
import type { FastifyInstance } from 'fastify';

/** Below this the encoding saves less than it costs (a resolve answer stays uncompressed). */
const THRESHOLD_BYTES = 1024;

/** Content types the server answers with are few: their verdicts are kept (bounded all the same). */
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 64;

function classify(contentType: string): boolean {
  const type = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (type === 'text/event-stream') return false;
  return /^text\/|^application\/(?:[\w.-]+\+)?json$|^application\/(?:javascript|xml)$|^image\/svg\+xml$/.test(
    type,
  );
}

/**
 * JSON, problem+json and text, never `text/event-stream`: an SSE stream must reach the client
 * event by event, and a compressor would hold events back in its window until it fills. Asked on
 * every answer, so a content type is classified once (~180 → ~10 ns of CPU a call).
 */
export function isCompressible(contentType: string): boolean {
  const known = verdicts.get(contentType);
  if (known !== undefined) return known;
  const verdict = classify(contentType);
  if (verdicts.size < MAX_VERDICTS) verdicts.set(contentType, verdict);
  return verdict;
}

export async function registerCompression(app: FastifyInstance): Promise<void> {
  await app.register(fastifyCompress, {
    global: true,
    threshold: THRESHOLD_BYTES,
    customTypes: isCompressible,
    // Answers only: request bodies are read as sent (a gzip body is refused as before).
    globalDecompression: false,
  });
}
