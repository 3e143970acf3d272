import { completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { Compartment, EditorState } from '@codemirror/state';
import { EditorView, keymap, placeholder as placeholderExt } from '@codemirror/view';
import { extractVariables } from '@promptline/core/browser';
import { useEffect, useRef } from 'react';
import { mustacheSupport } from './mustache-language.ts';

export interface CodeEditorProps {
  value: string;
  onChange: (value: string) => void;
  /** Variables offered by completion besides those the text already uses. */
  variables?: readonly string[];
  ariaLabel: string;
  placeholder?: string;
  minLines?: number;
  onSubmit?: () => void;
}

/**
 * CodeMirror 6 with Mustache highlighting and variable completion. Lives in its own chunk (the
 * pages load it with React.lazy) so the registry never downloads it.
 */
export default function CodeEditor({
  value,
  onChange,
  variables = [],
  ariaLabel,
  placeholder,
  minLines = 6,
  onSubmit,
}: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  // The label changes when a chat message moves or changes role; the editor itself is kept.
  const label = useRef(new Compartment());
  const latest = useRef({ onChange, variables, onSubmit });
  latest.current = { onChange, variables, onSubmit };

  // biome-ignore lint/correctness/useExhaustiveDependencies: the editor is created once; later `value` changes are applied by the effect below, callbacks are read through `latest`
  useEffect(() => {
    if (!host.current) return;
    const known = () => {
      const doc = view.current?.state.doc.toString() ?? '';
      let inDoc: string[] = [];
      try {
        inDoc = extractVariables({ type: 'text', template: doc });
      } catch {
        // A tag being typed (`{{ti`) does not parse yet: offer the variables known so far.
      }
      return [...new Set([...latest.current.variables, ...inDoc])];
    };
    const v = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          history(),
          keymap.of([
            {
              key: 'Mod-Enter',
              run: () => {
                const submit = latest.current.onSubmit;
                if (!submit) return false;
                submit();
                return true;
              },
            },
            ...completionKeymap,
            ...defaultKeymap,
            ...historyKeymap,
            indentWithTab,
          ]),
          EditorView.lineWrapping,
          mustacheSupport(known),
          placeholder ? placeholderExt(placeholder) : [],
          label.current.of(
            EditorView.contentAttributes.of({ 'aria-label': ariaLabel, 'aria-multiline': 'true' }),
          ),
          EditorView.theme({ '.cm-content, .cm-gutter': { minHeight: `${minLines * 1.5}em` } }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) latest.current.onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
    }
  }, [value]);

  useEffect(() => {
    view.current?.dispatch({
      effects: label.current.reconfigure(
        EditorView.contentAttributes.of({ 'aria-label': ariaLabel, 'aria-multiline': 'true' }),
      ),
    });
  }, [ariaLabel]);

  return <div className="code-editor" ref={host} />;
}
