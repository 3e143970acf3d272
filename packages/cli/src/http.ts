/**
 * One request with a text answer, over `node:http` (or `node:https`). Not `fetch`: the first
 * `fetch` of a process loads undici, ~130 ms of CPU, more than the rest of a small command
 * (`promptline prompts list`: ~0.15 s of CPU with it, ~0.09 s without). Streamed transfers (backup,
 * export, import) keep `fetch`: they are long anyway.
 */
import type * as Http from 'node:http';
import { createRequire } from 'node:module';

// Required, not imported: an ESM import of node:http builds its namespace from every export, and
// one lazy export loads undici after all (the cost this module is here to avoid).
const require = createRequire(import.meta.url);

/** What a finished exchange left: the status line and the decoded body. */
export interface TextResponse {
  status: number;
  statusText: string;
  ok: boolean;
  text: string;
}

/**
 * Sends the request and reads the whole answer as UTF-8 (gzip and brotli decoded).
 *
 * @throws the socket's error (its `code` says why: ECONNREFUSED, ENOTFOUND…), or an error named
 * `TimeoutError` when no complete answer arrived within `timeoutMs`.
 */
export async function requestText(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number },
): Promise<TextResponse> {
  const target = new URL(url);
  const { request } = require(target.protocol === 'https:' ? 'node:https' : 'node:http') as typeof Http;
  return new Promise((resolve, reject) => {
    const req = request(target, {
      method: init.method,
      headers: { ...init.headers, 'accept-encoding': 'gzip, br' },
    });
    const timer = setTimeout(() => {
      const error = new Error(`no answer within ${init.timeoutMs} ms`);
      error.name = 'TimeoutError';
      req.destroy(error);
    }, init.timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.on('response', (res) => {
      readBody(res).then(
        (text) => {
          clearTimeout(timer);
          const status = res.statusCode ?? 0;
          resolve({ status, statusText: res.statusMessage ?? '', ok: status >= 200 && status < 300, text });
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
    req.end(init.body);
  });
}

async function readBody(res: Http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const encoding = res.headers['content-encoding'];
  if (encoding !== 'gzip' && encoding !== 'br') return body.toString('utf8');
  const zlib = await import('node:zlib');
  return (encoding === 'gzip' ? zlib.gunzipSync(body) : zlib.brotliDecompressSync(body)).toString('utf8');
}
