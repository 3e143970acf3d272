/**
 * The template engine: logic-less Mustache compiled to closures (no `eval`, CSP-safe), never
 * HTML-escaping, strict about missing variables by default, with partials resolved by name.
 */
export {
  collectPartials,
  compileTemplate,
  extractPartials,
  extractVariables,
  renderContent,
  renderTemplate,
} from './content.ts';
export type { CompiledTemplate, RenderOptions } from './engine.ts';
export {
  type PartialProblem,
  type PartialUnavailable,
  partialGraphProblems,
  type ServedForGraph,
} from './partial-graph.ts';
