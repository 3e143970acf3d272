/** The trace batches the ingestion benches send (`POST /api/v1/traces` bodies). */
import { randomBytes } from 'node:crypto';

/** A batch like an SDK sends: one generation per trace, with a prompt link, usage and messages. */
export function sdkBatch(size: number): string {
  const now = Date.now();
  const spans = [];
  for (let i = 0; i < size; i++) {
    const start = now - 5_000 + i;
    spans.push({
      traceId: randomBytes(16).toString('hex'),
      spanId: randomBytes(8).toString('hex'),
      name: 'chat gpt-4o-mini',
      startTime: start,
      endTime: start + 400 + (i % 300),
      status: i % 50 === 0 ? 'error' : 'ok',
      prompt: { name: 'support/triage', version: 1 + (i % 2), environment: 'production', variant: i % 2 },
      provider: 'openai',
      model: 'gpt-4o-mini',
      usage: { input: 120 + (i % 50), output: 30 + (i % 20) },
      input: [{ role: 'user', content: 'Where is my order 1234?' }],
      output: [{ role: 'assistant', content: 'It left the warehouse this morning.' }],
      userId: `user-${i % 100}`,
      attributes: { 'service.name': 'bench-app', 'gen_ai.response.finish_reasons': ['stop'] },
    });
  }
  return JSON.stringify({ spans });
}
