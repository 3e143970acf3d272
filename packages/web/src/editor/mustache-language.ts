import { autocompletion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { HighlightStyle, StreamLanguage, syntaxHighlighting } from '@codemirror/language';
import type { Extension } from '@codemirror/state';
import { tags as t } from '@lezer/highlight';

interface State {
  inTag: boolean;
  sigil: string;
}

/**
 * A small stream tokenizer for Mustache: the text of a prompt is plain prose, so only the
 * `{{…}}` tags are coloured (variables, sections, comments and partials each differently).
 */
export const mustache = StreamLanguage.define<State>({
  name: 'mustache',
  startState: () => ({ inTag: false, sigil: '' }),
  token(stream, state) {
    if (!state.inTag) {
      if (stream.match('{{')) {
        state.inTag = true;
        stream.match('{');
        const sigil = stream.match(/^[#^/!>&]/);
        state.sigil = Array.isArray(sigil) ? (sigil[0] ?? '') : '';
        return state.sigil === '!' ? 'comment' : 'bracket';
      }
      stream.next();
      while (!stream.eol() && !stream.match('{{', false)) stream.next();
      return null;
    }
    if (stream.match(/^\}?\}\}/)) {
      const wasComment = state.sigil === '!';
      state.inTag = false;
      state.sigil = '';
      return wasComment ? 'comment' : 'bracket';
    }
    if (state.sigil === '!') {
      stream.next();
      return 'comment';
    }
    if (stream.eatSpace()) return null;
    stream.match(/^[^\s}]+/) || stream.next();
    switch (state.sigil) {
      case '#':
      case '^':
      case '/':
        return 'keyword';
      case '>':
        return 'link';
      default:
        return 'variableName';
    }
  },
});

const highlight = HighlightStyle.define([
  { tag: t.bracket, color: 'var(--mustache-brace)' },
  { tag: t.variableName, color: 'var(--mustache-var)', fontWeight: '600' },
  { tag: t.keyword, color: 'var(--mustache-section)', fontWeight: '600' },
  { tag: t.link, color: 'var(--mustache-partial)', textDecoration: 'underline' },
  { tag: t.comment, color: 'var(--muted)', fontStyle: 'italic' },
]);

/** Completes variable names after `{{`, `{{#`, `{{^` and `{{/`. */
export function variableCompletion(getVariables: () => readonly string[]) {
  return (context: CompletionContext): CompletionResult | null => {
    const before = context.matchBefore(/\{\{\{?[#^/&]?\s*[\w.]*$/);
    if (!before) return null;
    const word = /[\w.]*$/.exec(before.text)?.[0] ?? '';
    return {
      from: context.pos - word.length,
      options: getVariables().map((v) => ({ label: v, type: 'variable' })),
      validFor: /^[\w.]*$/,
    };
  };
}

/** Mustache highlighting plus completion of the known variables. */
export function mustacheSupport(getVariables: () => readonly string[]): Extension {
  return [
    mustache,
    syntaxHighlighting(highlight),
    autocompletion({ override: [variableCompletion(getVariables)] }),
  ];
}
