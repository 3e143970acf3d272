import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the scripted server received it. */
export interface RecordedRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** performance.now() when the request arrived. */
  at: number;
}

export type WireHandler = (
  request: RecordedRequest,
  response: ServerResponse,
  index: number,
) => void | Promise<void>;

export interface WireServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  requests: RecordedRequest[];
  /** Resolves when the n-th response's socket closes (to see cancellations reach the server). */
  closed: Promise<void>[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1:0 that speaks whatever wire format the handler scripts, and
 * records what it received.
 */
export async function startWireServer(handler: WireHandler): Promise<WireServer> {
  const requests: RecordedRequest[] = [];
  const closed: Promise<void>[] = [];
  const server = createServer(async (req, res) => {
    const at = performance.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, at };
    const index = requests.push(recorded) - 1;
    closed[index] = new Promise((resolve) => res.on('close', () => resolve()));
    try {
      await handler(recorded, res, index);
    } catch (error) {
      if (!res.headersSent) sendJson(res, 599, { error: { message: String(error) } });
      else res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    closed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Writes server-sent events, each `data` JSON-encoded unless it is already a string. */
export async function sendSse(
  response: ServerResponse,
  events: Array<{ event?: string; data: unknown }>,
  options: { delayMs?: number; end?: boolean } = {},
): Promise<void> {
  if (!response.headersSent) response.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const { event, data } of events) {
    if (response.destroyed) return;
    const payload = typeof data === 'string' ? data : JSON.stringify(data);
    response.write(`${event === undefined ? '' : `event: ${event}\n`}data: ${payload}\n\n`);
    if (options.delayMs !== undefined) await sleep(options.delayMs);
  }
  if (options.end !== false) response.end();
}

/** Drains a stream into its events. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const events: T[] = [];
  for await (const event of iterable) events.push(event);
  return events;
}
