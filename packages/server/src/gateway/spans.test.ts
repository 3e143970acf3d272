/**
 * Gateway spans end to end: recorded off the request path through the trace service (source
 * `gateway`) and read back with GET /api/v1/traces/{traceId}, tags included. Both databases.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClient } from '../test-helpers/client.ts';
import { DIALECTS } from '../test-helpers/database.ts';
import { startTestServer, type TestServer } from '../test-helpers/server.ts';

for (const dialect of DIALECTS) {
  describe(`gateway spans in the trace store (${dialect})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ dialect, listen: true, gateway: { recordIntervalMs: 20 } });
    });
    afterAll(async () => {
      await server.close();
    });

    async function traceOf(traceId: string) {
      const api = createTestClient(server.app, server.apiKey);
      for (let i = 0; i < 250; i++) {
        const response = await api.get(`/api/v1/traces/${traceId}`);
        if (response.status === 200) return response.body;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`trace ${traceId} was not recorded`);
    }

    it('records a streamed call as a gateway span with its tags, usage, cost and timings', async () => {
      const openai = new OpenAI({
        baseURL: `${server.url}/gateway/v1`,
        apiKey: server.apiKey,
        maxRetries: 0,
      });
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const stream = await openai.chat.completions.create(
        { model: 'mock/echo', messages: [{ role: 'user', content: 'hello gateway' }], stream: true },
        {
          headers: {
            traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
            'x-promptline-prompt': 'support/triage',
            'x-promptline-version': '2',
            'x-promptline-environment': 'production',
            'x-promptline-variant': '0',
            'x-promptline-unit': 'user-7',
            'x-promptline-user': 'user-7',
            'x-promptline-session': 'sess-9',
          },
        },
      );
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toContain('hello gateway');

      const trace = await traceOf(traceId);
      expect(trace.spans).toHaveLength(1);
      const span = trace.spans[0];
      expect(span).toMatchObject({
        traceId,
        parentSpanId: '00f067aa0ba902b7',
        name: 'chat mock/echo',
        source: 'gateway',
        status: 'ok',
        provider: 'mock',
        prompt: { name: 'support/triage', version: 2, environment: 'production', variant: 0 },
        unit: 'user-7',
        userId: 'user-7',
        sessionId: 'sess-9',
        input: [{ role: 'user', content: 'hello gateway' }],
      });
      expect(span.output.content).toBe(text);
      expect(span.usage.output).toBeGreaterThan(0);
      expect(span.timeToFirstTokenMs).toBeGreaterThan(0);
      expect(span.durationMs).toBeGreaterThanOrEqual(span.timeToFirstTokenMs);
      expect(span.attributes['promptline.gateway.stream']).toBe(true);
    });

    it('records a refused call as an error span with the reason', async () => {
      const openai = new OpenAI({
        baseURL: `${server.url}/gateway/v1`,
        apiKey: server.apiKey,
        maxRetries: 0,
      });
      const traceId = '5bf92f3577b34da6a3ce929d0e0e4737';
      await openai.chat.completions
        .create(
          { model: 'nowhere/model', messages: [{ role: 'user', content: 'x' }] },
          { headers: { traceparent: `00-${traceId}-00f067aa0ba902b8-01` } },
        )
        .catch(() => undefined);
      const trace = await traceOf(traceId);
      expect(trace.spans[0]).toMatchObject({
        status: 'error',
        source: 'gateway',
        name: 'chat nowhere/model',
      });
      expect(trace.spans[0].statusMessage).toContain('nowhere');
    });
  });
}
