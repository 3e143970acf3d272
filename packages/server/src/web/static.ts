import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, normalize, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Paths the app never answers: the API, its docs and the health check keep their own 404s. */
const NOT_THE_APP = /^\/(?:api(?:\/|$)|docs(?:\/|$)|(?:healthz|readyz|metrics)(?:\/|$))/;

/** Vite puts content-hashed files under `assets/`: they never change, so browsers may keep them for a year. */
const HASHED_ASSET = /^assets\//;

const MISSING_BUILD_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Promptline</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>Promptline is running, but the web app is not built</h1>
<p>Build it once with <code>npm run build -w @promptline/web</code> (or <code>npm run build</code>) and reload this page.</p>
<p>The API is up: see <a href="/docs">/docs</a>.</p>
</body></html>
`;

/**
 * Where the built web app lives: `@promptline/web`'s `dist` when the package resolves (a workspace or
 * an installed layout), else the sibling folder of this package in the repository.
 */
export function defaultWebDist(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve('@promptline/web/package.json');
    return join(dirname(pkg), 'dist');
  } catch {
    // Not resolvable by name (a checkout without the workspace link): the repository layout.
    return resolve(import.meta.dirname, '../../../web/dist');
  }
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}

/**
 * Serves the web app at `/`: its files with cache headers (immutable for hashed assets, revalidated
 * for index.html), and index.html for any other page a browser asks for (SPA fallback), so page
 * URLs can be shared and reloaded. Without a build, `/` explains how to make one.
 */
export async function registerWebApp(app: FastifyInstance, options: { dist: string }): Promise<void> {
  const dist = resolve(options.dist);
  // serve: false — one route of ours decides between a file, index.html and a 404.
  // preCompressed: the build wrote <file>.br and <file>.gz (packages/web/precompress.ts); the best
  // one the browser accepts is sent as it is, with Vary: Accept-Encoding, else the plain file.
  await app.register(fastifyStatic, { root: dist, serve: false, decorateReply: true, preCompressed: true });

  const sendIndex = (reply: FastifyReply) => {
    if (!isFile(join(dist, 'index.html'))) {
      return reply
        .code(503)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(MISSING_BUILD_PAGE);
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
  };

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    let path: string;
    try {
      path = decodeURIComponent((request.url.split('?')[0] ?? '/').replace(/^\/+/, ''));
    } catch {
      // Bad percent-encoding names no file: answered as any unknown path.
      return reply.callNotFound();
    }
    if (NOT_THE_APP.test(`/${path}`)) return reply.callNotFound();
    if (path === '' || path === 'index.html') return sendIndex(reply);
    const file = normalize(join(dist, path));
    if (file.startsWith(dist + sep) && isFile(file)) {
      return HASHED_ASSET.test(path)
        ? reply.sendFile(path, { maxAge: '365d', immutable: true })
        : reply.sendFile(path, { maxAge: 0 });
    }
    if (wantsHtml(request)) return sendIndex(reply);
    return reply.callNotFound();
  };

  for (const url of ['/', '/*']) {
    // compress: false — the files are precompressed; the rest (index.html, small chunks) is not
    // worth compressing on every request.
    app.get(
      url,
      { config: { public: true, requestLog: 'debug' }, schema: { hide: true }, compress: false },
      handler,
    );
  }
}
