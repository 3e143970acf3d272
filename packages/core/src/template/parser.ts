/**
 * Mustache parser: source text → a small tree. It applies the spec's standalone-line rules while
 * scanning, so the tree already holds the exact literal text to emit.
 */
import { AppError } from '../errors.ts';

export interface TextNode {
  readonly kind: 'text';
  text: string;
}

export interface VariableNode {
  readonly kind: 'variable';
  /** The name as written, e.g. `user.name`, or `.` for the implicit iterator. */
  readonly name: string;
  /** Dotted segments; empty for `.`. */
  readonly path: readonly string[];
}

export interface SectionNode {
  readonly kind: 'section';
  readonly inverted: boolean;
  readonly name: string;
  readonly path: readonly string[];
  readonly children: TemplateNode[];
}

export interface PartialNode {
  readonly kind: 'partial';
  readonly name: string;
  /** Leading whitespace of a standalone partial tag: every line of the partial gets it. */
  readonly indent: string;
}

export type TemplateNode = TextNode | VariableNode | SectionNode | PartialNode;

interface OpenSection {
  readonly node: SectionNode;
  readonly offset: number;
  /** The list the section's node was appended to, restored when it closes. */
  readonly parent: TemplateNode[];
}

/** Line and column (both 1-based) of an offset, for error messages. */
export function positionOf(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = source.indexOf('\n'); i !== -1 && i < offset; i = source.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function syntaxError(source: string, offset: number, problem: string): AppError {
  const { line, column } = positionOf(source, offset);
  return new AppError(
    'TEMPLATE_SYNTAX',
    `Template syntax error at line ${line}, column ${column}: ${problem}`,
    {
      details: { line, column },
    },
  );
}

function isInlineSpace(code: number): boolean {
  return code === 32 || code === 9;
}

function isBlank(source: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    if (!isInlineSpace(source.charCodeAt(i))) return false;
  }
  return true;
}

/** End offset of the rest of the line after `end` if it holds only spaces/tabs, else -1. */
function standaloneEnd(source: string, end: number): number {
  let i = end;
  while (i < source.length && isInlineSpace(source.charCodeAt(i))) i++;
  if (i === source.length) return i;
  if (source.charCodeAt(i) === 10) return i + 1;
  if (source.charCodeAt(i) === 13 && source.charCodeAt(i + 1) === 10) return i + 2;
  return -1;
}

const WHITESPACE = /\s/;

function parseName(
  source: string,
  offset: number,
  raw: string,
  what: string,
): { name: string; path: string[] } {
  const name = raw.trim();
  if (name === '')
    throw syntaxError(source, offset, `empty ${what} tag; write a name inside, e.g. {{name}}.`);
  if (WHITESPACE.test(name)) {
    throw syntaxError(source, offset, `"${name}" is not a valid name: names cannot contain spaces.`);
  }
  if (name === '.') return { name, path: [] };
  const path = name.split('.');
  if (path.some((segment) => segment === '')) {
    throw syntaxError(
      source,
      offset,
      `"${name}" is not a valid name: dotted names need a name between dots (e.g. user.name).`,
    );
  }
  return { name, path };
}

function appendText(nodes: TemplateNode[], text: string): void {
  if (text === '') return;
  const last = nodes[nodes.length - 1];
  if (last?.kind === 'text') last.text += text;
  else nodes.push({ kind: 'text', text });
}

/**
 * Parses a template into its node tree.
 *
 * @throws AppError TEMPLATE_SYNTAX naming line, column and the fix (unclosed tag or section,
 *   mismatched close, empty or malformed name, set-delimiter tag).
 */
export function parseTemplate(source: string): TemplateNode[] {
  const root: TemplateNode[] = [];
  const open: OpenSection[] = [];
  let nodes = root;
  // `textStart` is where pending literal text begins; `cursor` is where to look for the next tag.
  let textStart = 0;
  let cursor = 0;

  for (;;) {
    const start = source.indexOf('{{', cursor);
    if (start === -1) break;

    let inner: string;
    let end: number;
    if (source.charCodeAt(start + 2) === 123 /* { */) {
      const close = source.indexOf('}}}', start + 3);
      if (close === -1) {
        throw syntaxError(source, start, 'unclosed tag "{{{": close it with "}}}".');
      }
      inner = `&${source.slice(start + 3, close)}`;
      end = close + 3;
    } else {
      const close = source.indexOf('}}', start + 2);
      if (close === -1) throw syntaxError(source, start, 'unclosed tag "{{": close it with "}}".');
      inner = source.slice(start + 2, close);
      end = close + 2;
    }

    const body = inner.trimStart();
    const sigil = body.charAt(0);
    const rest = body.slice(1);

    // Section, inverted, close, comment and partial tags alone on their line vanish with the line.
    let standalone = false;
    let lineStart = start;
    let afterLine = end;
    if (sigil === '#' || sigil === '^' || sigil === '/' || sigil === '!' || sigil === '>' || sigil === '=') {
      lineStart = source.lastIndexOf('\n', start - 1) + 1;
      if (lineStart >= textStart && isBlank(source, lineStart, start)) {
        afterLine = standaloneEnd(source, end);
        standalone = afterLine !== -1;
      }
    }
    if (standalone) {
      appendText(nodes, source.slice(textStart, lineStart));
      textStart = cursor = afterLine;
    } else {
      appendText(nodes, source.slice(textStart, start));
      textStart = cursor = end;
    }

    switch (sigil) {
      case '!':
        break;
      case '=':
        throw syntaxError(
          source,
          start,
          'changing delimiters ({{=<% %>=}}) is not supported: Promptline templates always use {{ }}. Remove the tag.',
        );
      case '#':
      case '^': {
        const { name, path } = parseName(source, start, rest, 'section');
        const node: SectionNode = { kind: 'section', inverted: sigil === '^', name, path, children: [] };
        nodes.push(node);
        open.push({ node, offset: start, parent: nodes });
        nodes = node.children;
        break;
      }
      case '/': {
        const name = rest.trim();
        const section = open.pop();
        if (section === undefined) {
          throw syntaxError(
            source,
            start,
            `{{/${name}}} closes a section that was never opened: remove it or add {{#${name}}} before it.`,
          );
        }
        if (section.node.name !== name) {
          const opened = positionOf(source, section.offset);
          throw syntaxError(
            source,
            start,
            `{{/${name}}} does not match the open section {{#${section.node.name}}} (line ${opened.line}, column ${opened.column}): close it with {{/${section.node.name}}} first.`,
          );
        }
        nodes = section.parent;
        break;
      }
      case '>': {
        const name = rest.trim();
        if (name === '' || WHITESPACE.test(name)) {
          throw syntaxError(
            source,
            start,
            'a partial tag needs one name without spaces, e.g. {{> shared/tone}}.',
          );
        }
        nodes.push({ kind: 'partial', name, indent: standalone ? source.slice(lineStart, start) : '' });
        break;
      }
      case '&': {
        const { name, path } = parseName(source, start, rest, 'variable');
        nodes.push({ kind: 'variable', name, path });
        break;
      }
      default: {
        const { name, path } = parseName(source, start, body, 'variable');
        nodes.push({ kind: 'variable', name, path });
      }
    }
  }

  const unclosed = open[open.length - 1];
  if (unclosed !== undefined) {
    const name = unclosed.node.name;
    throw syntaxError(
      source,
      unclosed.offset,
      `section {{${unclosed.node.inverted ? '^' : '#'}${name}}} is never closed: add {{/${name}}} after its content.`,
    );
  }
  appendText(nodes, source.slice(textStart));
  return root;
}
