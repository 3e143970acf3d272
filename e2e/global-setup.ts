import { ensureWebBuild } from './build-web.ts';

/** Vitest globalSetup: build packages/web/dist once before the browser tests if it is stale. */
export default async function setup(): Promise<void> {
  await ensureWebBuild();
}
