import { describe, expect, it } from 'vitest';
import { toPlaygroundEvent } from './playground.ts';
import { createSseParser } from './sse.ts';

describe('createSseParser', () => {
  it('yields events whatever the chunk boundaries, including split CRLF', () => {
    const stream =
      'event: delta\r\ndata: {"model":0,"row":0,"text":"Hel"}\r\n\r\n: keep-alive\n\nevent: end\ndata: {}\n\n';
    for (let size = 1; size <= stream.length; size++) {
      const parser = createSseParser();
      const events = [];
      for (let i = 0; i < stream.length; i += size) events.push(...parser.push(stream.slice(i, i + size)));
      events.push(...parser.end());
      expect(events, `chunk size ${size}`).toEqual([
        { event: 'delta', data: '{"model":0,"row":0,"text":"Hel"}' },
        { event: 'end', data: '{}' },
      ]);
    }
  });

  it('joins multi-line data, defaults the event name and keeps the id', () => {
    const parser = createSseParser();
    expect(parser.push('id: 7\ndata: a\ndata:b\n\n')).toEqual([{ event: 'message', data: 'a\nb', id: '7' }]);
  });

  it('drops an event with no data and an unterminated last event', () => {
    const parser = createSseParser();
    expect(parser.push('event: ping\n\n')).toEqual([]);
    expect(parser.push('data: half')).toEqual([]);
    expect(parser.end()).toEqual([]);
  });
});

describe('toPlaygroundEvent', () => {
  it('types the playground stream events', () => {
    expect(toPlaygroundEvent('delta', '{"model":1,"row":2,"text":"hi"}')).toEqual({
      type: 'delta',
      model: 1,
      row: 2,
      text: 'hi',
    });
    expect(toPlaygroundEvent('error', '{"model":0,"row":0,"code":"PROVIDER_ERROR","detail":"boom"}')).toEqual(
      {
        type: 'error',
        model: 0,
        row: 0,
        code: 'PROVIDER_ERROR',
        detail: 'boom',
      },
    );
    expect(toPlaygroundEvent('end', '')).toEqual({ type: 'end' });
    expect(toPlaygroundEvent('delta', 'not json')).toBeNull();
    expect(toPlaygroundEvent('other', '{}')).toBeNull();
  });
});
