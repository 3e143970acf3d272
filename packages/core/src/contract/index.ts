/**
 * Typed inputs and output contracts of a version: Picoschema/JSON Schema for variables, JSON or
 * text constraints for outputs, the checks, and TypeScript types generated from them.
 */
export * from './check.ts';
export * from './picoschema.ts';
export * from './shapes.ts';
export * from './typescript.ts';
export * from './validate.ts';
