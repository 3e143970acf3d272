/**
 * @promptline/core/browser — the pure rules of core a browser needs, without zod or anything
 * Node-only: semantic-version inference (what a save will be numbered), variable and partial
 * extraction of templates, template rendering, canonical JSON, the error class, the helpers
 * that draw a version diff, and the server-sent-events reader. The web app imports this entry instead of mirroring the rules, so its
 * previews agree with the server by construction. Types of the whole contract still come from
 * `import type … from '@promptline/core'` (erased at build time).
 *
 * Nothing imported here may import `schemas.ts` for values (that is zod); the web app's bundle
 * check (`bench/web.bench.ts`) and `browser.test.ts` watch it.
 */

export { canonicalJson } from './canonical.ts';
export * from './diff-view.ts';
export { AppError, ERROR_CODES, type ErrorCode, type FieldIssue } from './errors.ts';
export { DETERMINISTIC_ASSERTIONS, MODEL_GRADED_ASSERTIONS } from './eval/assertion-types.ts';
export { FIRST_SEMVER, nextSemver, parseSemver, requiredBump } from './semver.ts';
export * from './sse.ts';
export { extractPartials, extractVariables, renderContent, renderTemplate } from './template/index.ts';
