/** Browser tests and the web bench build the app the same way `npm start` does (see packages/web/ensure-build.ts). */
export { ensureWebBuild, isWebBuildStale, WEB_DIST, WEB_ROOT } from '../packages/web/ensure-build.ts';
