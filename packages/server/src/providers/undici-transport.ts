/**
 * The server's provider transport: undici's `request` on one keep-alive agent instead of `fetch`.
 * Node's `fetch` is the same undici wrapped in WHATWG Request, Response, Headers and web streams,
 * which cost about as much CPU again as the request itself — on the gateway's path that was most
 * of its own added latency (bench/gateway.bench.ts). Answers the way `fetch` would (the
 * `HttpTransport` contract): redirects handed to `fetch` to follow, compressed bodies decompressed,
 * the signal aborting the request and its body, a rejection on network failure.
 */
import { STATUS_CODES } from 'node:http';
import { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { HttpResponse, HttpTransport } from '@promptline/core';
import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici';

/** A transport and the agent behind it; `close()` ends its idle connections. */
export interface ProviderTransport {
  send: HttpTransport;
  close(): Promise<void>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** What `fetch` sends unless the caller says otherwise (providers see the same request as before). */
const DEFAULT_HEADERS: Readonly<Record<string, string>> = {
  accept: '*/*',
  'accept-encoding': 'gzip, deflate, br',
  'user-agent': 'node',
};

type Headers = Dispatcher.ResponseData['headers'];

/** The defaults, then the caller's headers whatever their case (one `user-agent`, not two). */
function requestHeaders(given: Record<string, string>): Record<string, string> {
  const headers = { ...DEFAULT_HEADERS };
  for (const [name, value] of Object.entries(given)) headers[name.toLowerCase()] = value;
  return headers;
}

function headerOf(headers: Headers, name: string): string | null {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The body as sent, or through a decompressor when the provider compressed it. */
function decoded(body: Readable, encoding: string | null): Readable {
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? createGunzip()
      : encoding === 'deflate'
        ? createInflate()
        : encoding === 'br'
          ? createBrotliDecompress()
          : undefined;
  if (decoder === undefined) return body;
  // A decompressor does not see an abort of the body it reads, nor its reader the body: pass both on.
  body.once('error', (error) => decoder.destroy(error));
  decoder.once('close', () => body.destroy());
  return body.pipe(decoder);
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function toResponse(answer: Dispatcher.ResponseData): HttpResponse {
  const status = answer.statusCode;
  const encoding = headerOf(answer.headers, 'content-encoding')?.trim().toLowerCase() ?? null;
  let stream: Readable | undefined;
  let web: ReadableStream<Uint8Array> | undefined;
  const body = (): Readable => {
    stream ??= decoded(answer.body, encoding);
    return stream;
  };
  return {
    ok: status >= 200 && status < 300,
    status,
    // undici's request drops the reason phrase; the standard one is what providers send.
    statusText: STATUS_CODES[status] ?? '',
    headers: { get: (name) => headerOf(answer.headers, name) },
    get body() {
      web ??= Readable.toWeb(body()) as ReadableStream<Uint8Array>;
      return web;
    },
    // The Node stream itself: no web stream between the provider and the gateway's first write.
    chunks: () => body(),
    text() {
      // No decoder: undici reads its own body fastest.
      return stream === undefined && encoding === null ? answer.body.text() : readAll(body());
    },
  };
}

/** Forward-proxy settings for provider calls, or null to connect directly. */
export type ProxySettings = { httpProxy?: string; httpsProxy?: string; noProxy?: string } | null;

/**
 * The proxies `fetch` would use: `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY` (either case), read
 * only when Node is asked to (`NODE_USE_ENV_PROXY=1` or `--use-env-proxy`), as Node's own fetch does.
 */
export function proxySettings(env: NodeJS.ProcessEnv, execArgv: readonly string[]): ProxySettings {
  if (env.NODE_USE_ENV_PROXY !== '1' && !execArgv.includes('--use-env-proxy')) return null;
  const read = (name: string) => env[name] ?? env[name.toLowerCase()];
  const httpProxy = read('HTTP_PROXY');
  const httpsProxy = read('HTTPS_PROXY');
  const noProxy = read('NO_PROXY');
  if (!httpProxy && !httpsProxy) return null;
  return {
    ...(httpProxy ? { httpProxy } : {}),
    ...(httpsProxy ? { httpsProxy } : {}),
    ...(noProxy ? { noProxy } : {}),
  };
}

/**
 * Creates the transport: one undici agent (keep-alive, no connection limit — the callers bound
 * their own concurrency), for every provider call the server makes (gateway, playground, evals).
 *
 * @example
 * const transport = createProviderTransport();
 * const provider = createProvider({ kind: 'openai', apiKey, transport: transport.send });
 * // … when the server stops:
 * await transport.close();
 */
export function createProviderTransport(
  proxy: ProxySettings = proxySettings(process.env, process.execArgv),
): ProviderTransport {
  const agent: Dispatcher = proxy ? new EnvHttpProxyAgent(proxy) : new Agent();
  const send: HttpTransport = async (url, init) => {
    const target = new URL(url);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') return fetch(url, init);
    const answer = await agent.request({
      origin: target.origin,
      path: `${target.pathname}${target.search}`,
      method: init.method,
      headers: requestHeaders(init.headers),
      body: init.body,
      signal: init.signal,
    });
    if (REDIRECTS.has(answer.statusCode) && answer.headers.location !== undefined) {
      // Rare for an API: fetch follows it with its own rules.
      await answer.body.dump();
      return fetch(url, init);
    }
    return toResponse(answer);
  };
  return { send, close: () => agent.close() };
}
