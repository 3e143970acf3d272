/** A token of a Mustache template, as the editor highlights it. */
export type MustacheTagKind =
  | 'variable'
  | 'section'
  | 'inverted'
  | 'close'
  | 'comment'
  | 'partial'
  | 'unescaped';

export interface MustacheTag {
  kind: MustacheTagKind;
  /** Trimmed name inside the tag (`user.name`, `other/prompt`). */
  name: string;
  from: number;
  to: number;
}

const TAG = /\{\{(\{?)([#^/!>&]?)\s*([\s\S]*?)\s*\}?\}\}/g;

/** Finds the `{{…}}` tags of a template (the default delimiters; set-delimiter tags are not supported). */
export function scanTags(template: string): MustacheTag[] {
  const out: MustacheTag[] = [];
  TAG.lastIndex = 0;
  for (let m = TAG.exec(template); m; m = TAG.exec(template)) {
    const sigil = m[1] === '{' ? '{' : (m[2] ?? '');
    const kind: MustacheTagKind =
      sigil === '#'
        ? 'section'
        : sigil === '^'
          ? 'inverted'
          : sigil === '/'
            ? 'close'
            : sigil === '!'
              ? 'comment'
              : sigil === '>'
                ? 'partial'
                : sigil === '{' || sigil === '&'
                  ? 'unescaped'
                  : 'variable';
    out.push({ kind, name: (m[3] ?? '').trim(), from: m.index, to: m.index + m[0].length });
  }
  return out;
}

/**
 * Top-level variable names a template uses, in order of first use: `{{a.b}}` gives `a`; names
 * used only inside a section (`{{#items}}{{title}}{{/items}}`) are the section's fields, not inputs.
 */
export function extractVariables(template: string): string[] {
  const seen = new Set<string>();
  const open: string[] = [];
  for (const tag of scanTags(template)) {
    if (tag.kind === 'comment' || tag.kind === 'partial' || tag.name === '.' || tag.name === '') {
      continue;
    }
    if (tag.kind === 'close') {
      const i = open.lastIndexOf(tag.name);
      if (i !== -1) open.length = i;
      continue;
    }
    const top = tag.name.split('.')[0] ?? tag.name;
    if (open.length === 0) seen.add(top);
    if (tag.kind === 'section' || tag.kind === 'inverted') open.push(tag.name);
  }
  return [...seen];
}
