/**
 * A small server-sent-events reader over `fetch` + web streams, so the SDK needs no EventSource
 * polyfill and can send an `Authorization` header (EventSource cannot). Parsing follows the
 * WHATWG "event stream interpretation" rules.
 */

/** One dispatched server-sent event. */
export interface SseEvent {
  /** The `event:` field; `message` when the server sent none. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The last `id:` seen on the stream (it persists across events, as in the spec). */
  id: string;
}

export interface SseParserHandlers {
  onEvent: (event: SseEvent) => void;
  /** A valid `retry:` field, in milliseconds. */
  onRetry?: (ms: number) => void;
  /** A comment line (`: heartbeat`), without the colon. */
  onComment?: (text: string) => void;
}

/** Incremental SSE parser: feed it decoded text chunks in order, in any split. */
export interface SseParser {
  push(chunk: string): void;
}

/** Creates an incremental parser for `text/event-stream` bodies. */
export function createSseParser(handlers: SseParserHandlers): SseParser {
  let buffer = '';
  // A chunk may end between the `\r` and `\n` of one CRLF; the `\n` then must not count twice.
  let skipLeadingLf = false;
  let eventType = '';
  let data = '';
  let hasData = false;
  let lastId = '';

  function processLine(line: string): void {
    if (line === '') {
      if (hasData) {
        handlers.onEvent({ event: eventType === '' ? 'message' : eventType, data, id: lastId });
      }
      eventType = '';
      data = '';
      hasData = false;
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) {
      handlers.onComment?.(line.slice(1).trimStart());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* space */) value = value.slice(1);
    switch (field) {
      case 'event':
        eventType = value;
        break;
      case 'data':
        data = hasData ? `${data}\n${value}` : value;
        hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) handlers.onRetry?.(Number(value));
        break;
      default:
        // Unknown fields are ignored, as the spec requires.
        break;
    }
  }

  return {
    push(chunk: string): void {
      buffer += chunk;
      let start = 0;
      if (skipLeadingLf && buffer.charCodeAt(0) === 10) start = 1;
      skipLeadingLf = false;
      for (let i = start; i < buffer.length; i++) {
        const c = buffer.charCodeAt(i);
        if (c !== 10 && c !== 13) continue;
        processLine(buffer.slice(start, i));
        if (c === 13) {
          if (i + 1 < buffer.length) {
            if (buffer.charCodeAt(i + 1) === 10) i++;
          } else {
            skipLeadingLf = true;
          }
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },
  };
}

/**
 * Reads a response body as SSE until it ends or `signal` aborts. Every received chunk (heartbeats
 * included) calls `onActivity`, which is what a watchdog needs to tell a live stream from a dead one.
 */
export async function readSseStream(
  body: ReadableStream<Uint8Array>,
  handlers: SseParserHandlers & { onActivity?: () => void },
  signal?: AbortSignal,
): Promise<void> {
  const parser = createSseParser(handlers);
  const decoder = new TextDecoder();
  const reader = body.getReader();
  const onAbort = (): void => {
    reader.cancel().catch(() => {});
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    while (!signal?.aborted) {
      const { done, value } = await reader.read();
      if (done) break;
      handlers.onActivity?.();
      parser.push(decoder.decode(value, { stream: true }));
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    reader.releaseLock();
  }
}
