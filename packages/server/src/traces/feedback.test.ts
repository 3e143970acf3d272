import { expect, it } from 'vitest';
import { createTestClient, describeServer } from '../test-helpers/index.ts';
import { newTraceId, testSpan } from './test-spans.ts';

/** The server's clock, moved forward by the test to expire tokens. */
let offsetMs = 0;
const clock = { now: () => new Date(Date.now() + offsetMs) };

describeServer(
  (ctx) => {
    it('a browser scores a trace with a minted token, no key; the token is write-only, bound to its trace, and expires', async () => {
      const { api, server } = ctx();
      const anonymous = createTestClient(server.app, undefined);
      const traceId = newTraceId();
      const other = newTraceId();
      const span = testSpan({ traceId, prompt: { name: 'fb/p', version: 1, environment: 'production' } });
      expect((await api.post('/api/v1/traces', { spans: [span, testSpan({ traceId: other })] })).status).toBe(
        202,
      );

      const minted = await api.post(`/api/v1/traces/${traceId}/feedback-tokens`, { ttlSeconds: 600 });
      expect(minted.status).toBe(201);
      expect(minted.body.traceId).toBe(traceId);
      const { token } = minted.body as { token: string };

      const sent = await anonymous.post('/api/v1/feedback', {
        token,
        name: 'thumbs',
        value: true,
        comment: 'nice',
      });
      expect(sent.status).toBe(201);
      expect(sent.headers['access-control-allow-origin']).toBe('*');
      expect(sent.body).toMatchObject({
        traceId,
        spanId: span.spanId,
        name: 'thumbs',
        value: true,
        source: 'user',
      });
      const trace = await api.get(`/api/v1/traces/${traceId}`);
      expect(trace.body.spans[0].scores.map((s: { name: string }) => s.name)).toEqual(['thumbs']);

      // Write-only: the token is no key for anything else.
      expect(
        (await anonymous.get(`/api/v1/traces/${traceId}`, { authorization: `Bearer ${token}` })).status,
      ).toBe(401);
      // Altered: refused, nothing written.
      const altered = `${token.slice(0, -4)}${token.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
      const refused = await anonymous.post('/api/v1/feedback', {
        token: altered,
        name: 'thumbs',
        value: false,
      });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('FEEDBACK_TOKEN_INVALID');
      // Expired: a token minted for 60 s, read 61 s later by a server whose clock moved.
      const short = await api.post(`/api/v1/traces/${other}/feedback-tokens`, { ttlSeconds: 60 });
      offsetMs = 61_000;
      const late = await anonymous.post('/api/v1/feedback', {
        token: short.body.token,
        name: 'thumbs',
        value: true,
      });
      offsetMs = 0;
      expect(late.status).toBe(403);
      expect(late.body.code).toBe('FEEDBACK_TOKEN_EXPIRED');
      const tooShort = await api.post(`/api/v1/traces/${traceId}/feedback-tokens`, { ttlSeconds: 5 });
      expect(tooShort.status).toBe(422);
      const preflight = await server.app.inject({ method: 'OPTIONS', url: '/api/v1/feedback' });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers['access-control-allow-methods']).toBe('POST');
    });
  },
  { clock },
);
