import { describeTransportContract } from '@promptline/core/test-helpers/transport-contract';
import { sendJson, startWireServer, type WireServer } from '@promptline/core/test-helpers/wire-server';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createProviderTransport } from './undici-transport.ts';

const transport = createProviderTransport();
afterAll(() => transport.close());

// Retries, cancellation, timeouts, bookkeeping, gzip, redirects and redaction, as over fetch.
describeTransportContract('undici', transport.send);

describe('the undici transport', () => {
  let server: WireServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('sends one header per name whatever its case, and answers the standard reason phrase', async () => {
    server = await startWireServer((_req, res) =>
      sendJson(res, 404, { error: { message: 'no such model' } }),
    );
    const controller = new AbortController();
    const response = await transport.send(`${server.url}/chat/completions?x=1`, {
      method: 'POST',
      headers: { 'User-Agent': 'acme/1.0', 'content-type': 'application/json' },
      body: '{"model":"m"}',
      signal: controller.signal,
    });
    expect(response.ok).toBe(false);
    expect(response.status).toBe(404);
    expect(response.statusText).toBe('Not Found');
    expect(response.headers.get('Content-Type')).toContain('application/json');
    expect(JSON.parse(await response.text())).toEqual({ error: { message: 'no such model' } });
    const sent = server.requests[0];
    expect(sent?.url).toBe('/chat/completions?x=1');
    expect(sent?.headers['user-agent']).toBe('acme/1.0');
    expect(sent?.headers['accept-encoding']).toBe('gzip, deflate, br');
    expect(sent?.body).toEqual({ model: 'm' });
  });
});
