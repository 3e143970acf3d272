/**
 * @promptline/core/node — the Node-only parts of core (worker threads, node:crypto).
 */

export * from './eval-node/index.ts';
export * from './secrets/index.ts';
