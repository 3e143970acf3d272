/**
 * Provider plumbing overhead: SSE parsing + OpenAI stream decoding throughput against a local
 * server, the tokenizer's cold load and counting speed, and price look-ups.
 * Run: npm exec -- node --conditions=source bench/providers.bench.ts
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPriceBook, createProvider, estimateTokens } from '@promptline/core';

function time<T>(fn: () => T): { ms: number; value: T } {
  const start = performance.now();
  const value = fn();
  return { ms: performance.now() - start, value };
}

// 1. Tokenizer: first call loads the o200k_base ranks (what the first estimated call pays).
const coldStart = performance.now();
await estimateTokens('warm up');
const tokenizerColdLoadMs = performance.now() - coldStart;
const prose = 'The quick brown fox jumps over the lazy dog, then writes a haiku about prompts. '.repeat(128);
let tokens = 0;
const countRuns = 200;
const countStart = performance.now();
for (let i = 0; i < countRuns; i++) tokens = await estimateTokens(`${i} ${prose}`);
const countMs = performance.now() - countStart;

// 2. Streaming: 20 000 chat-completion chunks written as fast as the socket takes them.
const chunks = 20_000;
const lines: string[] = [];
for (let i = 0; i < chunks; i++) {
  lines.push(
    `data: {"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"tok${i} "},"finish_reason":null}]}\n\n`,
  );
}
lines.push('data: {"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":20000}}\n\ndata: [DONE]\n\n');
const body = Buffer.from(lines.join(''));
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // Written in 16 KB slices so the client sees many network chunks.
    for (let offset = 0; offset < body.length; offset += 16_384)
      res.write(body.subarray(offset, offset + 16_384));
    res.end();
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;
const provider = createProvider({ kind: 'openai', apiKey: 'bench', baseUrl: `http://127.0.0.1:${port}` });
const streamTimes: number[] = [];
let deltas = 0;
for (let run = 0; run < 5; run++) {
  const start = performance.now();
  deltas = 0;
  for await (const event of provider.stream({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'go' }],
  })) {
    if (event.type === 'delta') deltas++;
  }
  streamTimes.push(performance.now() - start);
}
server.close();
const bestStreamMs = Math.min(...streamTimes);

// 3. Price look-ups: cached (the hot path) and first look-up of a fresh book.
const prices = createPriceBook();
const usage = { inputTokens: 1000, outputTokens: 500, cachedInputTokens: 200, estimated: false };
const lookups = 1_000_000;
const cached = time(() => {
  let total = 0;
  for (let i = 0; i < lookups; i++) total += prices.cost('openai', 'gpt-4o-2024-08-06', usage)?.totalUsd ?? 0;
  return total;
});
const coldBooks = 2_000;
const cold = time(() => {
  for (let i = 0; i < coldBooks; i++) createPriceBook().lookup('anthropic', 'claude-3-5-sonnet-20241022');
});

console.log(
  JSON.stringify({
    tokenizerColdLoadMs: Math.round(tokenizerColdLoadMs),
    tokenizerTokensPerSecond: Math.round((tokens * countRuns) / (countMs / 1000)),
    streamChunks: chunks,
    streamDeltasSeen: deltas,
    streamBestMs: Math.round(bestStreamMs),
    streamDeltasPerSecond: Math.round(chunks / (bestStreamMs / 1000)),
    streamMBPerSecond: Number((body.length / 1e6 / (bestStreamMs / 1000)).toFixed(1)),
    priceCostCachedOpsPerSecond: Math.round(lookups / (cached.ms / 1000)),
    priceBookBuildAndFirstLookupUs: Number(((cold.ms * 1000) / coldBooks).toFixed(1)),
  }),
);
