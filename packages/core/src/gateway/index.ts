/** The OpenAI-compatible gateway's wire shapes, key budgets and the mapping to other providers. */
export * from './schemas.ts';
export * from './translate.ts';
