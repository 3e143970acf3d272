/**
 * @promptline/core/node — the Node-only parts of core (worker threads, node:crypto).
 */
export {};
