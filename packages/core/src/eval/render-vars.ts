/**
 * `{{ var }}` substitution in prompts and assertion values the way promptfoo configs use it
 * (nunjucks output tags with optional spaces and dotted paths). Nunjucks logic (`{% … %}`) and
 * filters (`{{ x | upper }}`) are refused with a message instead of being rendered wrongly.
 */
import { AppError } from '../errors.ts';

type Part = string | { path: (string | number)[] };

const compiled = new Map<string, Part[]>();
const MAX_COMPILED = 2000;

function compile(source: string): Part[] {
  const parts: Part[] = [];
  const pattern = /\{\{-?([\s\S]*?)-?\}\}|\{%[\s\S]*?%\}|\{#[\s\S]*?#\}/g;
  let last = 0;
  for (const match of source.matchAll(pattern)) {
    const index = match.index ?? 0;
    if (index > last) parts.push(source.slice(last, index));
    last = index + match[0].length;
    const token = match[0];
    if (token.startsWith('{#')) continue;
    if (token.startsWith('{%')) {
      throw new AppError(
        'CONFIG_INVALID',
        `Template logic "${token.slice(0, 40)}" is not supported: Promptline substitutes {{ variables }} only. Compute the value in the test's vars instead.`,
      );
    }
    const expr = (match[1] ?? '').trim();
    if (expr.includes('|')) {
      const filter = expr.split('|')[1]?.trim().split(/[\s(]/)[0] ?? '';
      throw new AppError(
        'CONFIG_INVALID',
        `Template filter "${filter}" in "{{ ${expr} }}" is not supported: Promptline substitutes plain {{ variables }}. Put the transformed value in the test's vars.`,
      );
    }
    if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*|\[\d+\])*$/.test(expr)) {
      throw new AppError(
        'CONFIG_INVALID',
        `Template expression "{{ ${expr} }}" is not supported: use a variable name or a dotted path (e.g. {{ user.name }}).`,
      );
    }
    const path: (string | number)[] = [];
    for (const seg of expr.matchAll(/([A-Za-z_$][\w$]*)|\[(\d+)\]/g)) {
      path.push(seg[1] !== undefined ? seg[1] : Number(seg[2]));
    }
    parts.push({ path });
  }
  if (last < source.length) parts.push(source.slice(last));
  return parts;
}

function lookup(vars: Record<string, unknown>, path: (string | number)[]): unknown {
  let value: unknown = vars;
  for (const key of path) {
    if (value === null || value === undefined) return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

function stringify(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * Substitutes `{{ var }}` and `{{ a.b[0] }}` with values from `vars`; a missing variable renders
 * as the empty string (nunjucks' behaviour). Objects render as JSON.
 *
 * @throws AppError CONFIG_INVALID for `{% … %}` tags, filters and expressions.
 * @example renderVars('Hello {{ name }}', { name: 'Ada' }) // 'Hello Ada'
 */
export function renderVars(source: string, vars: Record<string, unknown>): string {
  if (!source.includes('{')) return source;
  let parts = compiled.get(source);
  if (!parts) {
    parts = compile(source);
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(source, parts);
  }
  let out = '';
  for (const part of parts) out += typeof part === 'string' ? part : stringify(lookup(vars, part.path));
  return out;
}

/** Checks a template for unsupported syntax without rendering it (config validation). */
export function checkVarsTemplate(source: string): void {
  if (source.includes('{')) compile(source);
}

/** Renders every string inside a JSON-like value (assertion values may be lists or objects). */
export function renderVarsDeep(value: unknown, vars: Record<string, unknown>): unknown {
  if (typeof value === 'string') return renderVars(value, vars);
  if (Array.isArray(value)) return value.map((v) => renderVarsDeep(v, vars));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderVarsDeep(v, vars);
    return out;
  }
  return value;
}
