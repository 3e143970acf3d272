/** One server-sent event: its `event` name (default `message`) and its joined `data` lines. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * Incremental parser for `text/event-stream` (the WHATWG rules): feed it chunks as they arrive,
 * in any split, and it returns the events completed so far. Used instead of `EventSource` because
 * the playground stream is a POST with a JSON body and auth headers.
 */
export function createSseParser(): { push(chunk: string): SseEvent[]; end(): SseEvent[] } {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  let started = false;

  function dispatch(out: SseEvent[]): void {
    if (data.length > 0) {
      const e: SseEvent = { event: event || 'message', data: data.join('\n') };
      if (id !== undefined) e.id = id;
      out.push(e);
    }
    event = '';
    data = [];
  }

  function line(text: string, out: SseEvent[]): void {
    if (text === '') {
      dispatch(out);
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) id = value;
  }

  function drain(out: SseEvent[], final: boolean): void {
    for (;;) {
      const match = /\r\n|\r|\n/.exec(buffer);
      // A lone trailing \r may be the first half of \r\n: wait for the next chunk unless at the end.
      if (!match || (!final && match[0] === '\r' && match.index === buffer.length - 1)) break;
      line(buffer.slice(0, match.index), out);
      buffer = buffer.slice(match.index + match[0].length);
    }
  }

  return {
    push(chunk) {
      if (!started) {
        started = true;
        if (chunk.startsWith('\uFEFF')) chunk = chunk.slice(1);
      }
      buffer += chunk;
      const out: SseEvent[] = [];
      drain(out, false);
      return out;
    },
    end() {
      const out: SseEvent[] = [];
      drain(out, true);
      // Per the spec an unterminated last event is dropped; a trailing line without newline still counts as a field.
      if (buffer) line(buffer, out);
      buffer = '';
      return out;
    },
  };
}
