/** One server-sent event: its `event` name (`message` when the stream names none) and its data. */
export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/**
 * Parses a `text/event-stream` body into messages, following the WHATWG rules that matter for
 * LLM streams: `\n`, `\r\n` and `\r` line ends, multi-line `data:`, comments, one optional space
 * after the colon, and events split across network chunks anywhere (even inside a UTF-8 sequence).
 */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  let sawCr = false;

  function dispatch(): SseMessage | null {
    if (data.length === 0) {
      event = '';
      return null;
    }
    const message: SseMessage = { event: event === '' ? 'message' : event, data: data.join('\n') };
    if (id !== undefined) message.id = id;
    event = '';
    data = [];
    return message;
  }

  function processLine(line: string): SseMessage | null {
    if (line === '') return dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\u0000')) id = value;
    return null;
  }

  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const char = buffer.charCodeAt(i);
        if (char !== 10 && char !== 13) {
          sawCr = false;
          continue;
        }
        // The \n of a \r\n pair that straddled two chunks ends no new line.
        if (char === 10 && sawCr && i === start) {
          sawCr = false;
          start = i + 1;
          continue;
        }
        const message = processLine(buffer.slice(start, i));
        if (message !== null) yield message;
        if (char === 13 && buffer.charCodeAt(i + 1) === 10) i++;
        sawCr = char === 13 && i === buffer.length - 1;
        start = i + 1;
      }
      buffer = buffer.slice(start);
      if (done) {
        // A stream that ends without a blank line still delivers its last event.
        if (buffer !== '') processLine(buffer);
        const last = dispatch();
        if (last !== null) yield last;
        return;
      }
    }
  } finally {
    // Stops the download when the consumer leaves early (break, error, cancellation).
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
