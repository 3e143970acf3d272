import { describe, expect, it } from 'vitest';
import { parseSse, type SseMessage } from './sse.ts';

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

async function parse(chunks: Array<string | Uint8Array>): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  for await (const message of parseSse(streamOf(chunks))) out.push(message);
  return out;
}

describe('parseSse', () => {
  it('reads events, names, ids, multi-line data and skips comments', async () => {
    expect(
      await parse([': keep-alive\n\nevent: delta\nid: 7\ndata: {"a":\ndata:1}\n\ndata: [DONE]\n\n']),
    ).toEqual([
      { event: 'delta', id: '7', data: '{"a":\n1}' },
      { event: 'message', id: '7', data: '[DONE]' },
    ]);
  });

  it('handles CRLF and CR line ends, also when a CRLF pair is split across chunks', async () => {
    expect(await parse(['data: one\r', '\n\r', '\ndata: two\r\rdata: three\r\n\r\n'])).toEqual([
      { event: 'message', data: 'one' },
      { event: 'message', data: 'two' },
      { event: 'message', data: 'three' },
    ]);
  });

  it('reassembles events and UTF-8 characters split anywhere between chunks', async () => {
    const bytes = new TextEncoder().encode('data: héllo wörld 🌍\n\ndata: x\n\n');
    const chunks = Array.from(bytes, (byte) => new Uint8Array([byte]));
    expect(await parse(chunks)).toEqual([
      { event: 'message', data: 'héllo wörld 🌍' },
      { event: 'message', data: 'x' },
    ]);
  });

  it('delivers a last event that lacks its closing blank line', async () => {
    expect(await parse(['data: a\n\ndata: b'])).toEqual([
      { event: 'message', data: 'a' },
      { event: 'message', data: 'b' },
    ]);
  });
});
