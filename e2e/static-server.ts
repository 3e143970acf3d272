/**
 * Serves the built web app with an SPA fallback and forwards `/api` and `/healthz` to a Promptline
 * server — what the real server will do itself once it serves `/`. Streams pass through
 * unbuffered, so the playground's server-sent events arrive as they are written.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.png': 'image/png',
};

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1 on a free port. */
export async function startStaticServer(options: { dist: string; apiUrl: string }): Promise<StaticServer> {
  const api = new URL(options.apiUrl);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    if (path.startsWith('/api/') || path === '/healthz') {
      const upstream = httpRequest(
        {
          host: api.hostname,
          port: api.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: api.host },
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/problem+json' });
        res.end(
          JSON.stringify({
            title: 'Bad gateway',
            status: 502,
            code: 'BAD_GATEWAY',
            detail: 'API server unreachable',
          }),
        );
      });
      req.pipe(upstream);
      return;
    }
    const file = normalize(join(options.dist, path));
    const inside = file.startsWith(options.dist);
    const target =
      inside && existsSync(file) && statSync(file).isFile() ? file : join(options.dist, 'index.html');
    res.writeHead(200, {
      'content-type': TYPES[extname(target)] ?? 'application/octet-stream',
      'cache-control': target.includes(`${join('dist', 'assets')}`)
        ? 'public, max-age=31536000, immutable'
        : 'no-cache',
    });
    createReadStream(target).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
