/**
 * Makes sure `dist` is a build of the current sources: builds it with Vite when it is missing or
 * older than any source file, else does nothing (a stat walk, a few ms). Root `npm start` runs it
 * first (`prestart`), so a fresh clone's first start builds the app; browser tests and the web
 * bench call it too. Run directly: `node packages/web/ensure-build.ts`.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** Absolute path of the web package. */
export const WEB_ROOT = resolve(import.meta.dirname);
/** Absolute path of the built app the server serves at `/`. */
export const WEB_DIST = join(WEB_ROOT, 'dist');

function newestMtime(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** True when dist is missing or a source file changed after the last build. */
export function isWebBuildStale(): boolean {
  const built = join(WEB_DIST, 'index.html');
  if (!existsSync(built)) return true;
  const sources = ['src', 'index.html', 'vite.config.ts', 'precompress.ts', 'package.json']
    .map((p) => join(WEB_ROOT, p))
    .filter(existsSync);
  const newest = Math.max(...sources.map(newestMtime));
  return newest > statSync(built).mtimeMs;
}

/** Held while one process builds; test workers running side by side wait for it instead of racing. */
const LOCK = join(WEB_ROOT, '.build-lock');
/** A lock older than this was left by a build that died; it is taken over. */
const STALE_LOCK_MS = 5 * 60_000;

function tryLock(): boolean {
  try {
    mkdirSync(LOCK);
    return true;
  } catch {
    const since = statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs;
    if (since !== undefined && Date.now() - since > STALE_LOCK_MS) {
      rmSync(LOCK, { recursive: true, force: true });
    }
    return false;
  }
}

/** Builds the web app if needed (one build at a time across processes); returns the dist path. */
export async function ensureWebBuild(): Promise<string> {
  while (isWebBuildStale()) {
    if (!tryLock()) {
      await sleep(200);
      continue;
    }
    try {
      if (isWebBuildStale()) {
        const { build } = await import('vite');
        await build({ root: WEB_ROOT, configFile: join(WEB_ROOT, 'vite.config.ts'), logLevel: 'warn' });
      }
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
  return WEB_DIST;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const stale = isWebBuildStale();
  if (stale) console.log('promptline: building the web app (packages/web/dist)…');
  await ensureWebBuild();
}
