import { describe, expect, it } from 'vitest';
import { createSseParser, parseSse, type SseEvent } from './sse.ts';

interface Parsed {
  events: SseEvent[];
  retries: number[];
  comments: string[];
}

/** Feeds text chunks, then ends the stream. */
function collect(chunks: string[]): Parsed {
  const out: Parsed = { events: [], retries: [], comments: [] };
  const parser = createSseParser({
    onEvent: (e) => out.events.push(e),
    onRetry: (ms) => out.retries.push(ms),
    onComment: (c) => out.comments.push(c),
  });
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return out;
}

function streamOf(chunks: Array<string | Uint8Array>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks)
        controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

async function read(chunks: Array<string | Uint8Array>): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const event of parseSse(streamOf(chunks))) out.push(event);
  return out;
}

const STREAM =
  'retry: 2500\n\n: heartbeat\n\nevent: update\nid: s1\ndata: {"etag":"s1"}\n\ndata: line one\ndata: line two\n\nevent: update\ndata:{"etag":"s2"}\n\n';

describe('createSseParser (WHATWG event stream interpretation)', () => {
  it('parses named events, ids, retry hints, comments and multi-line data', () => {
    const { events, retries, comments } = collect([STREAM]);
    expect(retries).toEqual([2500]);
    expect(comments).toEqual(['heartbeat']);
    expect(events).toEqual([
      { event: 'update', data: '{"etag":"s1"}', id: 's1' },
      // The id persists to later events, and a missing `event:` means `message`.
      { event: 'message', data: 'line one\nline two', id: 's1' },
      { event: 'update', data: '{"etag":"s2"}', id: 's1' },
    ]);
  });

  it('gives the same events for LF, CRLF and CR line ends, whatever the chunk boundaries', () => {
    const whole = collect([STREAM]).events;
    for (const text of [STREAM, STREAM.replaceAll('\n', '\r\n'), STREAM.replaceAll('\n', '\r')]) {
      expect(collect([...text]).events).toEqual(whole);
      // Two chunks cut at every position, including between the \r and \n of a CRLF.
      for (let cut = 1; cut < text.length; cut++) {
        expect(collect([text.slice(0, cut), text.slice(cut)]).events, `cut at ${cut}`).toEqual(whole);
      }
    }
  });

  it('takes a CR, an LF and a CRLF split over chunks as three line ends, not four', () => {
    expect(collect(['data: one\r', '\n\r', '\ndata: two\r\rdata: three\r\n\r\n']).events).toEqual([
      { event: 'message', data: 'one', id: '' },
      { event: 'message', data: 'two', id: '' },
      { event: 'message', data: 'three', id: '' },
    ]);
    // An empty chunk between the \r and the \n changes nothing.
    expect(collect(['data: a\r', '', '\n\r\n']).events).toEqual([{ event: 'message', data: 'a', id: '' }]);
  });

  it('ignores one leading BOM, also when it arrives alone, and only at the very start', () => {
    expect(collect(['\uFEFFdata: a\n\n']).events).toEqual([{ event: 'message', data: 'a', id: '' }]);
    expect(collect(['\uFEFF', 'data: a\n\n']).events).toEqual([{ event: 'message', data: 'a', id: '' }]);
    // A second BOM is part of the first line: the field name `\uFEFFdata` is unknown.
    expect(collect(['\uFEFF\uFEFFdata: a\n\n']).events).toEqual([]);
    expect(collect(['data: a\n\n\uFEFFdata: b\n\n']).events).toEqual([
      { event: 'message', data: 'a', id: '' },
    ]);
  });

  it('does not dispatch an unterminated last event at the end of the stream', () => {
    expect(collect(['data: a\n\ndata: b']).events).toEqual([{ event: 'message', data: 'a', id: '' }]);
    expect(collect(['data: a\n\ndata: b\n']).events).toEqual([{ event: 'message', data: 'a', id: '' }]);
  });

  it('dispatches nothing for an event without data, and resets the event name after each event', () => {
    expect(collect(['event: ping\n\ndata: x\n\n']).events).toEqual([{ event: 'message', data: 'x', id: '' }]);
    expect(collect(['event: a\nevent: b\ndata: x\n\n']).events).toEqual([{ event: 'b', data: 'x', id: '' }]);
  });

  it('keeps an empty data line as an empty string and a data field without a colon as empty', () => {
    expect(collect(['data\n\ndata:\ndata\n\n']).events).toEqual([
      { event: 'message', data: '', id: '' },
      { event: 'message', data: '\n', id: '' },
    ]);
  });

  it('strips exactly one space after the colon', () => {
    expect(collect(['data:  two spaces\n\ndata:none\n\n']).events.map((e) => e.data)).toEqual([
      ' two spaces',
      'none',
    ]);
  });

  it('ignores unknown fields, ids containing NUL and retry values that are not all digits', () => {
    const { events, retries } = collect([
      'id: 1\n\nfoo: bar\nid: a\u0000b\nretry: 1x\nretry: -5\nretry: 1.5\nretry:\ndata: ok\n\n',
    ]);
    expect(events).toEqual([{ event: 'message', data: 'ok', id: '1' }]);
    expect(retries).toEqual([]);
  });

  it('lets an empty id reset the last event id', () => {
    expect(collect(['id: 7\ndata: a\n\nid\ndata: b\n\n']).events.map((e) => e.id)).toEqual(['7', '']);
  });

  it('reports comments without their colon and leading space', () => {
    expect(collect([':\n: keepalive\n:raw\n\n']).comments).toEqual(['', 'keepalive', 'raw']);
  });
});

describe('parseSse', () => {
  it('reassembles events and UTF-8 characters split anywhere between chunks', async () => {
    const bytes = new TextEncoder().encode('data: héllo wörld 🌍\n\ndata: x\n\n');
    const chunks = Array.from(bytes, (byte) => new Uint8Array([byte]));
    expect(await read(chunks)).toEqual([
      { event: 'message', data: 'héllo wörld 🌍', id: '' },
      { event: 'message', data: 'x', id: '' },
    ]);
  });

  it('skips a BOM sent as bytes and drops an unterminated last event', async () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf]);
    expect(await read([bom, 'data: a\r\n\r\ndata: cut off'])).toEqual([
      { event: 'message', data: 'a', id: '' },
    ]);
  });

  it('calls onActivity for every chunk, heartbeats included, and reports retry and comments', async () => {
    let activity = 0;
    const retries: number[] = [];
    const comments: string[] = [];
    const events: SseEvent[] = [];
    const body = streamOf(['retry: 100\n\n', ': heartbeat\n\n', 'data: a\n\n']);
    for await (const event of parseSse(body, {
      onActivity: () => activity++,
      onRetry: (ms) => retries.push(ms),
      onComment: (c) => comments.push(c),
    })) {
      events.push(event);
    }
    expect({ activity, retries, comments, events }).toEqual({
      activity: 3,
      retries: [100],
      comments: ['heartbeat'],
      events: [{ event: 'message', data: 'a', id: '' }],
    });
  });

  it('cancels the body when the consumer leaves early', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: 1\n\ndata: 2\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const event of parseSse(body)) {
      expect(event.data).toBe('1');
      break;
    }
    expect(cancelled).toBe(true);
  });

  it('ends the iteration and cancels the body when the signal aborts', async () => {
    let cancelled = false;
    const controller = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('data: 1\n\n'));
        // Then nothing: the stream stays open until cancelled.
      },
      cancel() {
        cancelled = true;
      },
    });
    const seen: string[] = [];
    for await (const event of parseSse(body, { signal: controller.signal })) {
      seen.push(event.data);
      controller.abort();
    }
    expect(seen).toEqual(['1']);
    expect(cancelled).toBe(true);
  });
});
