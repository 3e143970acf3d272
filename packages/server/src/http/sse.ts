import type { ServerResponse } from 'node:http';

/**
 * The one server-sent-events writer: every `text/event-stream` the server answers (live updates,
 * playground runs, eval-run progress) goes through {@link openSse}, so all of them carry the same
 * headers, heartbeats, back-pressure limit and disconnect handling.
 */

/**
 * Headers of every stream. `no-transform` and `x-accel-buffering: no` keep proxies (nginx and the
 * like) and compression from buffering or rewriting it: an event must not wait in a buffer. The
 * content type is what the server's compression checks to leave streams alone.
 */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/** Default interval of the `: heartbeat` comment: proxies close connections idle for longer. */
export const SSE_HEARTBEAT_MS = 15_000;

const HEARTBEAT = Buffer.from(': heartbeat\n\n');

/** Options of {@link openSse}. */
export interface OpenSseOptions {
  /** Extra response headers (e.g. `x-request-id`); the SSE headers win over them. */
  headers?: Record<string, string>;
  /** Interval of the `: heartbeat` comment (default {@link SSE_HEARTBEAT_MS}); 0 for none. */
  heartbeatMs?: number;
  /** A `retry:` hint sent first: how long a client waits before reconnecting (ms). */
  retryMs?: number;
  /**
   * A client that has not read this many written bytes is cut off (its stream aborts), so one that
   * stopped reading cannot make the server buffer every event for it. Default: no limit.
   */
  maxBufferedBytes?: number;
}

/** An open event stream over one response. */
export interface SseStream {
  /**
   * Aborted when the stream is over for the producer: the client disconnected, it was cut off for
   * not reading, or {@link SseStream.end} was called. Producers pass it on (provider calls, loops).
   */
  readonly signal: AbortSignal;
  /** Whether events can still be written. */
  readonly open: boolean;
  /** Writes one event whose data is `JSON.stringify(data)`; false when the stream is closed. */
  send(event: string, data: unknown, id?: string | number): boolean;
  /** Writes bytes already framed as events (one frame shared by many streams). */
  write(frame: string | Buffer): boolean;
  /** Ends the response; a client that already left has its socket destroyed instead. */
  end(): void;
}

/**
 * Formats one event. Data with line breaks becomes several `data:` lines, which readers join back
 * with `\n`; `event` and `id` must be single-line.
 */
export function formatSseEvent(event: string, data: string, id?: string | number): string {
  const idLine = id === undefined ? '' : `id: ${id}\n`;
  const dataLines = data.includes('\n') || data.includes('\r') ? data.split(/\r\n|\r|\n/) : [data];
  return `${idLine}event: ${event}\n${dataLines.map((line) => `data: ${line}\n`).join('')}\n`;
}

/**
 * Streams whose heartbeat is due, per interval: one timer serves every stream with the same
 * interval, so ten thousand idle connections cost one timer, not ten thousand.
 */
const heartbeats = new Map<number, { timer: NodeJS.Timeout; streams: Set<() => void> }>();

function joinHeartbeat(intervalMs: number, beat: () => void): () => void {
  let group = heartbeats.get(intervalMs);
  if (!group) {
    const streams = new Set<() => void>();
    const timer = setInterval(() => {
      for (const send of streams) send();
    }, intervalMs);
    timer.unref();
    group = { timer, streams };
    heartbeats.set(intervalMs, group);
  }
  const joined = group;
  joined.streams.add(beat);
  return () => {
    joined.streams.delete(beat);
    if (joined.streams.size === 0) {
      clearInterval(joined.timer);
      if (heartbeats.get(intervalMs) === joined) heartbeats.delete(intervalMs);
    }
  };
}

/**
 * Takes over `res` (the caller has hijacked it from Fastify) as an event stream: writes the
 * status and headers, the `retry:` hint if any, and sends heartbeats until the stream ends. The
 * headers, the hint and whatever is written in the same tick leave in one packet.
 *
 * @example
 * reply.hijack();
 * const stream = openSse(reply.raw, { headers: { 'x-request-id': request.id } });
 * await produce((event, data) => stream.send(event, data), stream.signal);
 * stream.end();
 */
export function openSse(res: ServerResponse, options: OpenSseOptions = {}): SseStream {
  const controller = new AbortController();
  const maxBuffered = options.maxBufferedBytes ?? Number.POSITIVE_INFINITY;
  let clientGone = false;
  let leave = (): void => {};

  const stop = (reason: string): void => {
    leave();
    if (!controller.signal.aborted) controller.abort(new Error(reason));
  };
  const onClose = (): void => {
    // 'close' before the response finished: the client went away.
    if (!res.writableFinished) clientGone = true;
    stop('the client disconnected');
  };
  res.on('close', onClose);

  const isOpen = (): boolean => !controller.signal.aborted && !res.destroyed && !res.writableEnded;

  function write(frame: string | Buffer): boolean {
    if (!isOpen()) return false;
    if (res.writableLength > maxBuffered) {
      clientGone = true;
      stop('the client stopped reading');
      res.destroy();
      return false;
    }
    res.write(frame);
    return true;
  }

  res.socket?.setNoDelay(true);
  res.writeHead(200, { ...options.headers, ...SSE_HEADERS });
  // Node's http corks the socket at the first write of a tick and uncorks it on the next, so the
  // headers and what is written in the same tick already leave together. No cork of our own: with
  // one pending, events written after a microtask and the end in the same tick were lost (a
  // provider's whole answer already buffered, then passed on).
  if (options.retryMs !== undefined) res.write(`retry: ${options.retryMs}\n\n`);
  const heartbeatMs = options.heartbeatMs ?? SSE_HEARTBEAT_MS;
  if (heartbeatMs > 0) leave = joinHeartbeat(heartbeatMs, () => write(HEARTBEAT));

  return {
    signal: controller.signal,
    get open() {
      return isOpen();
    },
    send: (event, data, id) => write(formatSseEvent(event, JSON.stringify(data), id)),
    write,
    end(): void {
      stop('the stream ended');
      res.off('close', onClose);
      // A half-closed socket of a client that left would otherwise hold server.close() until it times out.
      if (clientGone) res.destroy();
      else if (!res.writableEnded) res.end();
    },
  };
}
