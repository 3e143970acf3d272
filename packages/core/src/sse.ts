/**
 * The one server-sent-events reader of Promptline, shared by the provider clients, the SDK and the
 * web app. It follows the WHATWG "event stream interpretation" rules
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
 *
 * - one leading U+FEFF (BOM) is ignored; lines end with `\r\n`, `\n` or `\r`, also when a `\r\n`
 *   pair is split across two chunks;
 * - a line starting with `:` is a comment; `field: value` loses one space after the colon; a line
 *   without a colon is a field with an empty value; unknown fields are ignored;
 * - `data:` lines are joined with `\n`; a blank line dispatches the event, unless it has no data;
 *   `event:` names it (default `message`) for that event only;
 * - `id:` sets the last event ID, which persists across events (ignored when it contains NUL);
 * - `retry:` made of ASCII digits only is a reconnection time in milliseconds;
 * - at the end of the stream an event without its terminating blank line is NOT dispatched: it
 *   may have been cut off. Every server Promptline talks to (OpenAI, Anthropic, Gemini, compatible
 *   servers, Promptline's own streams) ends each event with a blank line, so nothing complete is lost.
 *
 * No Node-only API and no dependency: it runs in browsers, Node and edge runtimes (exported by
 * `@promptline/core` and by `@promptline/core/browser`).
 */

/** One dispatched server-sent event. */
export interface SseEvent {
  /** The `event:` field; `message` when the event named none. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The last event ID seen on the stream so far (it persists across events); `''` when none. */
  id: string;
}

/** What a parser reports besides events. */
export interface SseHandlers {
  onEvent: (event: SseEvent) => void;
  /** A valid `retry:` field, in milliseconds. */
  onRetry?: (ms: number) => void;
  /** A comment line (`: heartbeat`), without the colon and leading spaces. */
  onComment?: (text: string) => void;
}

/** An incremental parser: feed it decoded text in order, split anywhere. */
export interface SseParser {
  push(chunk: string): void;
  /** The stream ended: a pending line is processed, an unterminated event is dropped. */
  end(): void;
}

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;

/**
 * Creates an incremental `text/event-stream` parser that calls `handlers` as lines complete.
 *
 * @example
 * const parser = createSseParser({ onEvent: (e) => console.log(e.event, e.data) });
 * parser.push('event: delta\ndata: {"text":"Hi"}\n\n');
 * parser.end();
 */
export function createSseParser(handlers: SseHandlers): SseParser {
  let buffer = '';
  let started = false;
  // A chunk that ended with `\r` may continue with the `\n` of the same line end.
  let skipLf = false;
  let eventType = '';
  let data = '';
  let hasData = false;
  let lastId = '';

  function dispatch(): void {
    if (hasData) handlers.onEvent({ event: eventType === '' ? 'message' : eventType, data, id: lastId });
    eventType = '';
    data = '';
    hasData = false;
  }

  function processLine(line: string): void {
    if (line === '') {
      dispatch();
      return;
    }
    if (line.charCodeAt(0) === COLON) {
      handlers.onComment?.(line.slice(1).trimStart());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === SPACE) value = value.slice(1);
    switch (field) {
      case 'event':
        eventType = value;
        break;
      case 'data':
        data = hasData ? `${data}\n${value}` : value;
        hasData = true;
        break;
      case 'id':
        if (!value.includes('\u0000')) lastId = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) handlers.onRetry?.(Number(value));
        break;
      default:
        break;
    }
  }

  return {
    push(chunk: string): void {
      if (!started && chunk !== '') {
        started = true;
        if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      }
      buffer += chunk;
      let start = 0;
      if (skipLf && buffer.charCodeAt(0) === LF) start = 1;
      if (buffer.length > 0) skipLf = false;
      for (let i = start; i < buffer.length; i++) {
        const c = buffer.charCodeAt(i);
        if (c !== LF && c !== CR) continue;
        processLine(buffer.slice(start, i));
        if (c === CR) {
          if (i + 1 < buffer.length) {
            if (buffer.charCodeAt(i + 1) === LF) i++;
          } else {
            skipLf = true;
          }
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },

    end(): void {
      // A last line without its line end still counts as a field (e.g. a final `id:`), but the
      // event it belongs to was never terminated by a blank line, so it is not dispatched.
      if (buffer !== '') processLine(buffer);
      buffer = '';
      eventType = '';
      data = '';
      hasData = false;
    },
  };
}

/** Options of {@link parseSse}. */
export interface ParseSseOptions {
  /** Stops reading (the body is cancelled and the iteration ends). */
  signal?: AbortSignal;
  /** Called for every chunk received, heartbeats included: what a watchdog needs. */
  onActivity?: () => void;
  onRetry?: (ms: number) => void;
  onComment?: (text: string) => void;
}

/**
 * Reads a `text/event-stream` body and yields its events as they complete, whatever the chunk
 * boundaries (even inside a UTF-8 sequence). Leaving the loop early (break, throw) or aborting
 * `signal` cancels the body, so the download stops.
 *
 * @example
 * for await (const event of parseSse(response.body)) {
 *   if (event.event === 'delta') process.stdout.write(JSON.parse(event.data).text);
 * }
 */
export async function* parseSse(
  body: ReadableStream<Uint8Array>,
  options: ParseSseOptions = {},
): AsyncGenerator<SseEvent> {
  const { signal, onActivity } = options;
  const pending: SseEvent[] = [];
  const handlers: SseHandlers = { onEvent: (event) => pending.push(event) };
  if (options.onRetry) handlers.onRetry = options.onRetry;
  if (options.onComment) handlers.onComment = options.onComment;
  const parser = createSseParser(handlers);
  const decoder = new TextDecoder();
  const reader = body.getReader();
  const onAbort = (): void => {
    // Cancelling a stream that already failed or ended rejects; the reader loop reports the cause.
    reader.cancel(signal?.reason).catch(() => undefined);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    while (!signal?.aborted) {
      const { done, value } = await reader.read();
      if (done) {
        parser.push(decoder.decode());
        parser.end();
      } else {
        onActivity?.();
        parser.push(decoder.decode(value, { stream: true }));
      }
      while (pending.length > 0 && !signal?.aborted) {
        const event = pending.shift();
        if (event) yield event;
      }
      if (done) return;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Stops the download when the consumer leaves early (break, error, abort).
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
