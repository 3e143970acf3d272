import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { parseSse, type SseEvent } from '@promptline/core';
import { afterEach, describe, expect, it } from 'vitest';
import { formatSseEvent, type OpenSseOptions, openSse, type SseStream } from './sse.ts';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  if (server) await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** A real HTTP server on port 0 whose one route opens a stream and hands it to `use`. */
async function serve(options: OpenSseOptions, use: (stream: SseStream, res: ServerResponse) => void) {
  server = createServer((_req, res) => use(openSse(res, options), res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('formatSseEvent', () => {
  it('frames an event with its id, and splits data with line breaks into several data lines', () => {
    expect(formatSseEvent('delta', '{"a":1}')).toBe('event: delta\ndata: {"a":1}\n\n');
    expect(formatSseEvent('result', 'x', 7)).toBe('id: 7\nevent: result\ndata: x\n\n');
    expect(formatSseEvent('note', 'one\ntwo\r\nthree')).toBe(
      'event: note\ndata: one\ndata: two\ndata: three\n\n',
    );
  });
});

describe('openSse', () => {
  it('delivers every event when the stream ends before the next tick (a buffered answer passed on at once)', async () => {
    server = createServer((_req, res) => {
      let stream: SseStream | undefined;
      // Queued before the stream opens: runs ahead of anything the stream itself defers to the next tick.
      process.nextTick(() => {
        stream?.send('delta', { n: 2 });
        stream?.send('delta', { n: 3 });
        stream?.end();
      });
      stream = openSse(res, { heartbeatMs: 0 });
      stream.send('delta', { n: 1 });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const events: SseEvent[] = [];
    for await (const event of parseSse(response.body as ReadableStream<Uint8Array>)) events.push(event);
    expect(events.map((e) => JSON.parse(e.data))).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('answers 200 with the stream headers, the retry hint, events and heartbeats, then ends', async () => {
    const url = await serve(
      { headers: { 'x-request-id': 'r1' }, retryMs: 1500, heartbeatMs: 20 },
      (stream) => {
        stream.send('delta', { text: 'hi\nthere' }, 3);
        // Long enough for at least one heartbeat before the last event.
        setTimeout(() => {
          stream.send('end', {});
          stream.end();
        }, 120);
      },
    );
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(Object.fromEntries(response.headers)).toMatchObject({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      'x-request-id': 'r1',
    });
    const retries: number[] = [];
    const comments: string[] = [];
    const events: SseEvent[] = [];
    for await (const event of parseSse(response.body as ReadableStream<Uint8Array>, {
      onRetry: (ms) => retries.push(ms),
      onComment: (c) => comments.push(c),
    })) {
      events.push(event);
    }
    expect(retries).toEqual([1500]);
    expect(comments.length).toBeGreaterThan(0);
    expect(new Set(comments)).toEqual(new Set(['heartbeat']));
    expect(events).toEqual([
      { event: 'delta', data: '{"text":"hi\\nthere"}', id: '3' },
      { event: 'end', data: '{}', id: '3' },
    ]);
  });

  it('aborts the producer signal when the client disconnects, and writes nothing after', async () => {
    let stream: SseStream | undefined;
    const url = await serve({ heartbeatMs: 0 }, (s) => {
      stream = s;
      s.send('hello', {});
    });
    const controller = new AbortController();
    const response = await fetch(url, { signal: controller.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const opened = stream as SseStream;
    expect(opened.signal.aborted).toBe(false);
    controller.abort();
    await new Promise<void>((resolve) => opened.signal.addEventListener('abort', () => resolve()));
    expect((opened.signal.reason as Error).message).toBe('the client disconnected');
    expect(opened.open).toBe(false);
    expect(opened.send('late', {})).toBe(false);
    opened.end();
  });

  it('cuts off a client that stops reading once more than maxBufferedBytes wait for it', async () => {
    let stream: SseStream | undefined;
    const url = new URL(
      await serve({ heartbeatMs: 0, maxBufferedBytes: 64 * 1024 }, (s) => {
        stream = s;
      }),
    );
    // A raw client that sends its request and then never reads a byte.
    const socket = connect(Number(url.port), url.hostname);
    socket.pause();
    socket.write(`GET / HTTP/1.1\r\nhost: ${url.host}\r\n\r\n`);
    try {
      while (!stream) await new Promise((resolve) => setTimeout(resolve, 5));
      const opened = stream;
      const big = 'x'.repeat(64 * 1024);
      let writes = 0;
      // The kernel's socket buffers fill first; then the server's own buffer grows past the limit.
      while (opened.send('fill', big) && writes < 2_000) {
        writes++;
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(opened.signal.aborted).toBe(true);
      expect((opened.signal.reason as Error).message).toBe('the client stopped reading');
      expect(opened.open).toBe(false);
    } finally {
      socket.destroy();
    }
  });

  it('sends one heartbeat to every stream of an interval from one shared timer', async () => {
    const url = await serve({ heartbeatMs: 25 }, () => {});
    const comments = async () => {
      const response = await fetch(url);
      const seen: string[] = [];
      const controller = new AbortController();
      const done = (async () => {
        for await (const _ of parseSse(response.body as ReadableStream<Uint8Array>, {
          signal: controller.signal,
          onComment: (c) => {
            seen.push(c);
            if (seen.length === 2) controller.abort();
          },
        })) {
          // No events on this stream.
        }
      })();
      await done;
      return seen;
    };
    expect(await Promise.all([comments(), comments(), comments()])).toEqual([
      ['heartbeat', 'heartbeat'],
      ['heartbeat', 'heartbeat'],
      ['heartbeat', 'heartbeat'],
    ]);
  });
});
