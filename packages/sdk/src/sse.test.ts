import { describe, expect, it } from 'vitest';
import { createBackoff } from './backoff.ts';
import { createSseParser, readSseStream, type SseEvent } from './sse.ts';

function collect(chunks: string[]): { events: SseEvent[]; retries: number[]; comments: string[] } {
  const events: SseEvent[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  const parser = createSseParser({
    onEvent: (e) => events.push(e),
    onRetry: (ms) => retries.push(ms),
    onComment: (c) => comments.push(c),
  });
  for (const chunk of chunks) parser.push(chunk);
  return { events, retries, comments };
}

describe('SSE parser', () => {
  const stream =
    'retry: 2500\n\n: heartbeat\n\nevent: update\nid: s1\ndata: {"etag":"s1"}\n\ndata: line one\ndata: line two\n\nevent: update\ndata:{"etag":"s2"}\n\n';

  it('parses events, ids, retry hints, comments and multi-line data', () => {
    const { events, retries, comments } = collect([stream]);
    expect(retries).toEqual([2500]);
    expect(comments).toEqual(['heartbeat']);
    expect(events).toEqual([
      { event: 'update', data: '{"etag":"s1"}', id: 's1' },
      // The id persists to later events, and a missing `event:` means `message`.
      { event: 'message', data: 'line one\nline two', id: 's1' },
      { event: 'update', data: '{"etag":"s2"}', id: 's1' },
    ]);
  });

  it('gives the same events whatever the chunk boundaries and line endings', () => {
    const whole = collect([stream]).events;
    const crlf = stream.replaceAll('\n', '\r\n');
    for (const text of [stream, crlf, stream.replaceAll('\n', '\r')]) {
      const oneByOne = collect([...text]).events;
      expect(oneByOne).toEqual(whole);
      // Two chunks cut at every position, including between the \r and \n of a CRLF.
      for (let cut = 1; cut < text.length; cut++) {
        expect(collect([text.slice(0, cut), text.slice(cut)]).events).toEqual(whole);
      }
    }
  });

  it('ignores events without data, unknown fields and invalid retry values', () => {
    const { events, retries } = collect([
      'event: update\n\nfoo: bar\nretry: 1x\ndata: ok\n\ndata: trailing-without-blank-line',
    ]);
    expect(events).toEqual([{ event: 'message', data: 'ok', id: '' }]);
    expect(retries).toEqual([]);
  });

  it('reads a byte stream with multi-byte characters split across chunks', async () => {
    const bytes = new TextEncoder().encode('data: héllo ✓\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const byte of bytes) controller.enqueue(new Uint8Array([byte]));
        controller.close();
      },
    });
    const events: SseEvent[] = [];
    let activity = 0;
    await readSseStream(body, { onEvent: (e) => events.push(e), onActivity: () => activity++ });
    expect(events.map((e) => e.data)).toEqual(['héllo ✓']);
    expect(activity).toBe(bytes.length);
  });
});

describe('reconnect backoff', () => {
  it('grows exponentially within [base/2, cap], resets, and takes the retry hint as base', () => {
    const high = createBackoff({ baseMs: 100, maxMs: 1000, random: () => 1 });
    expect([high.next(), high.next(), high.next(), high.next(), high.next()]).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    high.reset();
    expect(high.next()).toBe(100);
    const low = createBackoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
    expect([low.next(), low.next()]).toEqual([50, 50]);
    low.setBase(400);
    low.reset();
    expect(low.next()).toBe(200);
  });
});
