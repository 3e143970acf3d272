import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { describeTransportContract } from '@promptline/core/test-helpers/transport-contract';
import { sendJson, startWireServer, type WireServer } from '@promptline/core/test-helpers/wire-server';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createProviderTransport, proxySettings } from './undici-transport.ts';

/** A forward proxy that tunnels CONNECT requests and remembers where they went. */
async function startTunnelProxy() {
  const tunnels: string[] = [];
  const proxy = createServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req, client, head) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    tunnels,
    close: () => {
      proxy.closeAllConnections();
      return new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}

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

  it('goes through HTTP_PROXY when Node is told to use the proxies of the environment, except for NO_PROXY hosts', async () => {
    server = await startWireServer((_req, res) => sendJson(res, 200, { ok: true }));
    const proxy = await startTunnelProxy();
    const target = new URL(server.url);
    const call = async (settings: Parameters<typeof createProviderTransport>[0]) => {
      const through = createProviderTransport(settings);
      try {
        const response = await through.send(`${server?.url}/models`, {
          method: 'POST',
          headers: {},
          body: '{}',
          signal: new AbortController().signal,
        });
        return { status: response.status, body: JSON.parse(await response.text()) };
      } finally {
        await through.close();
      }
    };
    try {
      expect(await call({ httpProxy: proxy.url, noProxy: 'localhost' })).toEqual({
        status: 200,
        body: { ok: true },
      });
      expect(proxy.tunnels).toEqual([target.host]);
      expect(await call({ httpProxy: proxy.url, noProxy: target.hostname })).toEqual({
        status: 200,
        body: { ok: true },
      });
      expect(await call(null)).toEqual({ status: 200, body: { ok: true } });
      expect(proxy.tunnels).toEqual([target.host]);
      expect(server.requests).toHaveLength(3);
    } finally {
      await proxy.close();
    }
  });

  it('reads the proxy variables only under NODE_USE_ENV_PROXY=1 or --use-env-proxy, in either case', () => {
    const env = { HTTPS_PROXY: 'http://proxy:3128', no_proxy: 'internal.example' };
    expect(proxySettings(env, [])).toBeNull();
    expect(proxySettings({ ...env, NODE_USE_ENV_PROXY: '1' }, [])).toEqual({
      httpsProxy: 'http://proxy:3128',
      noProxy: 'internal.example',
    });
    expect(proxySettings({ http_proxy: 'http://p:1' }, ['--use-env-proxy'])).toEqual({
      httpProxy: 'http://p:1',
    });
    expect(proxySettings({ NODE_USE_ENV_PROXY: '1' }, [])).toBeNull();
  });
});
