/**
 * A provider transport over `node:http`/`node:https` with keep-alive agents. Node's `fetch` (undici
 * through web streams) costs several times the CPU per call of a plain request; in an eval run of
 * thousands of small calls that is most of the run's own CPU. Answers the way `fetch` would:
 * redirects and proxied setups are handed to `fetch` itself, compressed bodies are decompressed.
 */
import type { IncomingMessage } from 'node:http';
import type { Agent } from 'node:https';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { HttpResponse, HttpTransport } from '../providers/types.ts';

// Built-ins through require, not import: an ESM import of node:http reads every export of it, and
// its lazy web getters load undici (~20 ms of every `promptline eval` start). TLS and zlib load
// only when a call needs them (an https URL, a compressed answer).
const load = createRequire(import.meta.url);
const http = load('node:http') as typeof import('node:http');
const https = () => load('node:https') as typeof import('node:https');
const zlib = () => load('node:zlib') as typeof import('node:zlib');

/** A transport and the agents behind it; `close()` ends their idle connections. */
export interface NodeTransport {
  send: HttpTransport;
  close(): void;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function decoded(res: IncomingMessage): Readable {
  switch (res.headers['content-encoding']?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return res.pipe(zlib().createGunzip());
    case 'deflate':
      return res.pipe(zlib().createInflate());
    case 'br':
      return res.pipe(zlib().createBrotliDecompress());
    default:
      return res;
  }
}

function toResponse(res: IncomingMessage): HttpResponse {
  const status = res.statusCode ?? 0;
  let stream: Readable | undefined;
  const body = () => {
    if (stream) return stream;
    const readable = decoded(res);
    // A decompressor does not see an abort of the response it reads: pass it on.
    if (readable !== res) res.once('error', (error) => readable.destroy(error));
    stream = readable;
    return readable;
  };
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: res.statusMessage ?? '',
    headers: {
      get(name) {
        const value = res.headers[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(', ') : value;
      },
    },
    get body() {
      return Readable.toWeb(body()) as ReadableStream<Uint8Array>;
    },
    text() {
      return new Promise<string>((resolve, reject) => {
        const source = body();
        const chunks: Buffer[] = [];
        source.on('data', (chunk: Buffer) => chunks.push(chunk));
        source.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        source.on('error', reject);
        // Node ends a response cut short with 'aborted'/'close' and no 'end'.
        res.on('close', () => {
          if (!res.complete) reject(new Error('the connection closed before the response ended'));
        });
      });
    },
  };
}

/**
 * Creates the transport. One keep-alive agent per protocol, no socket limit (the runner bounds
 * concurrency itself).
 *
 * @example
 * const transport = createNodeTransport();
 * const provider = createProvider({ kind: 'openai', apiKey, transport: transport.send });
 * // … when done:
 * transport.close();
 */
export function createNodeTransport(): NodeTransport {
  const plain = new http.Agent({ keepAlive: true });
  let secure: Agent | undefined;
  const send: HttpTransport = (url, init) => {
    const target = new URL(url);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') return fetch(url, init);
    const tls = target.protocol === 'https:';
    if (tls) secure ??= new (https().Agent)({ keepAlive: true });
    const agent = tls ? secure : plain;
    return new Promise<HttpResponse>((resolve, reject) => {
      const request = (tls ? https() : http).request(
        target,
        {
          method: init.method,
          agent,
          signal: init.signal,
          headers: {
            accept: '*/*',
            'accept-encoding': 'gzip, deflate, br',
            ...init.headers,
            'content-length': String(Buffer.byteLength(init.body)),
          },
        },
        (res) => {
          if (REDIRECTS.has(res.statusCode ?? 0) && res.headers.location) {
            // Rare for an API: let fetch follow it with its own rules.
            res.resume();
            fetch(url, init).then(resolve, reject);
            return;
          }
          resolve(toResponse(res));
        },
      );
      request.on('error', reject);
      request.end(init.body);
    });
  };
  return {
    send,
    close() {
      plain.destroy();
      secure?.destroy();
    },
  };
}
